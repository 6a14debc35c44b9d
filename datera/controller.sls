{#- The other controllers: what every controller gets; the Pacemaker resource is only
    checked (and waited for) here, never created. #}
{%- set tplroot = tpldir.split('/')[0] %}
include:
  - {{ tplroot }}
  - {{ tplroot }}.pacemaker.exists
