{#- What a node needs to attach Datera volumes over iSCSI: open-iscsi, an initiator
    name, iscsid, and multipath when datera:iscsi:multipath asks for it. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}

{%- if datera.manage_packages %}
datera-iscsi-pkg-installed:
  pkg.installed:
    - pkgs:
      - {{ datera.pkg.iscsi }}
{%-   if datera.iscsi.multipath %}
      - {{ datera.pkg.multipath }}
{%-   endif %}
    - require_in:
      - datera_iscsi: datera-iscsi-initiator-name
{%- endif %}

datera-iscsi-initiator-name:
  datera_iscsi.initiator_present:
    - name: {{ datera.iscsi.initiator_file }}
    - prefix: {{ datera.iscsi.initiator_prefix }}

{%- if datera.iscsi.multipath %}
datera-iscsi-multipath-conf:
  file.managed:
    - name: {{ datera.multipath_conf }}
    - contents: {{ datera.multipath_conf_contents | json }}
    - mode: '0644'
{%- endif %}

{%- if datera.manage_services %}
datera-iscsi-iscsid-running:
  service.running:
    - name: {{ datera.service.iscsid }}
    - enable: true
    - watch:
      - datera_iscsi: datera-iscsi-initiator-name
{%-   if datera.iscsi.multipath %}
datera-iscsi-multipathd-running:
  service.running:
    - name: {{ datera.service.multipathd }}
    - enable: true
    - watch:
      - file: datera-iscsi-multipath-conf
{%-   endif %}
{%- endif %}
