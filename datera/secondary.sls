{#- A controller other than the primary: what every controller gets (controller.sls);
    the Pacemaker resource is only checked (and waited for) here, never created. #}
{%- set tplroot = tpldir.split('/')[0] %}
include:
  - {{ tplroot }}.controller
  - {{ tplroot }}.pacemaker.exists
