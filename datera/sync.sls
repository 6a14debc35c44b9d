{#- Not a change to the node's configuration: bring the formula's modules (and pillar) up
    to date. The orchestration runs it even in a dry run (test: False), as Salt's own
    highstate does, so the dry run renders with the current modules. #}
datera-sync-all:
  module.run:
    - saltutil.sync_all:
      - refresh: true
