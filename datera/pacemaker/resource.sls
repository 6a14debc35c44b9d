{#- The primary controller creates (or updates, or removes with the last backend) the one
    cinder-volume primitive: active/passive, never a clone. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
{%- set pcmk = datera.pacemaker %}

{%- if pcmk.manage and pcmk.ensure == 'present' %}
datera-pacemaker-resource-present:
  datera_cib.resource_present:
    - name: {{ pcmk.resource_id }}
    - agent: {{ pcmk.agent }}
    - params: {{ pcmk.params | json }}
    - cib_file: {{ pcmk.cib_file | yaml_dquote }}
{%- elif pcmk.manage %}
datera-pacemaker-resource-absent:
  datera_cib.resource_absent:
    - name: {{ pcmk.resource_id }}
    - cib_file: {{ pcmk.cib_file | yaml_dquote }}
{%- endif %}
