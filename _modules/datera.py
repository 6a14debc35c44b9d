"""
Talk to a Datera (DFS / EDF) cluster's REST API: health, capacity, volumes, a smoke test.

.. versionadded:: 0.1.0

Connection settings come from the formula's pillar through ``datera_pillar.backend``
(``datera:backends:<name>``: ``san_ip``, ``san_login``, ``san_password``,
``datera_tenant_id``, ``datera_ldap_server``, ``datera_503_interval``,
``datera_503_timeout`` and the ``api`` block). Every function takes ``backend`` (the backend
name; optional when the pillar holds exactly one) and accepts these keyword overrides:
``san_ip``, ``san_login``, ``san_password``, ``tenant``, ``ldap_server``, ``scheme``, ``port``,
``ca_bundle``, ``cert_fingerprint``, ``verify``, ``timeout``, ``datera_503_interval``,
``datera_503_timeout``. With ``san_ip``, ``san_login`` and ``san_password`` all given (and no
``backend``) the pillar is not read at all.

Transport: HTTPS on port 7718 unless ``scheme: http`` (port 7717) is asked for. The cluster
certificate is checked against ``api:ca_bundle``, or pinned by its SHA-256 fingerprint
(``api:cert_fingerprint``, see ``datera.cert_fingerprint``), or against certifi's CA bundle.
Only ``verify: false`` turns checking off, and that is logged as a warning and reported in
the results.

One login and one HTTP session (keep-alive) per Salt run are cached in ``__context__``. A
401 logs in again once; 503 (and 500 "REST server is still initializing") is retried every
``datera_503_interval`` seconds for at most ``datera_503_timeout`` seconds. The password and
the session key never appear in results, errors or logs.

The HTTP client itself is ``_utils/datera_api.py``; this module resolves the settings from
the pillar and shapes the results.

:depends: requests
"""

import logging
import re
import secrets
import time

import salt.utils.args
from salt.exceptions import CommandExecutionError, SaltInvocationError

import datera_api
import datera_secrets

log = logging.getLogger(__name__)

__virtualname__ = "datera"

CONTEXT_KEY = "datera.connections"
STORAGE_NAME = "storage-1"  # what every real client names the one storage instance
VOLUME_NAME = "volume-1"  # ... and its one volume
GIB = 1 << 30
_NAME = re.compile(
    r"^([a-zA-Z_][a-zA-Z0-9_\-.]{2,63}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$"
)


def __virtual__():
    return __virtualname__


class DateraNotFound(CommandExecutionError):
    """The cluster answered 404 (the object does not exist)."""


# --- the client (_utils/datera_api.py) ------------------------------------------------------


def _settings(backend, kwargs):
    """The connection settings: the backend's pillar (unless the call gives them all) with
    the call's keyword overrides on top."""
    overrides = salt.utils.args.clean_kwargs(**kwargs)
    pillar = {}
    if datera_api.needs_pillar(backend, overrides):
        pillar = __salt__["datera_pillar.backend"](backend, reveal=True)
    return datera_api.settings(backend, pillar, overrides)


def _connection(backend, kwargs):
    """This run's connection (``__context__``: one session and one login per Salt run)."""
    cache = __context__.setdefault(CONTEXT_KEY, {})
    return datera_api.connect(_settings(backend, kwargs), cache, datera_secrets.scrub)


def _number(value, what, low=0.0):
    return datera_api.number(value, what, low)


def _data(conn, method, path, body=None):
    """The ``data`` of ``method path``; HTTP 404 raises DateraNotFound."""
    try:
        return conn.data(method, path, body)
    except CommandExecutionError as err:
        if getattr(err, "status", None) == 404:
            raise DateraNotFound(str(err)) from None
        raise


# --- helpers for the public functions -------------------------------------------------------


def _check_name(name, what="name"):
    if not isinstance(name, str) or not _NAME.match(name):
        raise SaltInvocationError(
            f"{what} must be a UUID or 3-64 characters of letters, digits, '_', '-', '.' "
            f"starting with a letter or '_', got {name!r}"
        )
    return name


def _capacity(system_body):
    total = int(system_body.get("total_capacity") or 0)
    free = int(system_body.get("available_capacity") or 0)
    return {
        "total_bytes": total,
        "used_bytes": total - free,
        "free_bytes": free,
        "total_gib": round(total / GIB, 2),
        "used_gib": round((total - free) / GIB, 2),
        "free_gib": round(free / GIB, 2),
        "free_percent": round(100.0 * free / total, 2) if total else 0.0,
    }


