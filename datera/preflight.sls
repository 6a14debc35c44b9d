{#- Before anything changes: the pillar is valid, cinder's Datera driver imports and every
    present Datera backend answers with the configured credentials (datera.preflight, one
    state; it needs no map, so it also runs in the job that first syncs the formula's
    modules to a node). config.sls requires it, so a by-hand state.apply stops here too.
    In the orchestration the checks run once, in the first phase, on every node; the later
    phases pass datera_orchestration:preflight_passed and the state only confirms the
    pillar. #}
datera-preflight:
  datera.preflight:
    - name: pillar, cinder's driver, the Datera clusters
