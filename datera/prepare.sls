{#- The orchestration's first phase, one job per minion; it changes no node's
    configuration, so it runs even in a dry run (test: False): refresh the pillar (so
    targeting by datera:role sees the current pillar), bring the formula's modules up to
    date where a node has a datera:role (refresh.sls), then, there, the pre-flight checks
    (preflight.sls). A failed check on any node stops the orchestration before any
    change anywhere. #}
{%- set tplroot = tpldir.split('/')[0] %}
include:
  - {{ tplroot }}.refresh
{%- if salt['pillar.get']('datera:role') %}
  - {{ tplroot }}.preflight
{%- endif %}
