{#- The orchestration's first step, on every minion; changes no configuration, so it runs
    even in a dry run (test: False):
    - reload the minion's pillar, so targeting by datera:role sees the current pillar;
    - on a node with a datera:role, bring the formula's modules up to date (sync.sls).
      This job's pillar is compiled afresh on the master, so a role given or taken away by
      the pillar edit counts already. One job per minion does both. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- if salt['pillar.get']('datera:role') %}
include:
  - {{ tplroot }}.sync
{%- endif %}

datera-refresh-pillar:
  module.run:
    - saltutil.refresh_pillar:
      - wait: true
