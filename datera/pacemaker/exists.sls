{#- The other controllers never create the resource: they check it is there (waiting,
    bounded, for the primary to create it). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
{%- set pcmk = datera.pacemaker %}

{%- if pcmk.manage and pcmk.ensure == 'present' %}
datera-pacemaker-resource-exists:
  datera_cib.resource_exists:
    - name: {{ pcmk.resource_id }}
    - wait_timeout: {{ pcmk.wait_timeout }}
    - cib_file: {{ pcmk.cib_file | yaml_dquote }}
{%- endif %}
