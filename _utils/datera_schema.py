"""
The ``datera`` pillar's schema: every key with its type, default, allowed values, meaning
and whether it is a secret, in one table (``FIELDS``), and the validator that reads it.

Everything else reads this table: ``datera_pillar.settings`` (validation and defaults),
the Fuel ext_pillar (its Keystone defaults), ``datera_cib`` (its Pacemaker defaults) and
``docs/pillar_table.py`` (the pillar reference). A bad value is reported naming its key
path (``datera:backends:datera:api:port: must be between 1 and 65535, got 70000``), every
problem at once, before anything changes.

Pure Python with no Salt dunders: imported by name by the modules (as ``datera`` imports
``datera_api``), the docs and the unit tests.
"""

import copy
import ipaddress
import re
from typing import NamedTuple

from salt.exceptions import CommandExecutionError


class Field(NamedTuple):
    """One pillar key. ``path`` is below ``datera:``, colon-separated; ``<name>`` and
    ``<type>`` stand for the user's own keys (a backend, a volume type)."""

    path: str
    kind: str  # str int bool choice host path pattern list release any params section ...
    default: object
    doc: str
    choices: tuple = ()
    low: int = None
    high: int = None
    pattern: str = None  # a regular expression the value must match (kind pattern)
    what: str = ""  # what that pattern describes, for the error and the docs
    secret: bool = False  # shown as ****** (datera_secrets decides by the key's name)
    required: bool = False
    driver: bool = False  # an option of cinder's Datera driver, written verbatim when set
    shown: str = ""  # the default in words, where the value alone would mislead


ROLES = ("primary-controller", "controller", "compute", "legacy")
B = "backends:<name>"
T = B + ":volume_types:<type>"
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_SECTION = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_OPTION = re.compile(r"^[a-z][a-z0-9_]*$")
_NOT_WRITTEN = "not written"

