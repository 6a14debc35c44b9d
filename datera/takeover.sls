{#- Taking over a cloud the old Fuel plugin configured (datera:takeover:enabled, applied
    on the primary controller): the volumes each Datera cluster holds that Cinder has
    under the old per-node hosts move to the shared host, after the Pacemaker resource
    exists, and only for hosts no cinder-volume serves any more (legacy.sls stopped them
    in the phase before). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}

{%- if datera.takeover.enabled %}
include:
  - {{ tplroot }}.pacemaker.resource
{%-   for name, backend in datera.backends.items() if backend.ensure == 'present' %}

datera-takeover-{{ name }}-volumes-moved:
  datera_takeover.volumes_moved:
    - name: {{ name | yaml_dquote }}
    - require:
      - sls: {{ tplroot }}.pacemaker.resource
{%-   endfor %}
{%- endif %}
