"""
The pillar reference table, generated from the formula's own schema.

The keys and their defaults come from the code: the schema constants of
``_modules/datera_pillar.py`` (``TOP_KEYS``, ``CINDER_DEFAULTS``, ``BACKEND_KEYS``,
``DRIVER_OPTIONS``, ``API_DEFAULTS``, ``VOLUME_TYPE_KEYS``, ``PACEMAKER_DEFAULTS``,
``ISCSI_DEFAULTS``, ``KEYSTONE_DEFAULTS``), ``datera_pillar._normalise`` run on a minimal
pillar (for the defaults it fills in), the ``datera_volume_type.present`` state's signature
(volume type keys) and ``datera/defaults.yaml`` + ``datera/osfamilymap.yaml`` (``lookup``).
Only the descriptions below are written by hand; a key without one, or a description of a
key the schema does not have, is reported by ``problems()`` and fails the docs build::

    python docs/pillar_table.py docs/_generated/pillar-table.rst
"""

import importlib.util
import inspect
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]

B = "backends:<name>"
T = B + ":volume_types:<type>"

# key (below datera:) -> (type, description[, default text when the code's default needs words])
DESCRIPTIONS = {
    # --- top level
    "role": (
        "string",
        "This minion's part: ``primary-controller`` (exactly one: creates the Pacemaker "
        "resource and the volume types), ``controller`` or ``compute``. The orchestration "
        "targets minions by this key; a minion without it is left alone.",
        "none (set it, or let the ``datera_fuel`` ext_pillar set it)",
    ),
    "release": (
        "string",
        "OpenStack release of the installed cinder: a name (``newton``, ``ussuri``, "
        "``caracal``), a version (``2024.1``) or ``latest``. Decides the driver path "
        "and which options are written (``datera_num_replicas`` up to Train, "
        "``datera_volume_type_defaults`` from Ussuri; ``datera_api_version = 2`` up to Newton).",
    ),
    "cinder": ("mapping", "Where and how ``cinder.conf`` is written; keys below."),
    "backends": (
        "mapping",
        "One entry per Datera cluster. The key is the ``cinder.conf`` section name and is "
        "added to ``[DEFAULT] enabled_backends`` (other backends there are kept).",
    ),
    "pacemaker": ("mapping", "The cinder-volume Pacemaker primitive; keys below."),
    "iscsi": ("mapping", "iSCSI initiator settings of every node that attaches volumes."),
    "keystone": (
        "mapping",
        "Cinder's own Keystone account, used by the primary controller to manage the volume "
        "types. The Fuel ext_pillar fills it from ``astute.yaml``.",
    ),
    "lookup": (
        "mapping",
        "Distribution parameters (``datera/defaults.yaml`` merged with "
        "``datera/osfamilymap.yaml``); override any of them here.",
    ),
    "management_vip": (
        "string",
        "Informational; set by the Fuel ext_pillar (``network_metadata.vips.management``).",
    ),
    "controllers": ("list", "Informational; the controllers' FQDNs, set by the Fuel ext_pillar."),
    "primary_controller": (
        "string",
        "Informational; the primary controller's FQDN, set by the Fuel ext_pillar.",
    ),
    # --- cinder
    "cinder:conf_file": ("path", "The ``cinder.conf`` to manage (absolute path)."),
    "cinder:shared_host": (
        "string",
        "One value shared by every controller, so whichever controller runs cinder-volume "
        "manages every volume. Never change it on a cloud with volumes: Cinder would no "
        "longer find them (``cinder-manage volume update_host`` moves them).",
    ),
    "cinder:shared_host_option": (
        "string",
        "``backend_host``: written in each Datera section; ``host``: written as "
        "``[DEFAULT] host`` (affects every backend of that cinder-volume).",
    ),
    "cinder:group": (
        "string",
        "Group of ``cinder.conf`` and its backup (when the group exists); owner ``root``.",
    ),
    "cinder:mode": ("string", "Mode of ``cinder.conf`` and its backup (octal, quoted)."),
    "cinder:backup": (
        "boolean",
        "Keep the previous file as ``cinder.conf.datera-backup`` on every change.",
    ),
    "cinder:check_driver": (
        "boolean",
        "Pre-flight: cinder's Datera driver must import with the Python that runs cinder-volume.",
    ),
    "cinder:python": (
        "path",
        "That Python; empty: the interpreter named in ``/usr/bin/cinder-volume``'s first line.",
    ),
    # --- a backend
    B: ("mapping", "One Datera cluster; ``<name>`` is the ``cinder.conf`` section."),
    B + ":ensure": (
        "string",
        "``present``, or ``absent``: remove the section and its ``enabled_backends`` entry "
        "(no other key is needed then).",
    ),
    B + ":san_ip": (
        "string",
        "The cluster's management VIP (IP address or host name). Required.",
        "required",
    ),
    B + ":san_login": (
        "string",
        "Datera user cinder and the formula log in as. Required.",
        "required",
    ),
    B + ":san_password": (
        "string",
        "Its password. Required. Never shown: masked as ``******`` in every output.",
        "required",
    ),
    B + ":replica_count": (
        "integer",
        "1-5. Written as ``datera_volume_type_defaults = replica_count:N`` (Ussuri and "
        "later) or ``datera_num_replicas`` (older); default ``DF:replica_count`` of the "
        "backend's volume types.",
    ),
    B + ":volume_backend_name": (
        "string",
        "``volume_backend_name`` of the section (what volume types select).",
        "the backend's name",
    ),
    B + ":api": (
        "mapping",
        "How the formula's own API client (pre-flight, ``datera.*`` functions) reaches the "
        "cluster; not written to ``cinder.conf``.",
    ),
    B + ":volume_types": ("mapping", "Cinder volume types selecting this backend; keys below."),
    # --- driver options, written verbatim when set
    B + ":datera_503_timeout": (
        "integer",
        "Seconds cinder's driver (and the formula's client) keep retrying HTTP 503 answers.",
        "not written (cinder: 120)",
    ),
    B + ":datera_503_interval": (
        "integer",
        "Seconds between those retries.",
        "not written (cinder: 5)",
    ),
    B + ":datera_debug": ("boolean", "The driver's debug mode.", "not written"),
    B + ":datera_debug_replica_count_override": (
        "boolean",
        "Driver debug option (forces a replica count); not for production.",
        "not written",
    ),
    B + ":datera_tenant_id": (
        "string",
        "Datera tenant: empty or ``/root``, a name (``/root/<name>``), or ``Map`` (one tenant "
        "per OpenStack project). The formula's client uses it as its ``tenant`` header.",
        "not written",
    ),
    B + ":datera_ldap_server": (
        "string",
        "LDAP server name configured on the cluster, for an LDAP ``san_login``.",
        "not written",
    ),
    B + ":datera_enable_image_cache": ("boolean", "The driver's image cache.", "not written"),
    B + ":datera_image_cache_volume_type_id": (
        "string",
        "Volume type id used by that image cache.",
        "not written",
    ),
    B + ":datera_disable_profiler": ("boolean", "Turn the driver's profiler off.", "not written"),
    B + ":datera_disable_extended_metadata": (
        "boolean",
        "Do not send the driver's extended metadata.",
        "not written",
    ),
    B + ":datera_disable_template_override": (
        "boolean",
        "Do not let app templates override volume settings.",
        "not written",
    ),
    B + ":use_chap_auth": ("boolean", "CHAP authentication of iSCSI sessions.", "not written"),
    B + ":chap_username": ("string", "CHAP user name.", "not written"),
    B + ":chap_password": ("string", "CHAP secret (masked in every output).", "not written"),
    B + ":san_thin_provision": (
        "boolean",
        "Report thin provisioning to the scheduler.",
        "not written",
    ),
    B + ":reserved_percentage": (
        "integer",
        "Capacity the scheduler keeps free (%).",
        "not written",
    ),
    B + ":max_over_subscription_ratio": (
        "string",
        "Thin-provisioning over-subscription ratio (e.g. ``'20.0'`` or ``auto``).",
        "not written",
    ),
    B + ":image_volume_cache_enabled": (
        "boolean",
        "Cinder's generic image-volume cache for this backend.",
        "not written",
    ),
    # --- api
    B + ":api:scheme": ("string", "``https`` (port 7718) or ``http`` (port 7717, warned about)."),
    B + ":api:port": ("integer", "API port.", "7718 for https, 7717 for http"),
    B + ":api:ca_bundle": (
        "path",
        "CA bundle that signed the cluster's certificate (absolute path); empty: certifi's bundle.",
    ),
    B + ":api:cert_fingerprint": (
        "string",
        "Pin the certificate by its SHA-256 fingerprint ``AA:BB:...`` (read it with "
        "``salt-call datera.cert_fingerprint``, check it out of band).",
    ),
    B + ":api:verify": (
        "boolean",
        "``false`` turns certificate verification off: explicit, and warned about in every result.",
    ),
    B + ":api:timeout": ("integer", "Seconds per request (1-600)."),
    # --- volume types
    T: ("mapping", "One Cinder volume type; ``<type>`` is its name."),
    T + ":ensure": ("string", "``present`` or ``absent`` (delete the type)."),
    T + ":replica_count": ("integer", "``DF:replica_count`` (1-5).", "the backend's replica_count"),
    T + ":placement_mode": (
        "string",
        "``DF:placement_mode``: ``hybrid``, ``single_flash`` or ``all_flash`` (older Datera "
        "releases).",
        "not set",
    ),
    T + ":placement_policy": ("string", "``DF:placement_policy`` (Datera 3.3+).", "not set"),
    T + ":qos": (
        "mapping",
        "Datera QoS limits, each written as ``DF:<key>``: ``read_iops_max``, "
        "``write_iops_max``, ``total_iops_max``, ``read_bandwidth_max``, "
        "``write_bandwidth_max``, ``total_bandwidth_max``, ``iops_per_gb``, "
        "``bandwidth_per_gb`` (integers, 0 = no limit).",
    ),
    T + ":extra_specs": ("mapping", "Any other extra spec, verbatim (e.g. ``DF:ip_pool``)."),
    T + ":description": ("string", "The type's description.", "not set"),
    T + ":prune": (
        "boolean",
        "Remove ``DF:*`` extra specs the type has but pillar does not declare.",
    ),
    # --- pacemaker
    "pacemaker:manage": (
        "boolean",
        "Manage the cinder-volume primitive (create, update, remove when ``ensure`` is "
        "``absent``, restart on change) and install the OCF script. ``false``: leave "
        "Pacemaker alone.",
    ),
    "pacemaker:ensure": (
        "string",
        "The primitive's lifetime. ``auto``: created (and kept up to date) while some Datera "
        "backend is present; when none is, left alone -- cinder-volume may still serve other "
        "backends (``lvm``). ``present``: always. ``absent``: removed (uninstall). "
        "``datera_pillar.settings`` shows ``auto`` resolved: ``present`` or ``unmanaged``.",
    ),
    "pacemaker:resource_id": ("string", "Id of the primitive."),
    "pacemaker:agent": (
        "string",
        "``systemd:cinder-volume``, ``ocf:fuel:cinder-volume`` or "
        "``ocf:openstack:cinder-volume``; with an OCF agent every controller gets the "
        "formula's OCF script as ``<lookup:ocf_dir>/<provider>/<type>``.",
    ),
    "pacemaker:params": (
        "mapping",
        "Agent parameters (instance attributes), e.g. ``{amqp_server_port: 5673, "
        "multibackend: true}`` for the OCF agents.",
    ),
    "pacemaker:cib_file": (
        "path",
        "Work on a CIB file instead of the live cluster (offline use and tests).",
    ),
    "pacemaker:wait_timeout": (
        "integer",
        "Seconds the other controllers wait for the primary's resource, and "
        "``crm_resource --restart`` may take (0-3600).",
    ),
    "pacemaker:node_name": (
        "string",
        "This node's name in the Pacemaker cluster, to tell whether cinder-volume runs here; "
        "empty: the host's name (``uname -n``).",
    ),
    # --- iscsi
    "iscsi:initiator_file": ("path", "The initiator name file."),
    "iscsi:initiator_prefix": (
        "string",
        "IQN prefix of a newly created initiator name (an existing name is never changed).",
    ),
    "iscsi:multipath": (
        "boolean",
        "Install multipath and write Datera's device stanza to ``/etc/multipath.conf``.",
    ),
    # --- keystone
    "keystone:auth_url": (
        "string",
        "Keystone v3 URL.",
        "``http://<host>:<port>/v3``",
    ),
    "keystone:host": ("string", "Keystone host (e.g. the management VIP), for the default URL."),
    "keystone:port": ("integer", "Keystone port, for the default URL."),
    "keystone:user": ("string", "Cinder's service user."),
    "keystone:password": (
        "string",
        "Its password (masked in every output). Required for volume types.",
    ),
    "keystone:project": ("string", "Its project."),
    "keystone:user_domain": ("string", "The user's domain."),
    "keystone:project_domain": ("string", "The project's domain."),
    "keystone:interface": ("string", "Which catalog endpoint of Cinder to use."),
    "keystone:region": ("string", "Region of that endpoint (any when unset)."),
    "keystone:verify": ("boolean", "Verify Keystone's and Cinder's TLS certificates."),
    "keystone:ca_bundle": ("path", "CA bundle for them."),
    "keystone:timeout": ("integer", "Seconds per request."),
    "keystone:retries": ("integer", "Attempts per request (connection errors and HTTP 5xx)."),
    "keystone:retry_interval": (
        "integer",
        "Seconds before the next attempt, times the attempt number.",
    ),
}

