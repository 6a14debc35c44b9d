{#- Not a change to the node: reload its pillar, so targeting by datera:role sees the
    current pillar. The orchestration runs it even in a dry run (test: False). #}
datera-refresh-pillar:
  module.run:
    - saltutil.refresh_pillar:
      - wait: true
