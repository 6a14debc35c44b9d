{#- cinder-volume restarted through Pacemaker (never behind its back); the orchestration
    applies this once, and only when some controller's cinder.conf changed. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
{%- set pcmk = datera.pacemaker %}

{%- if pcmk.manage and pcmk.ensure == 'present' %}
datera-pacemaker-cinder-volume-restarted:
  datera_cib.restarted:
    - name: {{ pcmk.resource_id }}
    - cib_file: {{ pcmk.cib_file | yaml_dquote }}
{%- else %}
{#- salt.state treats an SLS with no states as a failure: say plainly there is nothing to do. #}
datera-pacemaker-cinder-volume-not-managed:
  test.succeed_without_changes:
    - name: cinder-volume is not managed by this formula through Pacemaker
{%- endif %}