LOOKUP_DESCRIPTIONS = {
    "pkg:cinder_volume": "Package that provides cinder-volume.",
    "pkg:iscsi": "iSCSI initiator package.",
    "pkg:multipath": "Multipath package (with ``iscsi:multipath``).",
    "service:cinder_volume": (
        "Distribution unit of cinder-volume: stopped and disabled (Pacemaker runs it)."
    ),
    "service:iscsid": "iSCSI daemon, enabled and running.",
    "service:multipathd": "Multipath daemon (with ``iscsi:multipath``).",
    "multipath_conf": "Multipath configuration file.",
    "multipath_conf_contents": "Its contents (Datera's device stanza).",
    "ocf_dir": "Root of the OCF resource agents (where an OCF agent's script is installed).",
    "manage_packages": "Install packages (``false`` in containers and the test harness).",
    "manage_services": "Manage init services (``false`` where there is no init system).",
}


def _load(kind, name):
    module_name = f"datera_formula_docs_{kind}_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, REPO / f"_{kind}" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _flatten(data, prefix=""):
    out = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flatten(value, path + ":"))
        else:
            out[path] = value
    return out


def schema():
    """``{key: default}`` for every pillar key below ``datera:``, from the code."""
    pillar = _load("modules", "datera_pillar")
    vt_state = _load("states", "datera_volume_type")
    sample = pillar._normalise(
        {
            "backends": {
                "example": {
                    "san_ip": "192.0.2.10",
                    "san_login": "admin",
                    "san_password": "x",
                    "volume_types": {"t": {}},
                }
            }
        }
    )
    backend = sample["backends"]["example"]
    keys = {}
    for key in sorted(pillar.TOP_KEYS, key=_top_order):
        keys[key] = (
            sample.get(key)
            if key not in ("cinder", "backends", "pacemaker", "iscsi", "keystone", "lookup")
            else {}
        )
    keys["release"] = sample["release"]
    for section, defaults in (
        ("cinder", pillar.CINDER_DEFAULTS),
        ("pacemaker", pillar.PACEMAKER_DEFAULTS),
        ("iscsi", pillar.ISCSI_DEFAULTS),
        ("keystone", pillar.KEYSTONE_DEFAULTS),
    ):
        for key in defaults:
            keys[f"{section}:{key}"] = defaults[key]
    keys[B] = {}
    backend_keys = [
        "ensure",
        "san_ip",
        "san_login",
        "san_password",
        "replica_count",
        "volume_backend_name",
        "api",
        "volume_types",
    ]
    backend_keys += [k for k in sorted(pillar.BACKEND_KEYS) if k not in backend_keys]
    for key in backend_keys:
        if key in pillar.DRIVER_OPTIONS:
            keys[f"{B}:{key}"] = None
        elif key in ("api", "volume_types"):
            keys[f"{B}:{key}"] = {}
        else:
            keys[f"{B}:{key}"] = backend.get(key)
    for key in pillar.API_DEFAULTS:
        keys[f"{B}:api:{key}"] = backend["api"][key] if key != "port" else None
    keys[T] = {}
    signature = inspect.signature(vt_state.present).parameters
    type_keys = ["ensure"] + [
        k for k in signature if k in pillar.VOLUME_TYPE_KEYS and k != "ensure"
    ]
    type_keys += sorted(set(pillar.VOLUME_TYPE_KEYS) - set(type_keys))
    for key in type_keys:
        if key == "ensure":
            keys[f"{T}:ensure"] = backend["volume_types"]["t"]["ensure"]
        else:
            default = signature[key].default if key in signature else None
            keys[f"{T}:{key}"] = (
                {} if key in ("qos", "extra_specs") and default is None else default
            )
    return keys, pillar


