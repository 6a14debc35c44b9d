{#- Orchestration: salt-run state.orchestrate datera.deploy [test=True]
    Three phases, each one Salt job with one minion job per node (four when taking over a
    cloud the old Fuel plugin configured):
    1. prepare, every minion: refresh pillar and, where a node has a datera:role, sync the
       formula's modules and run the pre-flight (valid pillar; on controllers cinder's
       driver imports and every Datera cluster answers). Changes no configuration, so it
       runs in a dry run too; a failure on any node stops everything before any change.
    (2.) only if nodes have datera:role legacy: their own cinder-volume stops serving the
       Datera cluster (legacy.sls); with none, this phase targets no minion.
    2. the primary controller: cinder.conf, the OCF agent when pillar picks one, the
       Pacemaker resource, the Cinder volume types, and with datera:takeover:enabled the
       move of the old plugin's volumes to the shared host (primary.sls).
    3. only if that succeeded, every other node at once, each by its role (init.sls):
       the other controllers (cinder.conf, the agent -- probed again where it arrived after
       the resource existed --, the check that the resource exists) and the compute
       nodes (iSCSI).
    A controller restarts cinder-volume through Pacemaker when its cinder.conf changed and
    cinder-volume runs there: at most once per orchestration. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- import_yaml tplroot ~ "/targets.yaml" as targets %}
{#- The later phases tell the nodes the pre-flight passed: not run twice. #}
{%- set passed = {'preflight_passed': True} %}
{%- set preflight_passed = {'datera_orchestration': passed} %}
{#- With the master's pillar_cache on, a job's pillar comes from the master's cache, which a
    pillar edit does not clear: the first phase is told so, and its pillar refresh (which
    clears the cache) then replaces that job's pillar before the pre-flight checks it. #}
{%- set prepare = {'formula_files': {}, 'hash_type': opts.hash_type} %}
{%- if opts.get('pillar_cache') %}
{%-   do prepare.update({'master_pillar_cache': True}) %}
{%- endif %}
{#- The formula's minion-side files as this master serves them, with their hashes: a node
    whose synced copies are exactly these skips the module sync (refresh.sls), which would
    ask the master about every file, on every node, in every deploy. #}
{%- for kind in ('modules', 'states', 'utils') %}
{%-   for path in salt['cp.list_master'](prefix='_' ~ kind ~ '/') %}
{%-     do prepare.formula_files.update({path: salt['cp.hash_file']('salt://' ~ path).hsum}) %}
{%-   endfor %}
{%- endfor %}
{%- set prepared = {'datera_orchestration': prepare} %}

datera-deploy-prepare:
  salt.state:
    - tgt: '*'
    - sls: {{ tplroot }}.prepare
    - test: false
    - pillar: {{ prepared | json }}

datera-deploy-legacy:
  salt.state:
    - tgt: {{ targets.legacy | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.legacy
    - pillar: {{ preflight_passed | json }}
    - expect_minions: false
    - require:
      - salt: datera-deploy-prepare

datera-deploy-primary:
  salt.state:
    - tgt: {{ targets.primary | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.primary
    - pillar: {{ preflight_passed | json }}
    - require:
      - salt: datera-deploy-legacy

datera-deploy-others:
  salt.state:
    - tgt: {{ targets.others | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}
    - pillar: {{ preflight_passed | json }}
    - expect_minions: false
    - require:
      - salt: datera-deploy-primary
