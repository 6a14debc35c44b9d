{#- Every controller, primary or not, in order: checks, package, iSCSI, the OCF agent
    (when pillar picks one), cinder.conf (restarting cinder-volume through Pacemaker when
    it changed and cinder-volume runs here). #}
{%- set tplroot = tpldir.split('/')[0] %}
include:
  - {{ tplroot }}.preflight
  - {{ tplroot }}.package
  - {{ tplroot }}.iscsi
  - {{ tplroot }}.pacemaker.agent
  - {{ tplroot }}.config
  - {{ tplroot }}.pacemaker.restart
