{#- Orchestration: salt-run state.orchestrate datera.deploy [test=True]
    1. refresh pillar everywhere, then the formula's modules on every node with a datera:role;
    2. pre-flight on every controller (valid pillar, cinder's driver imports, the Datera
       cluster answers) — before anything changes anywhere;
    3. the primary controller: cinder.conf, then its own states (volume types, ...);
    4. only if that succeeded, the other controllers, all in parallel;
       (each controller restarts cinder-volume through Pacemaker if its cinder.conf
       changed and cinder-volume runs there: at most once per orchestration);
    5. the compute nodes (iSCSI prerequisites), in parallel. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- set primary = 'I@datera:role:primary-controller' %}
{%- set others = 'I@datera:role:controller' %}
{%- set controllers = primary ~ ' or ' ~ others %}
{#- The steps after the pre-flight step tell the controllers it passed: not run twice. #}
{%- set preflight_passed = {'datera_orchestration': {'preflight_passed': True}} %}

{#- Pillar targeting uses each minion's pillar in memory: refresh it first, everywhere,
    so a node given (or relieved of) a datera:role by a pillar edit is targeted right.
    Neither step changes a node's configuration: both run even in a dry run. #}
datera-deploy-refresh-pillar:
  salt.state:
    - tgt: '*'
    - sls: {{ tplroot }}.refresh
    - test: false

datera-deploy-sync:
  salt.state:
    - tgt: 'I@datera:role:*'
    - tgt_type: compound
    - sls: {{ tplroot }}.sync
    - test: false
    - require:
      - salt: datera-deploy-refresh-pillar

datera-deploy-preflight:
  salt.state:
    - tgt: {{ controllers | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.preflight
    - require:
      - salt: datera-deploy-sync

datera-deploy-primary-config:
  salt.state:
    - tgt: {{ primary | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.config
    - pillar: {{ preflight_passed | json }}
    - require:
      - salt: datera-deploy-preflight

datera-deploy-primary:
  salt.state:
    - tgt: {{ primary | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.primary
    - pillar: {{ preflight_passed | json }}
    - require:
      - salt: datera-deploy-primary-config

datera-deploy-controllers-config:
  salt.state:
    - tgt: {{ others | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.config
    - pillar: {{ preflight_passed | json }}
    - expect_minions: false
    - require:
      - salt: datera-deploy-primary

datera-deploy-controllers:
  salt.state:
    - tgt: {{ others | yaml_dquote }}
    - tgt_type: compound
    - sls: {{ tplroot }}.controller
    - pillar: {{ preflight_passed | json }}
    - expect_minions: false
    - require:
      - salt: datera-deploy-controllers-config

datera-deploy-computes:
  salt.state:
    - tgt: 'I@datera:role:compute'
    - tgt_type: compound
    - sls: {{ tplroot }}.compute
    - expect_minions: false
    - require:
      - salt: datera-deploy-controllers