# fmt: off
FIELDS = (
    # --- top level
    Field("role", "choice", None, "This minion's part: ``primary-controller`` (exactly one: "
          "creates the Pacemaker resource and the volume types), ``controller``, "
          "``compute``, or ``legacy``: a node where the old Fuel plugin configured Datera "
          "for its own cinder-volume (its Datera backend is taken out, see ``takeover``). "
          "The orchestration targets minions by this key; a minion without it is left "
          "alone.", choices=ROLES,
          shown="none (set it, or let the ``datera_fuel`` ext_pillar set it)"),
    Field("release", "release", "latest", "OpenStack release of the installed cinder: a name "
          "(``newton``, ``ussuri``, ``caracal``), a version (``2024.1``) or ``latest``. Decides "
          "the driver path and which options are written (``datera_num_replicas`` up to Train, "
          "``datera_volume_type_defaults`` from Ussuri; ``datera_api_version = 2`` up to "
          "Newton) and accepted; liberty, mitaka and newton are accepted but unverified."),
    Field("cinder", "section", {}, "Where and how ``cinder.conf`` is written; keys below."),
    Field("backends", "any", {}, "One entry per Datera cluster. The key is the ``cinder.conf`` "
          "section name and is added to ``[DEFAULT] enabled_backends`` (other backends there "
          "are kept)."),
    Field("pacemaker", "section", {}, "The cinder-volume Pacemaker primitive; keys below."),
    Field("iscsi", "section", {}, "iSCSI initiator settings of every node that attaches "
          "volumes (computes and controllers)."),
    Field("keystone", "section", {}, "Cinder's own Keystone account, used by the primary "
          "controller to manage the volume types. The Fuel ext_pillar fills it from "
          "``astute.yaml``."),
    Field("takeover", "section", {}, "Taking over a cloud the old Fuel plugin "
          "(fuel-plugin-datera-cinder) configured; keys below."),
    Field("lookup", "any", {}, "Distribution parameters (``datera/defaults.yaml`` merged with "
          "``datera/osfamilymap.yaml``); override any of them here (listed below)."),
    Field("management_vip", "host", None, "Informational; set by the Fuel ext_pillar "
          "(``network_metadata.vips.management``)."),
    Field("controllers", "list", [], "Informational; the controllers' FQDNs, set by the Fuel "
          "ext_pillar."),
    Field("primary_controller", "any", None, "Informational; the primary controller's FQDN, "
          "set by the Fuel ext_pillar."),
    # --- cinder
    Field("cinder:conf_file", "path", "/etc/cinder/cinder.conf", "The ``cinder.conf`` to "
          "manage."),
    Field("cinder:shared_host", "host", "cinder", "One value shared by every controller, so "
          "whichever controller runs cinder-volume manages every volume. Never change it on a "
          "cloud with volumes: Cinder would no longer find them (``cinder-manage volume "
          "update_host`` moves them)."),
    Field("cinder:shared_host_option", "choice", "backend_host", "``backend_host``: written in "
          "each Datera section; ``host``: written as ``[DEFAULT] host`` (affects every backend "
          "of that cinder-volume).", choices=("backend_host", "host")),
    Field("cinder:group", "str", "cinder", "Group of ``cinder.conf`` and its backup (when the "
          "group exists); owner ``root``."),
    Field("cinder:mode", "pattern", "0640", "Mode of ``cinder.conf`` and its backup (quote "
          "it in YAML).", pattern=r"^0?[0-7]{3}$", what="octal file mode like 0640"),
    Field("cinder:backup", "bool", True, "Keep the previous file as "
          "``cinder.conf.datera-backup`` on every change."),
    Field("cinder:check_driver", "bool", True, "Pre-flight: cinder's Datera driver must import "
          "with the Python that runs cinder-volume."),
    Field("cinder:python", "path", "", "That Python; empty: the interpreter named in "
          "``/usr/bin/cinder-volume``'s first line."),
    # --- a backend
    Field(B, "backend", {}, "One Datera cluster; ``<name>`` is the ``cinder.conf`` section "
          "(letters, digits, ``_``, ``.``, ``-``; not ``DEFAULT``)."),
    Field(B + ":ensure", "choice", "present", "``present``, or ``absent``: remove the section "
          "and its ``enabled_backends`` entry (no other key is needed then).",
          choices=("present", "absent")),
    Field(B + ":san_ip", "host", None, "The cluster's management VIP.", required=True),
    Field(B + ":san_login", "str", None, "Datera user cinder and the formula log in as.",
          required=True),
    Field(B + ":san_password", "str", None, "Its password; or ``sdb://<profile>/<key>``, or "
          "GPG-encrypted pillar.", required=True, secret=True),
    Field(B + ":replica_count", "int", 3, "Written as ``datera_volume_type_defaults = "
          "replica_count:N`` (Ussuri and later) or ``datera_num_replicas`` (older); default "
          "``DF:replica_count`` of the backend's volume types.", low=1, high=5),
    Field(B + ":volume_backend_name", "pattern", None, "``volume_backend_name`` of the section "
          "(what volume types select).", pattern=_SECTION, what="backend name",
          shown="the backend's name"),
    Field(B + ":api", "section", {}, "How the formula's own API client (pre-flight, "
          "``datera.*`` functions) reaches the cluster; not written to ``cinder.conf``."),
    Field(B + ":volume_types", "volume_types", {}, "Cinder volume types selecting this "
          "backend (``volume_backend_name=<name>`` and ``DF:*`` extra specs), created from "
          "the primary controller; keys below. Each carries the marker "
          "``datera_formula:managed=true`` (ignored by cinder's scheduler and the Datera "
          "driver); a marked type of this backend whose key is removed here is deleted on "
          "the next run (keep ``volume_types: {}`` to remove the last one). Types without "
          "the marker (made by hand) are never touched."),
    # --- options of cinder's Datera driver (and the generic SAN/CHAP/backend options it
    # reads); checked against cinder's own definitions in the tests
    Field(B + ":datera_503_timeout", "int", None, "Seconds cinder's driver (and the formula's "
          "client) keep retrying HTTP 503 answers.", low=0, driver=True,
          shown="not written (cinder: 120)"),
    Field(B + ":datera_503_interval", "int", None, "Seconds between those retries.", low=0,
          driver=True, shown="not written (cinder: 5)"),
    Field(B + ":datera_debug", "bool", None, "The driver's debug mode.", driver=True),
    Field(B + ":datera_debug_replica_count_override", "bool", None, "Driver debug option "
          "(forces a replica count); not for production.", driver=True),
    Field(B + ":datera_tenant_id", "str", None, "Datera tenant: empty or ``/root``, a name "
          "(``/root/<name>``), or ``Map`` (one tenant per OpenStack project). The formula's "
          "client uses it as its ``tenant`` header.", driver=True),
    Field(B + ":datera_ldap_server", "str", None, "LDAP server name configured on the "
          "cluster, for an LDAP ``san_login``.", driver=True),
    Field(B + ":datera_enable_image_cache", "bool", None, "The driver's image cache.",
          driver=True),
    Field(B + ":datera_image_cache_volume_type_id", "str", None, "Volume type id used by that "
          "image cache.", driver=True),
    Field(B + ":datera_disable_profiler", "bool", None, "Turn the driver's profiler off.",
          driver=True),
    Field(B + ":datera_disable_extended_metadata", "bool", None, "Do not send the driver's "
          "extended metadata.", driver=True),
    Field(B + ":datera_disable_template_override", "bool", None, "Do not let app templates "
          "override volume settings.", driver=True),
    Field(B + ":use_chap_auth", "bool", None, "CHAP authentication of iSCSI sessions.",
          driver=True),
    Field(B + ":chap_username", "str", None, "CHAP user name.", driver=True),
    Field(B + ":chap_password", "str", None, "CHAP secret.", driver=True, secret=True),
    Field(B + ":san_thin_provision", "bool", None, "Report thin provisioning to the "
          "scheduler.", driver=True),
    Field(B + ":reserved_percentage", "int", None, "Capacity the scheduler keeps free (%).",
          low=0, driver=True),
    Field(B + ":max_over_subscription_ratio", "str", None, "Thin-provisioning "
          "over-subscription ratio (``'20.0'``, or ``auto`` from Queens; a number before).",
          driver=True),
    Field(B + ":image_volume_cache_enabled", "bool", None, "Cinder's generic image-volume "
          "cache for this backend.", driver=True),
    # --- api
    Field(B + ":api:scheme", "choice", "https", "``https`` (port 7718) or ``http`` (port "
          "7717, warned about).", choices=("https", "http")),
    Field(B + ":api:port", "int", None, "API port.", low=1, high=65535,
          shown="7718 for https, 7717 for http"),
    Field(B + ":api:ca_bundle", "path", "", "CA bundle that signed the cluster's certificate; "
          "empty: certifi's bundle."),
    Field(B + ":api:cert_fingerprint", "pattern", "", "Pin the certificate by its SHA-256 "
          "fingerprint (read it with ``salt-call datera.cert_fingerprint``, check it out of "
          "band).", pattern=r"^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$",
          what="SHA-256 fingerprint like AA:BB:... (32 bytes)"),
    Field(B + ":api:verify", "bool", True, "``false`` turns certificate verification off: "
          "explicit, and warned about in every result."),
    Field(B + ":api:timeout", "int", 30, "Seconds per request.", low=1, high=600),
    # --- volume types: ensure is checked here, the rest by datera_volume_type
    Field(T, "mapping", {}, "One Cinder volume type; ``<type>`` is its name."),
    Field(T + ":ensure", "choice", "present", "``present``, or ``absent``: delete the type.",
          choices=("present", "absent")),
    Field(T + ":replica_count", "int", None, "``DF:replica_count``.", low=1, high=5,
          shown="the backend's replica_count"),
    Field(T + ":placement_mode", "choice", None, "``DF:placement_mode`` (older Datera "
          "releases).", choices=("hybrid", "single_flash", "all_flash"), shown="not set"),
    Field(T + ":placement_policy", "str", None, "``DF:placement_policy`` (Datera 3.3+).",
          shown="not set"),
    Field(T + ":qos", "mapping", {}, "Datera QoS limits, each written as ``DF:<key>``: "
          "``read_iops_max``, ``write_iops_max``, ``total_iops_max``, ``read_bandwidth_max``, "
          "``write_bandwidth_max``, ``total_bandwidth_max``, ``iops_per_gb``, "
          "``bandwidth_per_gb`` (integers, 0 = no limit)."),
    Field(T + ":extra_specs", "mapping", {}, "Any other extra spec, verbatim (e.g. "
          "``DF:ip_pool``)."),
    Field(T + ":description", "str", None, "The type's description.", shown="not set"),
    Field(T + ":prune", "bool", True, "Remove ``DF:*`` extra specs the type has but pillar "
          "does not declare."),
    # --- pacemaker
    Field("pacemaker:manage", "bool", True, "Manage the cinder-volume primitive (create, "
          "update, remove when ``ensure`` is ``absent``, restart on change) and install the "
          "OCF script. ``false``: leave Pacemaker alone."),
    Field("pacemaker:resource_id", "pattern", "p_cinder-volume", "Id of the primitive.",
          pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", what="Pacemaker resource id"),
    Field("pacemaker:agent", "pattern", "systemd:cinder-volume", "``systemd:cinder-volume``, "
          "``ocf:fuel:cinder-volume`` or ``ocf:openstack:cinder-volume``; with an OCF agent "
          "every controller gets the formula's OCF script as "
          "``<lookup:ocf_dir>/<provider>/<type>``.",
          pattern=r"^(systemd:[A-Za-z0-9@_.-]+|ocf:[a-z0-9_-]+:[A-Za-z0-9_.-]+"
          r"|lsb:[A-Za-z0-9_.-]+)$",
          what="resource agent (systemd:<unit> or ocf:<provider>:<type>)"),
    Field("pacemaker:params", "params", {}, "Agent parameters (instance attributes), e.g. "
          "``{amqp_server_port: 5673, multibackend: true}`` for the OCF agents."),
    Field("pacemaker:cib_file", "path", "", "Work on a CIB file instead of the live cluster "
          "(offline use and tests)."),
    Field("pacemaker:wait_timeout", "int", 60, "Seconds the other controllers wait for the "
          "primary's resource, and ``crm_resource --restart`` may take.", low=0, high=3600),
    Field("pacemaker:node_name", "pattern", "", "This node's name in the Pacemaker cluster, "
          "to tell whether cinder-volume runs here; empty: the host's name (``uname -n``).",
          pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$", what="cluster node name"),
    Field("pacemaker:ensure", "choice", "auto", "The primitive's lifetime. ``auto``: created "
          "(and kept up to date) while some Datera backend is present; when none is, left "
          "alone -- cinder-volume may still serve other backends (``lvm``). ``present``: "
          "always. ``absent``: removed (uninstall). ``datera_pillar.settings`` shows ``auto`` "
          "resolved: ``present`` or ``unmanaged``.", choices=("auto", "present", "absent")),
    # --- iscsi
    Field("iscsi:initiator_file", "path", "/etc/iscsi/initiatorname.iscsi", "The initiator "
          "name file."),
    Field("iscsi:initiator_prefix", "pattern", "iqn.1993-08.org.debian:01", "IQN prefix of a "
          "newly created initiator name (an existing name is never changed).",
          pattern=r"^iqn\.\d{4}-\d{2}\.[a-z0-9.-]+(:[A-Za-z0-9.:-]+)?$",
          what="IQN prefix like iqn.YYYY-MM.reversed.domain[:x]"),
    Field("iscsi:multipath", "bool", False, "Install multipath and write Datera's device "
          "stanza to ``/etc/multipath.conf``."),
    # --- keystone
    Field("keystone:auth_url", "str", None, "Keystone v3 URL.",
          shown="``http://<host>:<port>/v3``"),
    Field("keystone:host", "host", None, "Keystone host (e.g. the management VIP), for the "
          "default URL."),
    Field("keystone:port", "int", 5000, "Keystone port, for the default URL.", low=1,
          high=65535),
    Field("keystone:user", "str", "cinder", "Cinder's service user."),
    Field("keystone:password", "str", None, "Its password. Required for volume types.",
          secret=True),
    Field("keystone:project", "str", "services", "Its project."),
    Field("keystone:user_domain", "str", "Default", "The user's domain."),
    Field("keystone:project_domain", "str", "Default", "The project's domain."),
    Field("keystone:interface", "str", "internal", "Which catalog endpoint of Cinder to use."),
    Field("keystone:region", "str", None, "Region of that endpoint (any when unset)."),
    Field("keystone:verify", "bool", True, "Verify Keystone's and Cinder's TLS certificates."),
    Field("keystone:ca_bundle", "path", "", "CA bundle for them."),
    Field("keystone:timeout", "int", 30, "Seconds per request.", low=0, high=600),
    Field("keystone:retries", "int", 3, "Attempts per request (connection errors and HTTP "
          "5xx).", low=0, high=600),
    Field("keystone:retry_interval", "int", 2, "Seconds before the next attempt, times the "
          "attempt number.", low=0, high=600),
    # --- takeover
    Field("takeover:enabled", "bool", False, "On the primary controller: move the volumes "
          "each Datera cluster holds that Cinder has under other hosts (the old plugin's "
          "``node-5@datera``) to the shared host, once no cinder-volume serves those hosts "
          "any more (``cinder-manage volume update_host``). Pre-flight refuses volume types "
          "that would no longer match."),
    Field("takeover:cinder_manage", "str", "cinder-manage", "The command running "
          "``cinder-manage`` with the cloud's database configuration, on the primary "
          "controller and on ``legacy`` nodes (e.g. ``cinder-manage --config-file "
          "/etc/cinder/cinder.conf``)."),
)
# fmt: on
SCHEMA = {field.path: field for field in FIELDS}

# datera:lookup: map.jinja's parameters (values in datera/defaults.yaml, osfamilymap.yaml)
LOOKUP = {
    "pkg:cinder_volume": "Package that provides cinder-volume.",
    "pkg:iscsi": "iSCSI initiator package.",
    "pkg:multipath": "Multipath package (with ``iscsi:multipath``).",
    "service:cinder_volume": "Distribution unit of cinder-volume: stopped and disabled "
    "(Pacemaker runs it).",
    "service:iscsid": "iSCSI daemon, enabled and running.",
    "service:multipathd": "Multipath daemon (with ``iscsi:multipath``).",
    "multipath_conf": "Multipath configuration file.",
    "multipath_conf_contents": "Its contents (Datera's device stanza).",
    "ocf_dir": "Where OCF resource agents are installed (``<ocf_dir>/<provider>/<type>``).",
    "manage_packages": "Install packages (``false`` in containers and the test harness).",
    "manage_services": "Manage init services (``false`` where there is no init system).",
}


def children(prefix):
    """``{key: Field}`` of the keys directly below ``prefix`` (``""``: the top level)."""
    depth = prefix.count(":") + 1 if prefix else 0
    start = prefix + ":" if prefix else ""
    return {
        field.path.split(":")[-1]: field
        for field in FIELDS
        if field.path.startswith(start) and field.path.count(":") == depth
    }


def defaults(prefix):
    """The defaults of the keys below ``prefix``, e.g. ``defaults("keystone")``."""
    return {key: copy.deepcopy(field.default) for key, field in children(prefix).items()}


TOP_KEYS = set(children(""))
DRIVER_OPTIONS = {key: f.kind for key, f in children(B).items() if f.driver}
BACKEND_KEYS = set(children(B))
VOLUME_TYPE_KEYS = set(children(T))
CINDER_DEFAULTS = defaults("cinder")
API_DEFAULTS = defaults(B + ":api")
PACEMAKER_DEFAULTS = defaults("pacemaker")
ISCSI_DEFAULTS = defaults("iscsi")
KEYSTONE_DEFAULTS = defaults("keystone")


def split_agent(agent):
    """``ocf:datera:cinder-volume`` → ``("ocf", "datera", "cinder-volume")``; the provider
    is ``""`` for ``systemd:``/``lsb:`` agents."""
    parts = str(agent).split(":")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else (parts[0], "", parts[-1])


# --- the OpenStack releases --------------------------------------------------------------
# release -> what that release's cinder reads for a Datera backend: the driver's class, the
# option that takes the replica count (None: only volume types set it), options written as
# they are, which DRIVER_OPTIONS exist, and where an option's type differs.
# tests/fixtures/cinder-datera-options.json holds what each release's own source defines
# (tests/support/cinder_release_matrix.py reads it from the sdists on PyPI) and
# tests/unit/test_release_table.py checks this table against it.
DRIVER = "cinder.volume.drivers.datera.datera_iscsi.DateraDriver"
_OPTIONS_OCATA = set(DRIVER_OPTIONS) - {
    "datera_disable_profiler",
    "datera_ldap_server",
    "datera_enable_image_cache",
    "datera_image_cache_volume_type_id",
    "datera_disable_extended_metadata",
    "datera_disable_template_override",
}
_OPTIONS_PIKE = _OPTIONS_OCATA | {"datera_disable_profiler"}
_OPTIONS_USSURI = set(DRIVER_OPTIONS)
_FLOAT_RATIO = {"max_over_subscription_ratio": "float"}
# cinder has no sdist on PyPI before 10.0.8 (Ocata): what the formula writes for these is
# what the Fuel plugin wrote, not checked against cinder's source.
UNVERIFIED = "no cinder sdist of this release on PyPI to check it against"
_PRE_OCATA = {
    "driver": "cinder.volume.drivers.datera.DateraDriver",
    "replicas": "datera_num_replicas",
    "fixed": {"datera_api_version": "2"},
    "options": _OPTIONS_OCATA,
    "kinds": _FLOAT_RATIO,
    "unverified": UNVERIFIED,
}


def _spec(replicas, options, kinds=None):
    return {
        "driver": DRIVER,
        "replicas": replicas,
        "fixed": {},
        "options": options,
        "kinds": kinds or {},
        "unverified": None,
    }


_USSURI_ON = ("ussuri", "victoria", "wallaby", "xena", "yoga", "zed", "2023.1", "2023.2", "2024.1",
              "2024.2", "2025.1", "2025.2", "2026.1", "2026.2")  # fmt: skip
RELEASES = {
    **dict.fromkeys(("liberty", "mitaka", "newton"), _PRE_OCATA),
    "ocata": _spec(None, _OPTIONS_OCATA, _FLOAT_RATIO),
    "pike": _spec(None, _OPTIONS_PIKE, _FLOAT_RATIO),
    **{name: _spec(None, _OPTIONS_PIKE) for name in ("queens", "rocky", "stein", "train")},
    **{name: _spec("datera_volume_type_defaults", _OPTIONS_USSURI) for name in _USSURI_ON},
}
RELEASE_ALIASES = {
    "latest": "2026.2",
    "antelope": "2023.1",
    "bobcat": "2023.2",
    "caracal": "2024.1",
    "dalmatian": "2024.2",
    "epoxy": "2025.1",
    "flamingo": "2025.2",
    "gazpacho": "2026.1",
}


# --- checking one value: each returns the normalised value or records an error -----------


class _Errors(list):
    def add(self, path, message):
        self.append(f"{':'.join(path)}: {message}")


def _str(value, path, errors, allow_empty=True):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        errors.add(path, f"must be a string, got {type(value).__name__}")
        return None
    value = str(value)
    if any(ch in value for ch in "\r\n\x00"):
        errors.add(
            path, "must not contain a newline or NUL (it would inject lines into cinder.conf)"
        )
        return None
    if not allow_empty and not value.strip():
        errors.add(path, "must not be empty")
        return None
    return value


def _int(value, path, errors, low=None, high=None):
    if isinstance(value, bool):
        errors.add(path, "must be an integer, got a boolean")
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(path, f"must be an integer, got {value!r}")
        return None
    if (low is not None and number < low) or (high is not None and number > high):
        limits = f"between {low} and {high}" if high is not None else f"at least {low}"
        errors.add(path, f"must be {limits}, got {number}")
        return None
    return number


def _bool(value, path, errors):
    """Strict, unlike ``salt.utils.data.is_true``: a typo like ``ture`` is an error."""
    word = str(value).strip().lower()
    if isinstance(value, bool) or word in ("true", "yes", "1", "on", "false", "no", "0", "off"):
        return value if isinstance(value, bool) else word in ("true", "yes", "1", "on")
    errors.add(path, f"must be true or false, got {value!r}")
    return None


def _host(value, path, errors):
    value = _str(value, path, errors, allow_empty=False)
    if value is None:
        return None
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if re.match(r"^[0-9.]+$", value) or not _HOSTNAME.match(value):
        errors.add(path, f"{value!r} is not a valid IP address or host name")
        return None
    return value


def _choice(value, path, errors, choices):
    if value not in choices:
        errors.add(path, f"must be one of {', '.join(choices)}, got {value!r}")
        return None
    return value


def _pattern(value, path, errors, regex, what, allow_empty=False):
    value = _str(value, path, errors, allow_empty=allow_empty)
    if value and not re.match(regex, value):
        errors.add(path, f"{value!r} is not a valid {what}")
        return None
    return value


def _path(value, path, errors):
    value = _str(value, path, errors)
    if value and not value.startswith("/"):
        errors.add(path, f"must be an absolute path, got {value!r}")
        return None
    return value


def _mapping(value, path, errors):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(path, f"must be a mapping, got {type(value).__name__}")
        return None
    return value


def _list(value, path, errors):
    if not isinstance(value, list):
        errors.add(path, f"must be a list, got {type(value).__name__}")
        return []
    return [_str(item, path + [str(i)], errors) for i, item in enumerate(value)]


def _release(value, path, errors):
    name = str(value).strip().lower()
    name = RELEASE_ALIASES.get(name, name)
    if name not in RELEASES:
        errors.add(
            path,
            f"unknown OpenStack release {value!r}; use one of {', '.join(RELEASES)}, latest "
            "(or a code name like caracal)",
        )
        return None
    return name


def _params(value, path, errors):
    out = {}
    for key, item in (_mapping(value, path, errors) or {}).items():
        if not _OPTION.match(str(key)):
            errors.add(path + [str(key)], "is not a valid agent parameter name")
            continue
        if isinstance(item, bool):
            item = "true" if item else "false"
        out[str(key)] = _str(item, path + [str(key)], errors)
    return out


_CHECKS = {
    "str": lambda f, v, p, e: _str(v, p, e),
    "int": lambda f, v, p, e: _int(v, p, e, f.low, f.high),
    "bool": lambda f, v, p, e: _bool(v, p, e),
    "choice": lambda f, v, p, e: _choice(v, p, e, f.choices),
    "host": lambda f, v, p, e: _host(v, p, e),
    "path": lambda f, v, p, e: _path(v, p, e),
    "pattern": lambda f, v, p, e: _pattern(v, p, e, f.pattern, f.what, f.default == ""),
    "list": lambda f, v, p, e: _list(v, p, e),
    "release": lambda f, v, p, e: _release(v, p, e),
    "params": lambda f, v, p, e: _params(v, p, e),
    "section": lambda f, v, p, e: _section(v, f.path, p, e),
    "volume_types": lambda f, v, p, e: _volume_types(v, p, e),
    "mapping": lambda f, v, p, e: _mapping(v, p, e),
    "any": lambda f, v, p, e: v,
}


def _check(field, value, path, errors):
    """One value checked against its field; a missing (or null) value takes the default."""
    if value is None:
        value = copy.deepcopy(field.default)
    if value is None or (value == "" and field.kind == "host" and field.default is None):
        return None
    return _CHECKS[field.kind](field, value, path, errors)


def _unknown(given, known, path, errors):
    for key in sorted(set(given) - set(known)):
        errors.add(path + [str(key)], "unknown key (typo?)")


def _section(raw, prefix, path, errors):
    """The keys below ``prefix``: unknown ones reported, defaults filled, each checked."""
    raw = _mapping(raw, path, errors) or {}
    fields = children(prefix)
    _unknown(raw, fields, path, errors)
    return {key: _check(field, raw.get(key), path + [key], errors) for key, field in fields.items()}


# --- the parts with rules beyond one value -----------------------------------------------


def _driver_option(key, value, path, errors, release):
    kind = RELEASES[release]["kinds"].get(key) if release else None
    if kind == "float":
        try:
            return str(float(str(value).strip()))
        except ValueError:
            errors.add(path, f"must be a number in this release, got {value!r}")
            return None
    return _check(SCHEMA[f"{B}:{key}"], value, path, errors)


def _backend(name, raw, path, errors, release=None):
    if not re.match(_SECTION, str(name)) or str(name).upper() == "DEFAULT":
        errors.add(
            path,
            "backend name must be a valid cinder.conf section name "
            "(letters, digits, '_', '.', '-'; not DEFAULT)",
        )
    raw = _mapping(raw, path, errors)
    if raw is None:
        return None
    fields = children(B)
    _unknown(raw, fields, path, errors)
    out = {
        "name": str(name),
        "ensure": _check(fields["ensure"], raw.get("ensure"), path + ["ensure"], errors),
    }
    if out["ensure"] == "absent":
        if raw.get("volume_types"):  # so that its volume types can be removed with it
            out["volume_types"] = _volume_types(
                raw["volume_types"], path + ["volume_types"], errors
            )
        return out
    raw = {"volume_backend_name": str(name), **{k: v for k, v in raw.items() if v is not None}}
    for key, field in fields.items():
        if field.required and raw.get(key) in (None, ""):
            errors.add(path + [key], "is required")
        elif key != "ensure" and not field.driver:
            out[key] = _check(field, raw.get(key), path + [key], errors)
    out["options"] = {
        key: _driver_option(key, raw[key], path + [key], errors, release)
        for key in DRIVER_OPTIONS
        if raw.get(key) is not None
    }
    if release:
        for key in sorted(set(out["options"]) - RELEASES[release]["options"]):
            errors.add(path + [key], f"is not an option of cinder's Datera driver in {release}")
    return _backend_derived(out)


def _backend_derived(out):
    """What the modules read without knowing the defaults of cinder's driver."""
    options, api = out["options"], out["api"]
    out["datera_tenant_id"] = options.get("datera_tenant_id")
    out["datera_ldap_server"] = options.get("datera_ldap_server") or None
    out["datera_503_interval"] = options.get("datera_503_interval", 5)
    out["datera_503_timeout"] = options.get("datera_503_timeout", 120)
    if api["port"] is None:
        api["port"] = 7717 if api["scheme"] == "http" else 7718
    api["cert_fingerprint"] = (api["cert_fingerprint"] or "").upper()
    return out


def _volume_types(raw, path, errors):
    """Known keys and ``ensure`` only: datera_volume_type checks the rest when it applies them."""
    out = {}
    for name, spec in (_mapping(raw, path, errors) or {}).items():
        where = path + [str(name)]
        spec = _mapping(spec, where, errors)
        if spec is None:
            continue
        _unknown(spec, children(T), where, errors)
        ensure = _check(SCHEMA[T + ":ensure"], spec.get("ensure"), where + ["ensure"], errors)
        out[str(name)] = dict(spec, ensure=ensure)
    return out


def _pacemaker_derived(out, backends):
    """The agent split for the SLS; ``auto`` resolved: the resource is made present while
    some Datera backend is; without one it is left alone (cinder-volume may serve other
    backends); only ``absent`` removes it."""
    agent_class, provider, agent_type = split_agent(out["agent"])
    out.update(agent_class=agent_class, agent_provider=provider, agent_type=agent_type)
    if out["ensure"] == "auto":
        present = any(b["ensure"] == "present" for b in backends.values())
        out["ensure"] = "present" if present else "unmanaged"


def normalise(raw):
    """
    Validate a raw ``datera`` pillar dict and return it normalised, defaults filled.

    Raises ``CommandExecutionError`` listing every problem, each naming its pillar key.
    """
    errors = _Errors()
    root = ["datera"]
    if _mapping(raw, root, errors) is None:
        raise CommandExecutionError("; ".join(errors))
    out = _section(raw, "", root, errors)
    backends = _mapping(out["backends"], root + ["backends"], errors) or {}
    out["backends"] = {
        str(name): _backend(name, spec, root + ["backends", str(name)], errors, out["release"])
        for name, spec in backends.items()
    }
    groups = {}
    for name in out["backends"]:  # oslo.config reads [Datera] and [datera] as one group
        groups.setdefault(name.lower(), []).append(name)
    for names in groups.values():
        if len(names) > 1:
            errors.add(
                root + ["backends"],
                f"{' and '.join(sorted(names))} would be one cinder.conf section",
            )
    if errors:
        raise CommandExecutionError("invalid pillar: " + "; ".join(errors))
    spec = RELEASES[out["release"]]
    out["driver"] = {key: copy.deepcopy(spec[key]) for key in ("driver", "replicas", "fixed")}
    out["driver"]["unverified"] = spec["unverified"]
    _pacemaker_derived(out["pacemaker"], out["backends"])
    return out
