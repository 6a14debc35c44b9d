{#- Cinder volume types for each Datera backend (cluster-wide: applied from the primary
    controller only, after cinder.conf holds the backend). Types of absent backends, or
    marked absent, are removed. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}

{%- for backend_name, backend in datera.backends.items() %}
{%-   for type_name, vtype in backend.get('volume_types', {}).items() %}
{%-     if backend.ensure == 'present' and vtype.ensure == 'present' %}
datera-volume-types-{{ type_name }}-present:
  datera_volume_type.present:
    - name: {{ type_name | yaml_dquote }}
    - backend: {{ backend_name | yaml_dquote }}
{%-       for key in ('replica_count', 'placement_mode', 'placement_policy', 'qos',
                      'extra_specs', 'description', 'prune') if key in vtype %}
    - {{ key }}: {{ vtype[key] | json }}
{%-       endfor %}
{%-     else %}
datera-volume-types-{{ type_name }}-absent:
  datera_volume_type.absent:
    - name: {{ type_name | yaml_dquote }}
{%-     endif %}
{%-   endfor %}
{%- endfor %}
