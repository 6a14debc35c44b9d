{#- The primary controller: what every controller gets (controller.sls), plus the
    cluster-wide work done once: the Pacemaker resource and the Cinder volume types. #}
{%- set tplroot = tpldir.split('/')[0] %}
include:
  - {{ tplroot }}.controller
  - {{ tplroot }}.pacemaker.resource
  - {{ tplroot }}.volume_types
