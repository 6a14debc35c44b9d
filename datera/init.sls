{#- Everything a controller needs, in order: checks, package, iSCSI, the OCF agent (when
    pillar picks one), cinder.conf. #}
include:
  - .preflight
  - .package
  - .iscsi
  - .pacemaker.agent
  - .config