def _top_order(key):
    order = [
        "role",
        "release",
        "cinder",
        "backends",
        "pacemaker",
        "iscsi",
        "keystone",
        "lookup",
        "management_vip",
        "controllers",
        "primary_controller",
    ]
    return order.index(key) if key in order else len(order)


def lookup():
    """``{key: (default, RedHat value or None)}`` from defaults.yaml and osfamilymap.yaml."""
    defaults = yaml.safe_load((REPO / "datera" / "defaults.yaml").read_text())["values"]
    families = yaml.safe_load((REPO / "datera" / "osfamilymap.yaml").read_text()) or {}
    base = _flatten(defaults)
    redhat = _flatten(families.get("RedHat") or {})
    debian = _flatten(families.get("Debian") or {})
    return {key: (debian.get(key, value), redhat.get(key)) for key, value in base.items()}


def problems():
    """Keys without a description and descriptions without a key (each a string)."""
    keys, _ = schema()
    found = [
        f"pillar key datera:{k} has no description in docs/pillar_table.py"
        for k in keys
        if k not in DESCRIPTIONS
    ]
    found += [
        f"docs/pillar_table.py describes datera:{k}, which the schema does not have"
        for k in DESCRIPTIONS
        if k not in keys
    ]
    looked_up = lookup()
    found += [
        f"lookup key datera:lookup:{k} has no description in docs/pillar_table.py"
        for k in looked_up
        if k not in LOOKUP_DESCRIPTIONS
    ]
    found += [
        f"docs/pillar_table.py describes datera:lookup:{k}, which defaults.yaml does not have"
        for k in LOOKUP_DESCRIPTIONS
        if k not in looked_up
    ]
    return found


