"""
Cinder volume types for Datera backends, through Keystone v3 and Cinder's v3 API.

A Datera backend is only usable by name once a volume type points at it: the type carries
``volume_backend_name=<backend>`` and the Datera driver's ``DF:*`` extra specs (replica
count, placement, QoS limits). This module computes the specs a type should have, compares
them with Cinder's, and changes only what differs.

Cinder is reached as cinder's own service account: the ``datera:keystone`` pillar (set by
the Fuel ext_pillar from ``cinder.user_password`` and the management VIP), or a ``keystone``
dict argument. The password is sent to Keystone only; it is never logged or returned.

The Keystone and Cinder client itself is ``_utils/datera_openstack.py``.

:depends: requests
"""

import importlib.util
import logging
from urllib.parse import quote

from salt.exceptions import CommandExecutionError, SaltInvocationError

import datera_openstack

log = logging.getLogger(__name__)

__virtualname__ = "datera_volume_type"

QOS_KEYS = (
    "read_iops_max",
    "write_iops_max",
    "total_iops_max",
    "read_bandwidth_max",
    "write_bandwidth_max",
    "total_bandwidth_max",
    "iops_per_gb",
    "bandwidth_per_gb",
)
PLACEMENT_MODES = ("hybrid", "single_flash", "all_flash")
OWNED_PREFIX = "DF:"


def __virtual__():
    if importlib.util.find_spec("requests") is None:
        return False, "datera_volume_type: the requests library is not installed"
    return __virtualname__


# --- the client (_utils/datera_openstack.py) ---------------------------------------------------


def _cinder(keystone=None):
    """This run's Cinder session for ``datera:keystone`` with ``keystone`` on top."""
    pillar = __salt__["datera_pillar.settings"](reveal=True)["keystone"]
    return datera_openstack.cinder(pillar, keystone, __context__)


# --- reading ---------------------------------------------------------------------------------


def list_types(keystone=None):
    """
    Return every volume type Cinder shows to cinder's service project, with extra specs.

    keystone
        Optional dict overriding ``datera:keystone`` (auth_url, user, password, project, ...).

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_volume_type.list_types
    """
    return _list(_cinder(keystone))


def _list(cinder):
    body = cinder.call("GET", "/types?is_public=None") or {}
    return [_summary(volume_type) for volume_type in body.get("volume_types", [])]


def _find(cinder, name):
    return next((t for t in _list(cinder) if t["name"] == name), None)


def _summary(volume_type):
    return {
        "id": volume_type["id"],
        "name": volume_type["name"],
        "description": volume_type.get("description"),
        "is_public": volume_type.get("is_public", True),
        "extra_specs": dict(volume_type.get("extra_specs") or {}),
    }


def get(name, keystone=None):
    """
    Return the volume type called ``name`` (id, description, extra specs), or ``None``.

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_volume_type.get datera
    """
    return _find(_cinder(keystone), name)


# --- the desired extra specs -----------------------------------------------------------------


def _spec_value(value):
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _non_negative(key, value):
    if isinstance(value, bool):
        raise SaltInvocationError(f"qos:{key}: must be an integer >= 0, got a boolean")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SaltInvocationError(f"qos:{key}: must be an integer >= 0, got {value!r}") from None
    if number < 0:
        raise SaltInvocationError(f"qos:{key}: must be an integer >= 0, got {number}")
    return number


def _replicas(value):
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if isinstance(value, bool) or number is None or not 1 <= number <= 5:
        raise SaltInvocationError(f"replica_count: must be an integer 1-5, got {value!r}")
    return number


def specs(
    backend=None,
    replica_count=None,
    placement_mode=None,
    placement_policy=None,
    qos=None,
    extra_specs=None,
):
    """
    Return the extra specs a volume type for a Datera backend should have (all strings).

    backend
        The backend (``datera:backends`` key); may be omitted when there is only one.
        Gives ``volume_backend_name`` and the default ``DF:replica_count``.

    replica_count
        ``DF:replica_count`` (1-5); default: the backend's ``replica_count``.

    placement_mode
        ``DF:placement_mode``: hybrid, single_flash or all_flash (older Datera releases).

    placement_policy
        ``DF:placement_policy`` (Datera 3.3+), e.g. ``default``.

    qos
        Dict of Datera QoS limits, each written as ``DF:<key>``: read/write/total_iops_max,
        read/write/total_bandwidth_max, iops_per_gb, bandwidth_per_gb (integers, 0 = none).

    extra_specs
        Any other extra specs, verbatim (e.g. ``{"DF:ip_pool": "pool1"}``).

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_volume_type.specs datera qos='{total_iops_max: 5000}'
    """
    settings = __salt__["datera_pillar.backend"](backend)
    count = settings["replica_count"] if replica_count is None else replica_count
    wanted = {
        "volume_backend_name": settings["volume_backend_name"],
        "DF:replica_count": str(_replicas(count)),
    }
    if placement_mode is not None:
        if placement_mode not in PLACEMENT_MODES:
            raise SaltInvocationError(
                f"placement_mode: must be one of {', '.join(PLACEMENT_MODES)}, "
                f"got {placement_mode!r}"
            )
        wanted["DF:placement_mode"] = placement_mode
    if placement_policy is not None:
        wanted["DF:placement_policy"] = str(placement_policy)
    return _add_extras(wanted, qos, extra_specs)


