{#- The primary controller: what every controller gets, plus the cluster-wide work done
    once: the Cinder volume types (and the Pacemaker resource). #}
{%- set tplroot = tpldir.split('/')[0] %}
include:
  - {{ tplroot }}
  - {{ tplroot }}.volume_types