def _literal(value):
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "``true``" if value else "``false``"
    if isinstance(value, (dict, list)):
        return "``{}``" if isinstance(value, dict) and not value else f"``{value!r}``"
    if value == "":
        return "``''``"
    return f"``{value}``"


def _table(rows):
    out = [".. list-table::", "   :header-rows: 1", "   :widths: 30 9 16 45", ""]
    for row in [("Key", "Type", "Default", "Meaning")] + rows:
        for i, cell in enumerate(row):
            out.append(("   * - " if i == 0 else "     - ") + cell)
    out.append("")
    return "\n".join(out)


SECTIONS = (
    ("Top level", lambda k: ":" not in k),
    ("``cinder``", lambda k: k.startswith("cinder:")),
    (
        "``backends:<name>``",
        lambda k: k.startswith(B) and ":api" not in k and ":volume_types:" not in k,
    ),
    ("``backends:<name>:api``", lambda k: k.startswith(B + ":api:")),
    ("``backends:<name>:volume_types:<type>``", lambda k: k.startswith(T)),
    ("``pacemaker``", lambda k: k.startswith("pacemaker:")),
    ("``iscsi``", lambda k: k.startswith("iscsi:")),
    ("``keystone``", lambda k: k.startswith("keystone:")),
)


def render():
    keys, pillar = schema()
    out = [
        ".. Generated by docs/pillar_table.py from _modules/datera_pillar.py -- do not edit.",
        "",
    ]
    for title, belongs in SECTIONS:
        rows = []
        for key, default in keys.items():
            if not belongs(key) or key not in DESCRIPTIONS:
                continue
            kind, text, *words = DESCRIPTIONS[key]
            if key.startswith(B + ":") and key.split(":")[-1] in pillar.DRIVER_OPTIONS:
                kind = {"int": "integer", "bool": "boolean", "str": "string"}[
                    pillar.DRIVER_OPTIONS[key.split(":")[-1]]
                ]
            shown = words[0] if words else _literal(default)
            rows.append((f"``datera:{key}``", kind, shown, text))
        out += [title, "-" * len(title), "", _table(rows)]
    title = "``lookup``"
    rows = []
    for key, (value, redhat) in lookup().items():
        shown = "(see ``datera/defaults.yaml``)" if "\n" in str(value) else _literal(value)
        if redhat is not None and redhat != value:
            shown += f"; RedHat: {_literal(redhat)}"
        kind = "boolean" if isinstance(value, bool) else "string"
        rows.append((f"``datera:lookup:{key}``", kind, shown, LOOKUP_DESCRIPTIONS.get(key, "")))
    out += [title, "-" * len(title), "", _table(rows)]
    return "\n".join(out)


def write(path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render()
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python docs/pillar_table.py OUTPUT.rst")
    sys.path.insert(0, str(REPO))
    for problem in problems():
        print(f"warning: {problem}", file=sys.stderr)
    print(write(sys.argv[1]))
