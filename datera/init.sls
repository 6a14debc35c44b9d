{#- ``state.apply datera``: what this node's datera:role asks for -- the primary
    controller (primary.sls), another controller (secondary.sls), a compute node
    (compute.sls) or a node the old Fuel plugin configured (legacy.sls); a node without a
    role gets nothing. The orchestration (deploy.sls)
    applies the same files in order across the cloud. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
{%- set by_role = {'primary-controller': 'primary', 'controller': 'secondary',
                   'compute': 'compute', 'legacy': 'legacy'} %}

{%- if datera.role in by_role %}
include:
  - {{ tplroot }}.{{ by_role[datera.role] }}
{%- else %}

datera-no-role:
  test.succeed_without_changes:
    - name: this node has no datera:role (primary-controller, controller, compute or legacy)
{%- endif %}
