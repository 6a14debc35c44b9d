{#- cinder.conf: the Datera backend sections, enabled_backends, the shared host, written
    only after the pre-flight passed. pacemaker/restart.sls restarts cinder-volume when
    this file's state changed. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
include:
  - {{ tplroot }}.preflight

datera-config-cinder-conf-managed:
  datera_conf.managed:
    - name: {{ datera.cinder.conf_file }}
    - require:
      - sls: {{ tplroot }}.preflight
