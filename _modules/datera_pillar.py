"""
The formula's pillar schema: validate and normalise the ``datera`` pillar tree.

This is the one place that knows which pillar keys exist, their types, ranges and
defaults. Every other module asks ``datera_pillar.settings`` or ``datera_pillar.backend``
instead of reading pillar itself, so a typo or a wrong type is reported once, naming the
key, before any file or CIB is touched.

:depends: nothing beyond Salt
"""

import copy
import ipaddress
import logging
import re

from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "datera_pillar"

ROLES = ("primary-controller", "controller", "compute")

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_SECTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_OPTION = re.compile(r"^[a-z][a-z0-9_]*$")
_NODE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")
_RESOURCE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_AGENT = re.compile(
    r"^(systemd:[A-Za-z0-9@_.-]+|ocf:[a-z0-9_-]+:[A-Za-z0-9_.-]+|lsb:[A-Za-z0-9_.-]+)$"
)
_FINGERPRINT = re.compile(r"^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$")

# Options of the Datera driver (and the generic SAN/CHAP/backend options it reads) that a
# backend may set verbatim; checked against cinder 29.0.0's own definitions in the tests.
DRIVER_OPTIONS = {
    "datera_503_timeout": "int",
    "datera_503_interval": "int",
    "datera_debug": "bool",
    "datera_debug_replica_count_override": "bool",
    "datera_tenant_id": "str",
    "datera_ldap_server": "str",
    "datera_enable_image_cache": "bool",
    "datera_image_cache_volume_type_id": "str",
    "datera_disable_profiler": "bool",
    "datera_disable_extended_metadata": "bool",
    "datera_disable_template_override": "bool",
    "use_chap_auth": "bool",
    "chap_username": "str",
    "chap_password": "str",
    "san_thin_provision": "bool",
    "reserved_percentage": "int",
    "max_over_subscription_ratio": "str",
    "image_volume_cache_enabled": "bool",
}


# OpenStack releases -> what that release's cinder reads for a Datera backend: the driver's
# class, the option that takes the replica count (None: only volume types set it), options
# written as they are, which DRIVER_OPTIONS exist, and where an option's type differs.
# tests/fixtures/cinder-datera-options.json holds what each release's own source defines
# (tests/support/cinder_release_matrix.py reads it from the sdists on PyPI) and
# tests/unit/test_release_table.py checks this table against it.
DRIVER = "cinder.volume.drivers.datera.datera_iscsi.DateraDriver"
_OPTIONS_OCATA = {
    "datera_503_timeout",
    "datera_503_interval",
    "datera_debug",
    "datera_debug_replica_count_override",
    "datera_tenant_id",
    "use_chap_auth",
    "chap_username",
    "chap_password",
    "san_thin_provision",
    "reserved_percentage",
    "max_over_subscription_ratio",
    "image_volume_cache_enabled",
}
_OPTIONS_PIKE = _OPTIONS_OCATA | {"datera_disable_profiler"}
_OPTIONS_USSURI = _OPTIONS_PIKE | {
    "datera_ldap_server",
    "datera_enable_image_cache",
    "datera_image_cache_volume_type_id",
    "datera_disable_extended_metadata",
    "datera_disable_template_override",
}
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


RELEASES = {
    "liberty": _PRE_OCATA,
    "mitaka": _PRE_OCATA,
    "newton": _PRE_OCATA,
    "ocata": _spec(None, _OPTIONS_OCATA, _FLOAT_RATIO),
    "pike": _spec(None, _OPTIONS_PIKE, _FLOAT_RATIO),
    **{name: _spec(None, _OPTIONS_PIKE) for name in ("queens", "rocky", "stein", "train")},
    **{
        name: _spec("datera_volume_type_defaults", _OPTIONS_USSURI)
        for name in (
            "ussuri",
            "victoria",
            "wallaby",
            "xena",
            "yoga",
            "zed",
            "2023.1",
            "2023.2",
            "2024.1",
            "2024.2",
            "2025.1",
            "2025.2",
            "2026.1",
            "2026.2",
        )
    },
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


class _Errors(list):
    def add(self, path, message):
        self.append(f"{':'.join(path)}: {message}")


# --- field checkers: each returns the normalised value or records an error -----------------


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
        errors.add(path, f"must be between {low} and {high}, got {number}")
        return None
    return number


def _bool(value, path, errors):
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "yes", "1", "on"):
        return True
    if str(value).strip().lower() in ("false", "no", "0", "off"):
        return False
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


