{#- Orchestration: salt-run state.orchestrate datera.deploy [test=True]
    1. on every minion, refresh pillar and, where a node has a datera:role, sync the
       formula's modules (one job per minion);
    2. pre-flight on every controller (valid pillar, cinder's driver imports, the Datera
       cluster answers) — before anything changes anywhere;
    3. every controller: the OCF agent (when pillar picks one), before the primary creates
       the resource: Pacemaker probes every node as soon as it exists, and a node without
       the agent answers "not installed", which bans the resource from it;
    4. the primary controller: cinder.conf, then its own states (volume types, ...);
    5. only if that succeeded, the other controllers, all in parallel;
       (each controller restarts cinder-volume through Pacemaker if its cinder.conf
       changed and cinder-volume runs there: at most once per orchestration);
    6. the compute nodes (iSCSI prerequisites), in parallel. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- set primary = 'I@datera:role:primary-controller' %}
{%- set others = 'I@datera:role:controller' %}
{%- set controllers = primary ~ ' or ' ~ others %}
{#- The steps after the pre-flight step tell the controllers it passed: not run twice. #}
{%- set passed = {'preflight_passed': True} %}
{%- set preflight_passed = {'datera_orchestration': passed} %}

{#- Pillar targeting uses each minion's pillar in memory: refresh it first, everywhere,
    so a node given (or relieved of) a datera:role by a pillar edit is targeted right; the
    same job syncs the formula's modules where a node has a role. It changes no node's
    configuration: it runs even in a dry run. #}
datera-deploy-refresh:
  salt.state:
    - tgt: '*'
    - sls: {{ tplroot }}.refresh
    - test: false

datera-deploy-preflight:
  salt.state:
    - tgt: {{ controllers | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.preflight
    - require:
      - salt: datera-deploy-refresh

datera-deploy-agent:
  salt.state:
    - tgt: {{ controllers | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.pacemaker.agent
    - require:
      - salt: datera-deploy-preflight

datera-deploy-primary-config:
  salt.state:
    - tgt: {{ primary | yaml_dquote }}
    - tgt_type: compound
    - sls:
      - {{ tplroot }}.config
      - {{ tplroot }}.pacemaker.restart
    - pillar: {{ preflight_passed | json }}
    - require:
      - salt: datera-deploy-agent

datera-deploy-primary:
  salt.state:
    - tgt: {{ primary | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.primary
    - pillar: {{ preflight_passed | json }}
    - require:
      - salt: datera-deploy-primary-config

{#- One job per controller: secondary.sls holds cinder.conf (with its restart) and the
    check that the primitive exists. #}
datera-deploy-controllers:
  salt.state:
    - tgt: {{ others | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.secondary
    - pillar: {{ preflight_passed | json }}
    - expect_minions: false
    - require:
      - salt: datera-deploy-primary

datera-deploy-computes:
  salt.state:
    - tgt: 'I@datera:role:compute'
    - tgt_type: compound
    - sls: {{ tplroot }}.compute
    - expect_minions: false
    - require:
      - salt: datera-deploy-controllers