def _volume_summary(ai):
    si = next(iter(ai.get("storage_instances") or []), {})
    vol = next(iter(si.get("volumes") or []), {})
    return {
        "name": ai.get("name"),
        "id": ai.get("id"),
        "path": ai.get("path"),
        "admin_state": ai.get("admin_state"),
        "op_state": si.get("op_state"),
        "size_gib": vol.get("size"),
        "replica_count": vol.get("replica_count"),
        "iqn": (si.get("access") or {}).get("iqn"),
        "ips": (si.get("access") or {}).get("ips") or [],
    }


def _set_admin_state(conn, name, state):
    body = {"admin_state": state}
    if state == "offline":
        body["force"] = True  # disconnects initiators, as clients do before a delete
    return _data(conn, "PUT", f"/app_instances/{name}", body)


# --- public functions ----------------------------------------------------------------------


def login_check(backend=None, **kwargs):
    """
    Log in to the cluster (once per Salt run) and prove the session key works; return how
    the cluster was reached: URL, negotiated API version, TLS mode, warnings.

    backend
        Backend name in the ``datera:backends`` pillar (optional with a single backend).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.login_check
        salt '*' datera.login_check datera-east verify=False
    """
    conn = _connection(backend, kwargs)
    conn.api("GET", "/system")
    result = conn.endpoint()
    result.update({"logged_in": True, "user": conn.settings.login, "tenant": conn.settings.tenant})
    return result


def ping(backend=None, **kwargs):
    """
    Return ``True`` when the cluster answers an authenticated request; fail otherwise.

    CLI Example:

    .. code-block:: bash

        salt '*' datera.ping
    """
    conn = _connection(backend, kwargs)
    conn.api("GET", "/system")
    return True


def system(backend=None, **kwargs):
    """
    Return the cluster's ``name``, ``uuid``, ``sw_version``, ``op_state``, ``health`` and
    ``capacity`` (as ``datera.capacity``), plus how it was reached (``tls``, ``warnings``).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.system
    """
    conn = _connection(backend, kwargs)
    body = _data(conn, "GET", "/system")
    result = {key: body.get(key) for key in ("name", "uuid", "sw_version", "op_state", "health")}
    result["capacity"] = _capacity(body)
    result.update(conn.endpoint())
    return result


def capacity(backend=None, **kwargs):
    """
    Return the cluster's total, used and free capacity in bytes and GiB, and free percent.

    CLI Example:

    .. code-block:: bash

        salt '*' datera.capacity
    """
    conn = _connection(backend, kwargs)
    return _capacity(_data(conn, "GET", "/system"))


def api_versions(backend=None, **kwargs):
    """
    Return the API versions the cluster offers (``GET /api_versions``; None when it does
    not say) and the one this module negotiated (v2.2, else v2.1).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.api_versions
    """
    conn = _connection(backend, kwargs)
    resp = conn.exchange("GET", "/api_versions", auth=False)
    offered = conn.json(resp, "GET /api_versions") if resp.status_code < 400 else {}
    if conn.token is None:
        conn.login()
    return {"cluster": offered.get("api_versions"), "negotiated": f"v{conn.version}"}


def tenants(backend=None, **kwargs):
    """
    Return every tenant (all pages).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.tenants
    """
    return _connection(backend, kwargs).list("/tenants")


def app_instances(backend=None, page_size=None, **kwargs):
    """
    Return every app instance of the tenant (all pages; one per Cinder volume).

    page_size
        Items asked for per request (default: the cluster's, 100).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.app_instances
    """
    return _connection(backend, kwargs).list("/app_instances", page_size)


def app_instance(name, backend=None, **kwargs):
    """
    Return one app instance by name or id; fail when it does not exist.

    name
        The app instance name (Cinder's are ``OS-<volume uuid>``) or id.

    CLI Example:

    .. code-block:: bash

        salt '*' datera.app_instance OS-9b0216bc-8aab-47f2-b746-843f497cb7a6
    """
    _check_name(name)
    return _data(_connection(backend, kwargs), "GET", f"/app_instances/{name}")


