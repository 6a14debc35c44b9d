{#- Everything a controller needs, in order: checks, package, cinder.conf. #}
include:
  - .preflight
  - .package
  - .config
