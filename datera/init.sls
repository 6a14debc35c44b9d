{#- Everything a controller needs, in order: checks, package, iSCSI, cinder.conf. #}
include:
  - .preflight
  - .package
  - .iscsi
  - .config