def create_volume(name, size=1, replica_count=None, online=False, backend=None, **kwargs):
    """
    Create an app instance ``name`` holding one storage instance with one volume, the way
    Cinder lays them out; return its summary.

    name
        App instance name.
    size
        Volume size in GiB (1-32768, default 1).
    replica_count
        1-5; default: the backend's ``replica_count`` from pillar.
    online
        Bring the app instance online after creating it (default False).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.create_volume salt-test-1 size=2 replica_count=2
    """
    _check_name(name)
    size = int(_number(size, "size", 1))
    conn = _connection(backend, kwargs)
    replicas = int(_number(replica_count or conn.settings.replica_count, "replica_count", 1))
    if size > 32768 or replicas > 5:
        raise SaltInvocationError("size must be 1-32768 GiB and replica_count 1-5")
    body = {
        "name": name,
        "create_mode": "normal",
        "access_control_mode": "deny_all",
        "storage_instances": [
            {
                "name": STORAGE_NAME,
                "volumes": [{"name": VOLUME_NAME, "size": size, "replica_count": replicas}],
            }
        ],
    }
    ai = _data(conn, "POST", "/app_instances", body)
    if datera_api.boolean(online, "online"):
        ai = _set_admin_state(conn, name, "online")
    return _volume_summary(ai)


def delete_volume(name, backend=None, **kwargs):
    """
    Take app instance ``name`` offline (forcing initiators off) and delete it. Return True
    when it was deleted, False when it did not exist.

    CLI Example:

    .. code-block:: bash

        salt '*' datera.delete_volume salt-test-1
    """
    _check_name(name)
    conn = _connection(backend, kwargs)
    try:
        _set_admin_state(conn, name, "offline")
        _data(conn, "DELETE", f"/app_instances/{name}", {"force": True})
    except DateraNotFound:
        return False
    return True


def _wait_available(conn, name, timeout, poll):
    path = f"/app_instances/{name}/storage_instances/{STORAGE_NAME}"
    deadline = time.monotonic() + timeout
    while True:
        si = _data(conn, "GET", path)
        states = [si.get("op_state")] + [v.get("op_state") for v in si.get("volumes") or []]
        if all(state == "available" for state in states):
            return
        if time.monotonic() + poll > deadline:
            raise CommandExecutionError(
                f"{conn.settings.where}: {name} not available after {timeout:g} s "
                f"(op_state {si.get('op_state')})"
            )
        time.sleep(poll)


def smoke_test(backend=None, size=1, timeout=60, poll=0.5, **kwargs):
    """
    Create a small volume, bring it online, wait until it is available, delete it; return
    the timing of each step and the number of HTTP requests. The volume is removed even
    when a step fails.

    size
        GiB (default 1).
    timeout
        Seconds to wait for the volume to become available (default 60).
    poll
        Seconds between availability checks (default 0.5).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.smoke_test
    """
    timeout, poll = _number(timeout, "timeout"), _number(poll, "poll", 0.001)
    conn = _connection(backend, kwargs)
    first_request, started = conn.requests, time.monotonic()
    name = "salt-smoke-" + secrets.token_hex(6)
    steps = (
        ("create", lambda: create_volume(name, size, None, False, backend, **kwargs)),
        ("online", lambda: _set_admin_state(conn, name, "online")),
        ("available", lambda: _wait_available(conn, name, timeout, poll)),
        ("delete", lambda: delete_volume(name, backend, **kwargs)),
    )
    timings = {}
    for label, func in steps:
        began = time.monotonic()
        try:
            func()
        except CommandExecutionError as err:
            raise CommandExecutionError(
                f"smoke test failed at step {label!r}: {err}{_cleanup(name, backend, kwargs)}"
            ) from None
        timings[label] = round(time.monotonic() - began, 3)
    timings["total"] = round(time.monotonic() - started, 3)
    result = conn.endpoint()
    result.update(
        {"ok": True, "volume": name, "seconds": timings, "requests": conn.requests - first_request}
    )
    return result


def _cleanup(name, backend, kwargs):
    """Best-effort removal of a smoke-test volume; a note for the error message."""
    try:
        deleted = delete_volume(name, backend, **kwargs)
    except CommandExecutionError as err:
        return f"; the test volume {name} may be left behind: {err}"
    return f"; test volume {name} deleted" if deleted else ""


def initiators(backend=None, **kwargs):
    """
    Return every initiator (iSCSI IQN) registered in the tenant (all pages).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.initiators
    """
    return _connection(backend, kwargs).list("/initiators")


def ip_pools(backend=None, **kwargs):
    """
    Return every access network IP pool (all pages).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.ip_pools
    """
    return _connection(backend, kwargs).list("/access_network_ip_pools")


def cert_fingerprint(backend=None, **kwargs):
    """
    Read the SHA-256 fingerprint of the certificate the cluster presents (no verification,
    no login), to pin it as ``api:cert_fingerprint`` after checking it out of band. Also
    says whether it matches the fingerprint pinned now.

    CLI Example:

    .. code-block:: bash

        salt '*' datera.cert_fingerprint
    """
    return datera_api.server_fingerprint(_settings(backend, kwargs))