def _add_extras(wanted, qos, extra_specs):
    """``wanted`` with the ``DF:<qos key>`` limits and the verbatim ``extra_specs``."""
    for key, value in (qos or {}).items():
        if key not in QOS_KEYS:
            raise SaltInvocationError(f"qos:{key}: unknown, known: {', '.join(QOS_KEYS)}")
        wanted[OWNED_PREFIX + key] = str(_non_negative(key, value))
    for key, value in (extra_specs or {}).items():
        if key in wanted:
            raise SaltInvocationError(
                f"extra_specs:{key}: set by the other arguments, do not repeat it here"
            )
        wanted[str(key)] = _spec_value(value)
    return wanted


# --- changing --------------------------------------------------------------------------------


def plan(current, wanted, prune=True):
    """
    Compare extra specs: ``{"set": {key: value}, "unset": [keys]}``.

    With ``prune``, ``DF:*`` keys Cinder has but ``wanted`` lacks are unset (the formula owns
    them); other keys are never removed.

    CLI Example:

    .. code-block:: bash

        salt-call datera_volume_type.plan '{"DF:replica_count": "2"}' '{"DF:replica_count": "3"}'
    """
    current = current or {}
    to_set = {key: value for key, value in wanted.items() if current.get(key) != value}
    to_unset = sorted(
        key for key in current if prune and key.startswith(OWNED_PREFIX) and key not in wanted
    )
    return {"set": to_set, "unset": to_unset}


def _spec_changes(current, steps):
    changes = {key: {"old": current.get(key), "new": value} for key, value in steps["set"].items()}
    changes.update({key: {"old": current[key], "new": None} for key in steps["unset"]})
    return changes


def _create(cinder, name, wanted, description):
    body = {
        "volume_type": {
            "name": name,
            "description": description,
            "os-volume-type-access:is_public": True,
            "extra_specs": wanted,
        }
    }
    try:
        return cinder.call("POST", "/types", body)["volume_type"]["id"]
    except CommandExecutionError:
        # A retried POST may have been created the first time: then it exists now.
        existing = _find(cinder, name)
        if existing is None or existing["extra_specs"] != wanted:
            raise
        return existing["id"]


def _update(cinder, existing, steps, description):
    path = f"/types/{quote(existing['id'], safe='')}"
    if steps["set"]:
        cinder.call("POST", f"{path}/extra_specs", {"extra_specs": steps["set"]})
    for key in steps["unset"]:
        cinder.call("DELETE", f"{path}/extra_specs/{quote(key, safe='')}", ok=(200, 202))
    if description is not None and description != existing["description"]:
        cinder.call("PUT", path, {"volume_type": {"description": description}})


def ensure(name, wanted, description=None, prune=True, keystone=None, test=False):
    """
    Make the volume type ``name`` exist with the extra specs ``wanted``; change only what
    differs. Returns ``{"id": ..., "changes": {...}}`` (empty changes: nothing to do).

    wanted
        Extra specs, as from ``datera_volume_type.specs``.

    description
        Set at creation, and updated when given and different.

    prune
        Remove ``DF:*`` specs not in ``wanted`` (default ``True``).

    test
        Only report what would change.

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_volume_type.ensure datera '{volume_backend_name: datera}'
    """
    if not name or not str(name).strip():
        raise SaltInvocationError("name: the volume type name must not be empty")
    cinder = _cinder(keystone)
    existing = _find(cinder, name)
    if existing is None:
        changes = {"volume_type": {"old": None, "new": name}}
        changes["extra_specs"] = _spec_changes({}, plan({}, wanted))
        type_id = None if test else _create(cinder, name, wanted, description)
        return {"id": type_id, "changes": changes}
    steps = plan(existing["extra_specs"], wanted, prune)
    changes = {}
    if steps["set"] or steps["unset"]:
        changes["extra_specs"] = _spec_changes(existing["extra_specs"], steps)
    if description is not None and description != existing["description"]:
        changes["description"] = {"old": existing["description"], "new": description}
    if changes and not test:
        _update(cinder, existing, steps, description)
    return {"id": existing["id"], "changes": changes}


def delete(name, keystone=None, test=False):
    """
    Delete the volume type ``name``; ``True`` if it existed (or would be deleted in test).

    Cinder refuses while volumes use the type: that is reported as an error.

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_volume_type.delete datera
    """
    cinder = _cinder(keystone)
    existing = _find(cinder, name)
    if existing is None:
        return False
    if not test:
        cinder.call("DELETE", f"/types/{quote(existing['id'], safe='')}", ok=(200, 202))
    return True
