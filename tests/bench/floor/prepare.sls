{#- The floor's first phase. Targeting the later phases by datera:role needs each minion's
    in-memory pillar reloaded first (Salt matches a target against it), so that refresh is
    part of the phase structure whatever the states do: the same call as datera/refresh.sls,
    and no formula work. #}
bench-floor-pillar-refresh:
  module.run:
    - saltutil.refresh_pillar:
      - wait: true
