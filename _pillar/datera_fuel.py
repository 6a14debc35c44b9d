"""
Fuel's node file (``astute.yaml``) as the formula's ``datera`` pillar.

Replaces the settings page of the old ``fuel-plugin-datera-cinder``: the values an operator
entered in Fuel's UI, plus what Fuel knows about the environment (roles, controllers,
management VIP, cinder's Keystone account), become the ``datera:`` pillar tree that
``datera_pillar`` validates.

Master configuration:

.. code-block:: yaml

    ext_pillar:
      - datera_fuel:
          path: /etc/astute.yaml          # may contain {minion_id}
          # backend: datera               # the cinder.conf section name (default datera)
          # pacemaker_agent: ocf:fuel:cinder-volume   # also set datera:pacemaker:agent

``path`` may name one file per minion (``/srv/fuel/{minion_id}.yaml``). Any node's file
describes every node of the environment (``network_metadata.nodes``), so when the minion id
names another node of the file, that node's roles are used; a minion id matching no node
takes the file's own node (a masterless ``salt-call --local`` on the Fuel node itself).

Only controllers get secrets (the Datera backend, cinder's Keystone password); computes get
their role. Where the old plugin is enabled in the file, it configured Datera on the nodes
with Fuel's ``cinder`` role for their own cinder-volume: those nodes get the role ``legacy``
(no secret; the formula takes their Datera backend out) and the primary controller gets
``takeover:enabled`` (it moves their volumes to the shared host). Other nodes get nothing.
A missing, unreadable or invalid file gives an empty pillar and a warning in the master's
log, never an error.

:depends: PyYAML (a Salt dependency); the formula's ``_utils`` on the master
    (``salt-run saltutil.sync_all``)
"""

import ipaddress
import logging

import salt.utils.data
import yaml

import datera_schema

log = logging.getLogger(__name__)

__virtualname__ = "datera_fuel"

PLUGIN = "fuel-plugin-datera-cinder"
ROLE_ORDER = ("primary-controller", "controller", "compute")
OLD_PLUGIN_ROLE = "cinder"  # the Fuel role the old plugin configured Datera on
CONTROLLER_ROLES = frozenset(("primary-controller", "controller"))
DEFAULT_AMQP_PORT = 5673
KNOWN_OPTIONS = frozenset(("path", "backend", "pacemaker_agent"))

try:
    _LOADER = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _LOADER = yaml.SafeLoader


def __virtual__():
    return __virtualname__


def ext_pillar(minion_id, pillar, path="/etc/astute.yaml", backend="datera", **kwargs):
    """
    Return ``{"datera": {...}}`` for ``minion_id`` from Fuel's node file, or ``{}``.

    path
        The astute.yaml to read; ``{minion_id}`` in it is replaced by the minion id.

    backend
        The backend (cinder.conf section) name the plugin's settings go to.

    pacemaker_agent
        Optional: also set ``datera:pacemaker:agent`` (e.g. ``ocf:fuel:cinder-volume``, the
        agent the ``amqp_server_port``/``multibackend`` parameters belong to).
    """
    unknown = sorted(set(kwargs) - KNOWN_OPTIONS)
    if unknown:
        log.warning("datera_fuel: ignoring unknown ext_pillar option(s): %s", ", ".join(unknown))
    filename = str(path).replace("{minion_id}", str(minion_id))
    astute = read_astute(filename)
    if astute is None:
        return {}
    datera = build(astute, minion_id, backend, kwargs.get("pacemaker_agent"))
    return {"datera": datera} if datera else {}


# --- reading -------------------------------------------------------------------------------


def read_astute(filename):
    """Load the node file; ``None`` (and a warning naming the file) when it is not usable."""
    try:
        with open(filename, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_LOADER)
    except FileNotFoundError:
        log.warning("datera_fuel: %s does not exist: no datera pillar from Fuel", filename)
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        log.warning(
            "datera_fuel: cannot read %s (%s): no datera pillar from Fuel", filename, reason
        )
        return None
    except yaml.YAMLError as exc:
        log.warning(
            "datera_fuel: %s is not valid YAML%s: no datera pillar from Fuel",
            filename,
            _yaml_where(exc),
        )
        return None
    if not isinstance(data, dict):
        log.warning("datera_fuel: %s is not a YAML mapping: no datera pillar from Fuel", filename)
        return None
    return data


