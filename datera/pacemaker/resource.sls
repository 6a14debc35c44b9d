{#- The primary controller creates (or updates) the one cinder-volume primitive:
    active/passive, never a clone. A dry run of a first deploy does not fail on the OCF
    script the formula installs before it (pacemaker/agent.sls). Removed only when pillar says pacemaker:ensure: absent
    (without Datera backends cinder-volume may still serve others, e.g. lvm). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
{%- set pcmk = datera.pacemaker %}
{%- set ocf = salt['datera_pillar.ocf_paths'](pcmk.agent, datera.ocf_dir) %}

{%- if pcmk.manage and pcmk.ensure == 'present' %}
datera-pacemaker-resource-present:
  datera_cib.resource_present:
    - name: {{ pcmk.resource_id }}
    - agent: {{ pcmk.agent }}
    - params: {{ pcmk.params | json }}
    - cib_file: {{ pcmk.cib_file | yaml_dquote }}
    - ocf_root: {{ ocf.ocf_root | yaml_dquote }}
    - agent_from_formula: {{ ocf.script != '' }}
{%- elif pcmk.manage and pcmk.ensure == 'absent' %}
datera-pacemaker-resource-absent:
  datera_cib.resource_absent:
    - name: {{ pcmk.resource_id }}
    - cib_file: {{ pcmk.cib_file | yaml_dquote }}
{%- else %}
datera-pacemaker-resource-left-alone:
  test.succeed_without_changes:
    - name: {{ pcmk.resource_id }} is left as it is (pacemaker manage {{ pcmk.manage }}, ensure {{ pcmk.ensure }})
{%- endif %}
