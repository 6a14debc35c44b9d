{#- cinder-volume restarted through Pacemaker (never behind its back) when this node's
    cinder.conf changed and it runs on this node: an orchestration that changes every
    controller restarts it exactly once; a controller added or changed where it does not
    run restarts nothing (it reads its file when it starts there). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
include:
  - {{ tplroot }}.config
{%- set pcmk = datera.pacemaker %}

{%- if pcmk.manage and pcmk.ensure == 'present' %}
datera-pacemaker-cinder-volume-restarted:
  datera_cib.restarted:
    - name: {{ pcmk.resource_id }}
    - only_where_running: true
    - unless_started_after: {{ datera.cinder.conf_file | yaml_dquote }}
    - cib_file: {{ pcmk.cib_file | yaml_dquote }}
    - onchanges:
      - sls: {{ tplroot }}.config
{%- endif %}