def _yaml_where(exc):
    """Line, column and problem of a YAML error, without the file's text (it holds secrets)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{where}: {problem}" if problem else where


def _dig(data, *keys):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _plain(value):
    """A plugin setting: flattened in astute.yaml, but ``{value: ...}`` in some dumps."""
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


# --- nodes and roles -----------------------------------------------------------------------


def nodes(astute):
    """Every node of the environment: ``[{"name", "fqdn", "uid", "roles"}]``."""
    found = {}
    meta_nodes = _dig(astute, "network_metadata", "nodes")
    if isinstance(meta_nodes, dict):
        for name, node in meta_nodes.items():
            node = node if isinstance(node, dict) else {}
            entry = _node_entry(node.get("name") or name, node)
            entry["roles"] = _role_list(node.get("node_roles"))
            found[entry["name"]] = entry
    elif isinstance(astute.get("nodes"), list):  # older files: one entry per node and role
        for node in astute["nodes"]:
            if not isinstance(node, dict) or not (node.get("name") or node.get("fqdn")):
                continue
            entry = _node_entry(node.get("name") or node.get("fqdn"), node)
            entry = found.setdefault(entry["name"], entry)
            entry["roles"] = entry.get("roles", []) + _role_list(node.get("role"))
    return list(found.values())


def _node_entry(name, node):
    return {
        "name": str(name),
        "fqdn": str(node.get("fqdn") or name),
        "uid": str(node.get("uid", "")),
        "user_node_name": str(node.get("user_node_name") or ""),
    }


def _role_list(value):
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(role) for role in value]
    return []


def _ids(node):
    fqdn = node["fqdn"]
    return {node["name"], fqdn, fqdn.split(".")[0], node["uid"], node["user_node_name"]} - {""}


def _find(all_nodes, *wanted):
    wanted = {str(w) for w in wanted if w not in (None, "")}
    for node in all_nodes:
        if _ids(node) & wanted:
            return node
    return None


def this_node_roles(astute, all_nodes, minion_id):
    """The roles of the node ``minion_id`` is, as Fuel gave them."""
    own = _find(all_nodes, astute.get("fqdn"), astute.get("uid"))
    named = _find(all_nodes, minion_id)
    if named is not None and named is not own:
        log.debug("datera_fuel: minion %s is node %s of the file", minion_id, named["name"])
        return named["roles"]
    if named is None:
        log.warning(
            "datera_fuel: minion id %s names no node of the Fuel file; taking the file's own "
            "node (%s) as this minion",
            minion_id,
            astute.get("fqdn") or astute.get("uid"),
        )
    roles = _role_list(astute.get("roles")) + _role_list(astute.get("role"))
    return roles + (own["roles"] if own else [])


def formula_role(roles):
    """primary-controller | controller | compute, or ``None`` for any other node."""
    return next((role for role in ROLE_ORDER if role in roles), None)


def controllers(all_nodes):
    """``(controller fqdns sorted, primary controller fqdn or None)``."""
    found = [node for node in all_nodes if CONTROLLER_ROLES & set(node["roles"])]
    primaries = sorted(n["fqdn"] for n in found if "primary-controller" in n["roles"])
    if len(primaries) > 1:
        log.warning("datera_fuel: several primary controllers in Fuel's file: %s", primaries)
    return sorted(n["fqdn"] for n in found), (primaries[0] if primaries else None)


# --- the pillar ----------------------------------------------------------------------------


def management_vip(astute):
    """Fuel 7.0+: ``network_metadata.vips.management.ipaddr``; Fuel <= 6.1: ``management_vip``."""
    vip = _dig(astute, "network_metadata", "vips", "management", "ipaddr")
    return str(vip or astute.get("management_vip") or "") or None


def release(astute):
    """The OpenStack release name from ``openstack_version`` (``newton-10.0`` → ``newton``)."""
    name = str(astute.get("openstack_version") or "").split("-")[0].strip().lower()
    return name if name.isalpha() else None


def keystone(astute, vip):
    """cinder's service account in Keystone (v3), reached at the management VIP; the
    account's names are the schema's defaults (Fuel's own: ``cinder`` in ``services``)."""
    defaults = datera_schema.defaults("keystone")
    names = ("port", "user", "project", "user_domain", "project_domain", "interface")
    host = f"[{vip}]" if _is_ipv6(vip) else vip
    return {
        **{key: defaults[key] for key in names},
        "host": vip,
        "auth_url": f"http://{host}:{defaults['port']}/v3",
        "password": str(_dig(astute, "cinder", "user_password") or ""),
    }


def _is_ipv6(value):
    try:
        return ipaddress.ip_address(value).version == 6
    except ValueError:
        return False


def plugin_settings(astute):
    """The plugin's settings when it is enabled in Fuel, else ``None``."""
    section = astute.get(PLUGIN)
    if not isinstance(section, dict):
        return None
    if not salt.utils.data.is_true(_dig(section, "metadata", "enabled")):
        return None
    return {key: _plain(value) for key, value in section.items() if key != "metadata"}


def backend_from_plugin(settings, name):
    """The plugin's settings as one ``datera:backends`` entry (validated later)."""
    return {
        "san_ip": settings.get("datera_mvip"),
        "san_login": settings.get("datera_admin_login"),
        "san_password": settings.get("datera_admin_password"),
        "replica_count": _replicas(settings.get("datera_num_replicas", "2")),
        "volume_backend_name": name,
    }


def _replicas(value):
    """'2' → 2; anything else is passed on for ``datera_pillar`` to report by key."""
    if isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return value


def build(astute, minion_id, backend="datera", pacemaker_agent=None):
    """The ``datera`` pillar dict for ``minion_id`` (empty for nodes the formula skips)."""
    all_nodes = nodes(astute)
    roles = this_node_roles(astute, all_nodes, minion_id)
    settings = plugin_settings(astute)
    role = formula_role(roles)
    if settings is not None and OLD_PLUGIN_ROLE in roles and role not in CONTROLLER_ROLES:
        role = "legacy"
    if role is None:
        log.debug("datera_fuel: %s is neither controller nor compute: no pillar", minion_id)
        return {}
    out = {"role": role}
    name = release(astute)
    if name:
        out["release"] = name
    vip = management_vip(astute)
    if vip:
        out["management_vip"] = vip
    else:
        log.warning("datera_fuel: no management VIP in Fuel's file (network_metadata.vips)")
    if role in ("compute", "legacy"):
        return out
    out["controllers"], out["primary_controller"] = controllers(all_nodes)
    if out["primary_controller"] is None and role == "primary-controller":
        out["primary_controller"] = _own_fqdn(astute, minion_id)
    if vip:
        out["keystone"] = keystone(astute, vip)
    out["pacemaker"] = _pacemaker(astute, pacemaker_agent)
    if settings is None:
        log.info("datera_fuel: %s is not enabled in Fuel: no datera backend", PLUGIN)
        return out
    multibackend = salt.utils.data.is_true(settings.get("multibackend", False))
    out["pacemaker"]["params"]["multibackend"] = "true" if multibackend else "false"
    out["backends"] = {backend: backend_from_plugin(settings, backend)}
    if role == "primary-controller" and any(OLD_PLUGIN_ROLE in n["roles"] for n in all_nodes):
        out["takeover"] = {"enabled": True}
    return out


def _own_fqdn(astute, minion_id):
    return str(astute.get("fqdn") or minion_id)


def _pacemaker(astute, agent):
    port = astute.get("amqp_port") or DEFAULT_AMQP_PORT
    out = {"params": {"amqp_server_port": str(port)}}
    if agent:
        out["agent"] = str(agent)
    return out
