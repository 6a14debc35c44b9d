{#- Cinder volume types for each Datera backend (cluster-wide: applied from the primary
    controller only, after cinder.conf holds the backend). Types of absent backends, or
    marked absent, are removed; so are the types the formula made (marker
    datera_formula:managed=true) for a present backend that pillar no longer names: for a
    backend whose pillar has the key volume_types (an empty mapping included: so the last
    type can go), where cinder's Keystone account is configured. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ "/map.jinja" import mapdata as datera with context %}
{%- set raw_backends = salt['pillar.get']('datera:backends', {}) %}
{%- set named = [] %}
{%- for backend in datera.backends.values() if backend.ensure == 'present' %}
{%-   do named.extend(backend.get('volume_types', {}).keys()) %}
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
{%-   if backend.ensure == 'present' and datera.keystone.password
         and 'volume_types' in raw_backends.get(backend_name, {}) %}

datera-volume-types-pruned-{{ backend_name }}:
  datera_volume_type.pruned:
    - backend: {{ backend_name | yaml_dquote }}
    - keep: {{ named | json }}
{%-   endif %}
{%- endfor %}
