{#- cinder.conf: the Datera backend sections, enabled_backends, the shared host, written
    only after the pre-flight passed; when it changed and cinder-volume runs on this node,
    a restart through Pacemaker. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
include:
  - {{ tplroot }}.preflight
  - {{ tplroot }}.pacemaker.restart

datera-config-cinder-conf-managed:
  datera_conf.managed:
    - name: {{ datera.cinder.conf_file }}
    - require:
      - sls: {{ tplroot }}.preflight