def _pattern(value, path, errors, regex, what):
    value = _str(value, path, errors, allow_empty=False)
    if value is not None and not regex.match(value):
        errors.add(path, f"{value!r} is not a valid {what}")
        return None
    return value


def _mapping(value, path, errors):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(path, f"must be a mapping, got {type(value).__name__}")
        return None
    return value


def _unknown(given, known, path, errors):
    for key in sorted(set(given) - set(known)):
        errors.add(path + [str(key)], "unknown key (typo?)")


# --- sections ----------------------------------------------------------------------------

CINDER_DEFAULTS = {
    "conf_file": "/etc/cinder/cinder.conf",
    "shared_host": "cinder",
    "shared_host_option": "backend_host",
    "group": "cinder",
    "mode": "0640",
    "backup": True,
    "check_driver": True,
    "python": "",
}

API_DEFAULTS = {
    "scheme": "https",
    "port": None,  # 7718 for https, 7717 for http
    "ca_bundle": "",
    "cert_fingerprint": "",
    "verify": True,
    "timeout": 30,
}

PACEMAKER_DEFAULTS = {
    "manage": True,
    "resource_id": "p_cinder-volume",
    "agent": "systemd:cinder-volume",
    "params": {},
    "cib_file": "",
    "wait_timeout": 60,
    "node_name": "",  # this node's name in the cluster; '' = the host's name (uname -n)
    "ensure": "auto",  # auto (present while a Datera backend is) | present | absent
}

BACKEND_KEYS = {
    "ensure",
    "san_ip",
    "san_login",
    "san_password",
    "replica_count",
    "volume_backend_name",
    "api",
    "volume_types",
} | set(DRIVER_OPTIONS)


def _cinder(raw, path, errors):
    raw = _mapping(raw, path, errors) or {}
    _unknown(raw, CINDER_DEFAULTS, path, errors)
    out = dict(CINDER_DEFAULTS, **raw)
    if not str(out["conf_file"]).startswith("/"):
        errors.add(path + ["conf_file"], f"must be an absolute path, got {out['conf_file']!r}")
    out["shared_host"] = _host(out["shared_host"], path + ["shared_host"], errors)
    out["shared_host_option"] = _choice(
        out["shared_host_option"], path + ["shared_host_option"], errors, ("backend_host", "host")
    )
    out["group"] = _str(out["group"], path + ["group"], errors)
    if not re.match(r"^0?[0-7]{3}$", str(out["mode"])):
        errors.add(path + ["mode"], f"must be an octal mode like 0640, got {out['mode']!r}")
    out["backup"] = _bool(out["backup"], path + ["backup"], errors)
    out["check_driver"] = _bool(out["check_driver"], path + ["check_driver"], errors)
    out["python"] = _str(out["python"] or "", path + ["python"], errors)
    return out


def _api(raw, path, errors):
    raw = _mapping(raw, path, errors) or {}
    _unknown(raw, API_DEFAULTS, path, errors)
    out = dict(API_DEFAULTS, **raw)
    out["scheme"] = _choice(out["scheme"], path + ["scheme"], errors, ("https", "http"))
    if out["port"] is None:
        out["port"] = 7717 if out["scheme"] == "http" else 7718
    out["port"] = _int(out["port"], path + ["port"], errors, 1, 65535)
    out["ca_bundle"] = _str(out["ca_bundle"] or "", path + ["ca_bundle"], errors)
    if out["ca_bundle"] and not out["ca_bundle"].startswith("/"):
        errors.add(path + ["ca_bundle"], "must be an absolute path")
    fingerprint = _str(out["cert_fingerprint"] or "", path + ["cert_fingerprint"], errors)
    if fingerprint and not _FINGERPRINT.match(fingerprint):
        errors.add(
            path + ["cert_fingerprint"], "must be a SHA-256 fingerprint like AA:BB:...(32 bytes)"
        )
    out["cert_fingerprint"] = (fingerprint or "").upper()
    out["verify"] = _bool(out["verify"], path + ["verify"], errors)
    out["timeout"] = _int(out["timeout"], path + ["timeout"], errors, 1, 600)
    return out


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


def _float(value, path, errors):
    try:
        return str(float(str(value).strip()))
    except ValueError:
        errors.add(path, f"must be a number in this release, got {value!r}")
        return None


