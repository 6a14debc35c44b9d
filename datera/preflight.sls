{#- Before anything changes: the pillar is valid (map.jinja fails the render otherwise),
    cinder's Datera driver imports, and every present Datera backend answers with the
    configured credentials. config.sls requires this, so a by-hand state.apply stops here
    too. In the orchestration the checks run once, in their own step, on every controller
    before any change; the later steps pass datera_orchestration:preflight_passed. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
{%- set controller = datera.role in ('primary-controller', 'controller') %}
{%- set passed = salt['pillar.get']('datera_orchestration:preflight_passed', False) %}

datera-preflight-pillar-valid:
  test.succeed_without_changes:
    - name: datera pillar is valid (role {{ datera.role }}, release {{ datera.release }})

{%- if controller and passed %}

datera-preflight-passed-in-this-orchestration:
  test.succeed_without_changes:
    - name: pre-flight passed in this orchestration's datera-deploy-preflight step
{%- elif controller %}
{%-   if datera.cinder.check_driver %}

datera-preflight-driver-importable:
  datera_cinder.driver_importable:
    - name: {{ datera.cinder.python | yaml_dquote }}
{%-   endif %}
{%-   for backend_name, backend in datera.backends.items() if backend.ensure == 'present' %}

{#- Logs in with the pillar's credentials (new ones too, when they are being rotated),
    over verified TLS, and checks the cluster is running: nothing is written before. #}
datera-preflight-cluster-{{ backend_name }}-healthy:
  datera.healthy:
    - backend: {{ backend_name | yaml_dquote }}
{%-   endfor %}
{%- endif %}
