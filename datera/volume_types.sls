{#- Cinder volume types for each Datera backend (cluster-wide: applied from the primary
    controller only, after cinder.conf holds the backend). Types of absent backends, or
    marked absent, are removed; so are the types the formula made (marker
    datera_formula:managed=true) for a present backend that pillar no longer declares,
    wherever cinder's Keystone account is configured (without it no type was made). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
{%- set declared = [] %}
{%- for backend in datera.backends.values() if backend.ensure == 'present' %}
{%-   for type_name, vtype in backend.get('volume_types', {}).items() %}
{%-     if vtype.ensure == 'present' %}
{%-       do declared.append(type_name) %}
{%-     endif %}
{%-   endfor %}
{%- endfor %}

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
{%-   if backend.ensure == 'present' and datera.keystone.password %}

datera-volume-types-pruned-{{ backend_name }}:
  datera_volume_type.pruned:
    - backend: {{ backend_name | yaml_dquote }}
    - keep: {{ declared | json }}
{%-   endif %}
{%- endfor %}