def _driver_option(key, value, path, errors, release=None):
    kind = RELEASES[release]["kinds"].get(key, DRIVER_OPTIONS[key]) if release else None
    kind = kind or DRIVER_OPTIONS[key]
    if kind == "float":
        return _float(value, path, errors)
    if kind == "int":
        return _int(value, path, errors, 0)
    if kind == "bool":
        return _bool(value, path, errors)
    return _str(value, path, errors)


def _backend(name, raw, path, errors, release=None):
    if not _SECTION.match(str(name)) or str(name).upper() == "DEFAULT":
        errors.add(
            path,
            "backend name must be a valid cinder.conf section name "
            "(letters, digits, '_', '.', '-'; not DEFAULT)",
        )
    raw = _mapping(raw, path, errors)
    if raw is None:
        return None
    _unknown(raw, BACKEND_KEYS, path, errors)
    out = {"name": str(name)}
    out["ensure"] = _choice(
        raw.get("ensure", "present"), path + ["ensure"], errors, ("present", "absent")
    )
    if out["ensure"] == "absent":
        if raw.get("volume_types"):  # so that its volume types can be removed with it
            out["volume_types"] = _volume_types(
                raw["volume_types"], path + ["volume_types"], errors
            )
        return out
    for key in ("san_ip", "san_login", "san_password"):
        if key not in raw or raw[key] in (None, ""):
            errors.add(path + [key], "is required")
    out["san_ip"] = (
        _host(raw.get("san_ip"), path + ["san_ip"], errors) if raw.get("san_ip") else None
    )
    out["san_login"] = _str(raw.get("san_login", ""), path + ["san_login"], errors)
    out["san_password"] = _str(raw.get("san_password", ""), path + ["san_password"], errors)
    out["replica_count"] = _int(raw.get("replica_count", 3), path + ["replica_count"], errors, 1, 5)
    out["volume_backend_name"] = _pattern(
        raw.get("volume_backend_name", str(name)),
        path + ["volume_backend_name"],
        errors,
        _SECTION,
        "backend name",
    )
    out["options"] = {
        key: _driver_option(key, raw[key], path + [key], errors, release)
        for key in DRIVER_OPTIONS
        if key in raw and raw[key] is not None
    }
    if release:
        for key in sorted(set(out["options"]) - RELEASES[release]["options"]):
            errors.add(path + [key], f"is not an option of cinder's Datera driver in {release}")
    out["datera_tenant_id"] = out["options"].get("datera_tenant_id")
    out["datera_ldap_server"] = out["options"].get("datera_ldap_server") or None
    out["datera_503_interval"] = out["options"].get("datera_503_interval", 5)
    out["datera_503_timeout"] = out["options"].get("datera_503_timeout", 120)
    out["api"] = _api(raw.get("api"), path + ["api"], errors)
    out["volume_types"] = _volume_types(raw.get("volume_types"), path + ["volume_types"], errors)
    return out


def _pacemaker(raw, path, errors):
    raw = _mapping(raw, path, errors) or {}
    _unknown(raw, PACEMAKER_DEFAULTS, path, errors)
    out = copy.deepcopy(dict(PACEMAKER_DEFAULTS, **raw))
    out["manage"] = _bool(out["manage"], path + ["manage"], errors)
    out["ensure"] = _choice(out["ensure"], path + ["ensure"], errors, ("auto", "present", "absent"))
    out["resource_id"] = _pattern(
        out["resource_id"], path + ["resource_id"], errors, _RESOURCE_ID, "Pacemaker resource id"
    )
    out["agent"] = _pattern(
        out["agent"],
        path + ["agent"],
        errors,
        _AGENT,
        "resource agent (systemd:<unit> or ocf:<provider>:<type>)",
    )
    params = _mapping(out["params"], path + ["params"], errors) or {}
    out["params"] = {}
    for key, value in params.items():
        if not _OPTION.match(str(key)):
            errors.add(path + ["params", str(key)], "is not a valid agent parameter name")
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        out["params"][str(key)] = _str(value, path + ["params", str(key)], errors)
    out["cib_file"] = _str(out["cib_file"] or "", path + ["cib_file"], errors)
    out["wait_timeout"] = _int(out["wait_timeout"], path + ["wait_timeout"], errors, 0, 3600)
    node_name = _str(out["node_name"] or "", path + ["node_name"], errors)
    if node_name and not _NODE_NAME.match(node_name):
        errors.add(path + ["node_name"], f"is not a cluster node name, got {node_name!r}")
    out["node_name"] = node_name
    return out


