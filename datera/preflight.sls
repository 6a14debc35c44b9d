{#- Before anything changes: the pillar is valid (map.jinja fails the render otherwise)
    and every present Datera backend answers with the configured credentials. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}

datera-preflight-pillar-valid:
  test.succeed_without_changes:
    - name: datera pillar is valid (role {{ datera.role }}, release {{ datera.release }})

{%- if datera.role in ('primary-controller', 'controller') and datera.cinder.check_driver %}

datera-preflight-driver-importable:
  datera_cinder.driver_importable:
    - name: {{ datera.cinder.python | yaml_dquote }}
{%- endif %}

{%- if datera.role in ('primary-controller', 'controller') %}
{%-   for backend_name, backend in datera.backends.items() if backend.ensure == 'present' %}

{#- Logs in with the pillar's credentials (new ones too, when they are being rotated),
    over verified TLS, and checks the cluster is running: nothing is written before. #}
datera-preflight-cluster-{{ backend_name }}-healthy:
  datera.healthy:
    - backend: {{ backend_name | yaml_dquote }}
{%-   endfor %}
{%- endif %}
