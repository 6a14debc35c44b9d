{#- The primary controller: what every controller gets, plus the cluster-wide work done
    once (the Pacemaker resource). #}
{%- set tplroot = tpldir.split('/')[0] %}
include:
  - {{ tplroot }}