ISCSI_DEFAULTS = {
    "initiator_file": "/etc/iscsi/initiatorname.iscsi",
    "initiator_prefix": "iqn.1993-08.org.debian:01",
    "multipath": False,
}


def _iscsi(raw, path, errors):
    raw = _mapping(raw, path, errors) or {}
    _unknown(raw, ISCSI_DEFAULTS, path, errors)
    out = dict(ISCSI_DEFAULTS, **raw)
    if not str(out["initiator_file"]).startswith("/"):
        errors.add(path + ["initiator_file"], "must be an absolute path")
    if not re.match(
        r"^iqn\.\d{4}-\d{2}\.[a-z0-9.-]+(:[A-Za-z0-9.:-]+)?$", str(out["initiator_prefix"])
    ):
        errors.add(path + ["initiator_prefix"], "must look like iqn.YYYY-MM.reversed.domain[:x]")
    out["multipath"] = _bool(out["multipath"], path + ["multipath"], errors)
    return out


# Cinder's own Keystone account, used to manage volume types (datera_volume_type).
KEYSTONE_DEFAULTS = {
    "auth_url": None,
    "host": None,
    "port": 5000,
    "user": "cinder",
    "password": None,
    "project": "services",
    "user_domain": "Default",
    "project_domain": "Default",
    "interface": "internal",
    "region": None,
    "verify": True,
    "ca_bundle": "",
    "timeout": 30,
    "retries": 3,
    "retry_interval": 2,
}

VOLUME_TYPE_KEYS = {
    "ensure",
    "replica_count",
    "placement_mode",
    "placement_policy",
    "qos",
    "extra_specs",
    "description",
    "prune",
}


def _keystone(raw, path, errors):
    raw = _mapping(raw, path, errors) or {}
    _unknown(raw, KEYSTONE_DEFAULTS, path, errors)
    out = dict(KEYSTONE_DEFAULTS, **raw)
    if out["host"]:
        out["host"] = _host(out["host"], path + ["host"], errors)
    out["port"] = _int(out["port"], path + ["port"], errors, 1, 65535)
    for key in ("timeout", "retries"):
        out[key] = _int(out[key], path + [key], errors, 0, 600)
    out["verify"] = _bool(out["verify"], path + ["verify"], errors)
    for key in (
        "auth_url",
        "user",
        "password",
        "project",
        "user_domain",
        "project_domain",
        "interface",
        "region",
        "ca_bundle",
    ):
        if out[key] is not None:
            out[key] = _str(out[key], path + [key], errors)
    return out


def _volume_types(raw, path, errors):
    raw = _mapping(raw, path, errors) or {}
    out = {}
    for name, spec in raw.items():
        spec = _mapping(spec, path + [str(name)], errors)
        if spec is None:
            continue
        _unknown(spec, VOLUME_TYPE_KEYS, path + [str(name)], errors)
        out[str(name)] = dict(spec)
        out[str(name)]["ensure"] = _choice(
            spec.get("ensure", "present"),
            path + [str(name), "ensure"],
            errors,
            ("present", "absent"),
        )
    return out


def _host_list(raw, path, errors):
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.add(path, f"must be a list, got {type(raw).__name__}")
        return []
    return [_str(item, path + [str(i)], errors) for i, item in enumerate(raw)]


TOP_KEYS = {
    "role",
    "release",
    "cinder",
    "backends",
    "pacemaker",
    "iscsi",
    "lookup",
    "management_vip",
    "controllers",
    "primary_controller",
    "keystone",
}


