{#- With an OCF agent (ocf:<provider>:cinder-volume) in pillar, every controller gets the
    formula's OCF script, so Pacemaker can start cinder-volume on any of them. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
{%- set pcmk = datera.pacemaker %}
{%- set ocf = salt['datera_pillar.ocf_paths'](pcmk.agent, datera.ocf_dir) %}

{%- if pcmk.manage and pcmk.ensure == 'present' and ocf.script %}
datera-pacemaker-agent-ocf-script:
  file.managed:
    - name: {{ ocf.script | yaml_dquote }}
    - source: salt://{{ tplroot }}/files/cinder-volume.ocf
    - mode: '0755'
    - user: root
    - group: root
    - makedirs: true

{#- Arrived after the resource existed (a controller joins, or phase 3 of the
    orchestration): Pacemaker's first probe here found no agent and keeps cinder-volume
    off this node until it probes again. #}
datera-pacemaker-agent-reprobed:
  datera_cib.reprobed:
    - name: {{ pcmk.resource_id }}
    - cib_file: {{ pcmk.cib_file | yaml_dquote }}
    - onchanges:
      - file: datera-pacemaker-agent-ocf-script
{%- else %}
datera-pacemaker-agent-not-needed:
  test.succeed_without_changes:
    - name: no OCF script to install (agent {{ pcmk.agent }})
{%- endif %}
