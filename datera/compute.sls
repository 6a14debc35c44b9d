{#- A compute node: ready to attach Datera volumes. #}
include:
  - .iscsi