def _normalise(raw):
    """
    Validate a raw ``datera`` pillar dict and return it normalised, defaults filled.

    Raises ``CommandExecutionError`` listing every problem, each naming its pillar key.
    Pure function: no Salt dunders, safe to call anywhere.
    """
    errors = _Errors()
    root = ["datera"]
    raw = _mapping(raw, root, errors)
    if raw is None:
        raise CommandExecutionError("; ".join(errors))
    _unknown(raw, TOP_KEYS, root, errors)
    out = {
        "role": _choice(raw["role"], root + ["role"], errors, ROLES) if "role" in raw else None,
        "release": _release(raw.get("release", "latest"), root + ["release"], errors),
        "cinder": _cinder(raw.get("cinder"), root + ["cinder"], errors),
        "pacemaker": _pacemaker(raw.get("pacemaker"), root + ["pacemaker"], errors),
        "iscsi": _iscsi(raw.get("iscsi"), root + ["iscsi"], errors),
        "keystone": _keystone(raw.get("keystone"), root + ["keystone"], errors),
        "management_vip": (
            _host(raw["management_vip"], root + ["management_vip"], errors)
            if raw.get("management_vip")
            else None
        ),
        "controllers": _host_list(raw.get("controllers"), root + ["controllers"], errors),
        "primary_controller": raw.get("primary_controller"),
        "lookup": raw.get("lookup") or {},
        "backends": {},
    }
    backends = _mapping(raw.get("backends"), root + ["backends"], errors) or {}
    for name, backend in backends.items():
        out["backends"][str(name)] = _backend(
            name, backend, root + ["backends", str(name)], errors, out["release"]
        )
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
    # auto: the resource is made present while some Datera backend is; without one it is
    # left alone (cinder-volume may serve other backends); only "absent" removes it
    spec = RELEASES[out["release"]]
    out["driver"] = {key: copy.deepcopy(spec[key]) for key in ("driver", "replicas", "fixed")}
    out["driver"]["unverified"] = spec["unverified"]
    if out["pacemaker"]["ensure"] == "auto":
        present = any(b["ensure"] == "present" for b in out["backends"].values())
        out["pacemaker"]["ensure"] = "present" if present else "unmanaged"
    return out


def __virtual__():
    return __virtualname__


def _is_secret(key):
    return __utils__["datera_secrets.is_secret"](key)


def _resolve_secrets(settings_dict, path=("datera",)):
    """Secrets given as ``sdb://<profile>/<key>`` URIs (Vault, a keyring, a file ... through
    Salt's sdb) replaced by what the profile holds, on the minion, when a module needs them.
    A URI that gives nothing is an error naming the key (never the value)."""
    out = {}
    for key, value in settings_dict.items():
        where = (*path, key)
        if isinstance(value, dict):
            value = _resolve_secrets(value, where)
        elif _is_secret(key) and isinstance(value, str) and value.startswith("sdb://"):
            resolved = __salt__["sdb.get"](value)
            if not isinstance(resolved, str) or not resolved or resolved == value:
                raise CommandExecutionError(
                    f"{':'.join(where)}: {value} gives no value (is the sdb profile configured "
                    "on this minion, and the key set?)"
                )
            value = resolved
        out[key] = value
    return out


def settings(reveal=False):
    """
    Return the whole ``datera`` pillar, validated, with every default filled in.

    Fails, naming each bad key, when the pillar is invalid.

    reveal
        Secrets are shown as ``******`` unless this is ``True`` (for other modules); then a
        secret given as an ``sdb://`` URI is looked up.

    CLI Example:

    .. code-block:: bash

        salt '*' datera_pillar.settings
    """
    # __pillar__, not pillar.get: Salt 3008 masks pillar.get's values outside renderers.
    result = _normalise(__pillar__.get("datera", {}))
    return _resolve_secrets(result) if reveal else __utils__["datera_secrets.mask_tree"](result)


def validate():
    """
    Check the ``datera`` pillar and return ``True``, or fail listing every bad key.

    CLI Example:

    .. code-block:: bash

        salt '*' datera_pillar.validate
    """
    settings()
    return True


def backend(name=None, reveal=False):
    """
    Return one backend's settings (connection details included), validated.

    name
        The backend (cinder.conf section) name. May be omitted when exactly one backend
        is present.

    reveal
        Secrets are shown as ``******`` unless this is ``True`` (for other modules).

    CLI Example:

    .. code-block:: bash

        salt '*' datera_pillar.backend datera
    """
    backends = settings(reveal=reveal)["backends"]
    present = {k: v for k, v in backends.items() if v["ensure"] == "present"}
    if name is None:
        if len(present) != 1:
            raise CommandExecutionError(
                "datera:backends: name the backend to use, present ones: "
                + (", ".join(sorted(present)) or "none")
            )
        return next(iter(present.values()))
    if name not in present:
        raise CommandExecutionError(f"datera:backends:{name}: no such backend present in pillar")
    return present[name]
