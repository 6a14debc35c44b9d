{#- The orchestration's first step, on every minion; changes no configuration, so it runs
    even in a dry run (test: False):
    - reload the minion's pillar, so targeting by datera:role sees the current pillar;
    - on a node with a datera:role, bring the formula's modules up to date (sync.sls),
      unless its synced copies already are exactly the files the master serves (the
      orchestration passes their hashes: datera_install.synced; a sync would ask the master
      about every file), or the formula is installed there as a Salt extension (pip): then
      the extension is the copy, and a copy an earlier sync left behind that differs from
      it is warned about (Salt's loader would use that copy first).
      This job's pillar is compiled afresh on the master, so a role given or taken away by
      the pillar edit counts already -- unless the master caches pillar (pillar_cache): then
      the orchestration says so and the refresh replaces this job's pillar for its later
      states (the pre-flight), while what this job includes follows the cached pillar
      (docs/deployment.rst, pillar_cache). One job per minion does both. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- set install = salt['datera_install.status']() if 'datera_install.status' in salt else {} %}
{%- set served = salt['pillar.get']('datera_orchestration:formula_files') %}
{%- set hash_type = salt['pillar.get']('datera_orchestration:hash_type', 'sha256') %}
{%- set current = served and 'datera_install.synced' in salt
                  and salt['datera_install.synced'](served, hash_type) %}
{%- if salt['pillar.get']('datera:role') and not install.get('extension') %}
{%-   if current %}

datera-sync-up-to-date:
  test.succeed_without_changes:
    - name: the formula's modules, states and utils here are the master's ({{ served | length }} files)
{%-   else %}
include:
  - {{ tplroot }}.sync
{%-   endif %}
{%- endif %}

{%- if install.get('shadowed') %}

datera-refresh-synced-copy-shadows-extension:
  test.configurable_test_state:
    - changes: false
    - result: true
    - comment: the formula is installed as a Salt extension ({{ install.extension }})
    - warnings:
      - >-
        copies synced earlier differ from the installed extension {{ install.extension }}
        and are used instead of it: {{ install.shadowed | join(', ') }}; remove them from
        {{ opts.extension_modules }} (or run saltutil.clear_cache), or stop installing the
        formula with pip
{%- endif %}

datera-refresh-pillar:
  module.run:
    - saltutil.refresh_pillar:
      - wait: true
{%- if salt['pillar.get']('datera_orchestration:master_pillar_cache') %}
    {#- the master caches pillar (pillar_cache): this job's pillar may predate an edit; the
        refresh cleared the cache, and the job's later states use the new pillar #}
    - reload_pillar: true
{%- endif %}
