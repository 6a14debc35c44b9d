{#- cinder.conf: the Datera backend sections, enabled_backends, the shared host. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}

datera-config-cinder-conf-managed:
  datera_conf.managed:
    - name: {{ datera.cinder.conf_file }}
