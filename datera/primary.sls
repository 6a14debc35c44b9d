{#- The primary controller: what every controller gets (controller.sls), plus the
    cluster-wide work done once: the Pacemaker resource, the Cinder volume types and, when
    taking over a cloud the old Fuel plugin configured, the move of its volumes. #}
{%- set tplroot = tpldir.split('/')[0] %}
include:
  - {{ tplroot }}.controller
  - {{ tplroot }}.pacemaker.resource
  - {{ tplroot }}.volume_types
  - {{ tplroot }}.takeover
