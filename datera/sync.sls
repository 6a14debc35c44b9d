{#- Not a change to the node's configuration: bring the formula's minion-side modules
    (_modules, _states, _utils) up to date. Each sync reports a change only when a file was
    added, updated or removed, and the minion reloads its modules only then: a re-run that
    has nothing to sync reports no change and reloads nothing. The orchestration's refresh
    step includes it on every node with a datera:role (even in a dry run, as Salt's own
    highstate syncs, so the dry run renders with the current modules). saltenv: base is
    the state's environment: Salt's state compiler does not pass it on to the sync
    function, which still looks up the top file's environments once per job
    (docs/performance.rst). reload_modules: the same job's later states (the pre-flight)
    use what was just synced -- on a new node, modules it never had. #}
{%- set kinds = ('modules', 'states', 'utils') %}
{%- for kind in kinds %}

datera-sync-{{ kind }}:
  saltutil.sync_{{ kind }}:
    - saltenv: base
    - refresh: false
    - reload_modules: true
{%- endfor %}

datera-sync-reload-modules:
  module.run:
    - saltutil.refresh_modules:
      - async: false
    - onchanges:
{%- for kind in kinds %}
      - saltutil: datera-sync-{{ kind }}
{%- endfor %}
