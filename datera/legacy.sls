{#- A node the old Fuel plugin configured (datera:role legacy): its own cinder-volume, a
    plain distribution service, stops serving the Datera cluster. Its Datera backend
    leaves cinder.conf (other backends and lines kept; the file as the plugin left it is
    kept as cinder.conf.datera-legacy), the service is restarted for the backends left,
    or stopped and disabled when none is, and Cinder's record of the old service is
    removed. Like a compute node it keeps an iSCSI initiator (compute.sls). The
    orchestration runs this before the primary controller moves the volumes to the
    shared host (takeover.sls). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
include:
  - {{ tplroot }}.preflight
  - {{ tplroot }}.compute

datera-legacy-cinder-conf:
  datera_conf.legacy_absent:
    - name: {{ datera.cinder.conf_file }}
    - require:
      - sls: {{ tplroot }}.preflight

datera-legacy-service:
  datera_takeover.service_retired:
    - name: {{ datera.service.cinder_volume }}
    - conf_file: {{ datera.cinder.conf_file }}
    - require:
      - datera_conf: datera-legacy-cinder-conf

datera-legacy-service-records:
  datera_takeover.service_records_absent:
    - name: {{ datera.cinder.conf_file }}
    - require:
      - datera_takeover: datera-legacy-service
