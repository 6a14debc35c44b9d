{#- The cinder-volume package is installed, and its init service stopped and disabled:
    only Pacemaker starts cinder-volume. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}

{%- if datera.manage_packages %}
datera-package-cinder-volume-pkg-installed:
  pkg.installed:
    - name: {{ datera.pkg.cinder_volume }}
{%- endif %}

{%- if datera.manage_services %}
datera-package-cinder-volume-service-dead:
  service.dead:
    - name: {{ datera.service.cinder_volume }}
    - enable: false
{%- endif %}
