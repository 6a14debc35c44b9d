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

:depends: requests
"""

import dataclasses
import hashlib
import logging
import os
import re
import secrets
import ssl
import time
import warnings

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import InsecureRequestWarning

    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - reported by __virtual__
    HAS_REQUESTS = False
    HTTPAdapter = object

import salt.utils.args
from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "datera"

API_VERSIONS = ("2.2", "2.1")  # preferred first, as cinder >= Ussuri does
DEFAULT_PORTS = {"https": 7718, "http": 7717}
INITIALIZING = "REST server is still initializing"
CONTEXT_KEY = "datera.connections"
STORAGE_NAME = "storage-1"  # what every real client names the one storage instance
VOLUME_NAME = "volume-1"  # ... and its one volume
GIB = 1 << 30
OVERRIDES = (
    "san_ip",
    "san_login",
    "san_password",
    "tenant",
    "ldap_server",
    "scheme",
    "port",
    "ca_bundle",
    "cert_fingerprint",
    "verify",
    "timeout",
    "datera_503_interval",
    "datera_503_timeout",
)
_NAME = re.compile(
    r"^([a-zA-Z_][a-zA-Z0-9_\-.]{2,63}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$"
)
_FINGERPRINT = re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")


def __virtual__():
    if not HAS_REQUESTS:
        return False, "the datera module needs the python 'requests' library"
    return __virtualname__


class DateraNotFound(CommandExecutionError):
    """The cluster answered 404 (the object does not exist)."""


# --- settings -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Settings:
    """Everything one connection needs; hashable, so it keys the per-run cache."""

    backend: str
    host: str
    port: int
    scheme: str
    login: str
    password: str = dataclasses.field(repr=False)
    tenant: str
    ldap_server: str
    ca_bundle: str
    fingerprint: str
    verify: bool
    timeout: float
    interval: float
    retry_timeout: float
    replica_count: int

    @property
    def base_url(self):
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6 literal
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def where(self):
        name = f"backend {self.backend} " if self.backend else ""
        return f"Datera {name}at {self.base_url}"


def _bool(value, what):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise SaltInvocationError(f"{what} must be true or false, got {value!r}")


def _number(value, what, low=0.0):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SaltInvocationError(f"{what} must be a number, got {value!r}") from None
    if number < low:
        raise SaltInvocationError(f"{what} must be at least {low}, got {value!r}")
    return number


def _tenant(value):
    """The ``tenant`` header for a ``datera_tenant_id``: ``/root`` or ``/root/<name>``."""
    value = (value or "").strip()
    if value in ("", "root", "/root", "all", "Map"):  # Map: per-project, cinder's business
        return "/root"
    return value if value.startswith("/root/") else "/root/" + value.strip("/")


def _pillar(backend, overrides):
    if backend is None and all(overrides.get(k) for k in ("san_ip", "san_login", "san_password")):
        return {}
    return __salt__["datera_pillar.backend"](backend, reveal=True)


def _settings(backend, kwargs):
    overrides = salt.utils.args.clean_kwargs(**kwargs)
    unknown = sorted(set(overrides) - set(OVERRIDES))
    if unknown:
        raise SaltInvocationError(
            f"unknown option(s) {', '.join(unknown)}; accepted: {', '.join(OVERRIDES)}"
        )
    pillar = _pillar(backend, overrides)
    api = pillar.get("api") or {}

    def pick(key, pillar_value, default=None):
        value = overrides.get(key, pillar_value)
        return default if value in (None, "") else value

    scheme = str(pick("scheme", api.get("scheme"), "https")).lower()
    if scheme not in DEFAULT_PORTS:
        raise SaltInvocationError(f"scheme must be https or http, got {scheme!r}")
    port = overrides.get("port")
    if port is None:
        same_scheme = scheme == api.get("scheme", "https")
        port = api.get("port") if same_scheme and api.get("port") else DEFAULT_PORTS[scheme]
    fingerprint = str(pick("cert_fingerprint", api.get("cert_fingerprint"), "")).upper()
    if fingerprint and not _FINGERPRINT.match(fingerprint):
        raise SaltInvocationError("cert_fingerprint must be a SHA-256 fingerprint AA:BB:... ")
    host = pick("san_ip", pillar.get("san_ip"))
    login = pick("san_login", pillar.get("san_login"))
    password = pick("san_password", pillar.get("san_password"))
    if not (host and login and password):
        raise SaltInvocationError("san_ip, san_login and san_password are required")
    interval = _number(
        pick("datera_503_interval", pillar.get("datera_503_interval"), 5), "datera_503_interval"
    )
    return _Settings(
        backend=pillar.get("name") or backend or "",
        host=str(host),
        port=int(_number(port, "port", 1)),
        scheme=scheme,
        login=str(login),
        password=str(password),
        tenant=_tenant(pick("tenant", pillar.get("datera_tenant_id"), "")),
        ldap_server=str(pick("ldap_server", pillar.get("datera_ldap_server"), "")),
        ca_bundle=str(pick("ca_bundle", api.get("ca_bundle"), "")),
        fingerprint=fingerprint,
        verify=_bool(pick("verify", api.get("verify"), True), "verify"),
        timeout=_number(pick("timeout", api.get("timeout"), 30), "timeout", 0.001),
        interval=max(interval, 0.01),
        retry_timeout=_number(
            pick("datera_503_timeout", pillar.get("datera_503_timeout"), 120), "datera_503_timeout"
        ),
        replica_count=int(pillar.get("replica_count") or 3),
    )


# --- TLS ------------------------------------------------------------------------------------


class _PinnedAdapter(HTTPAdapter):
    """HTTPS adapter whose every new connection must present the certificate with this
    SHA-256 fingerprint (urllib3 compares it right after the handshake)."""

    def __init__(self, fingerprint, **kwargs):
        self.fingerprint = fingerprint
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["assert_fingerprint"] = self.fingerprint.replace(":", "").lower()
        super().init_poolmanager(*args, **kwargs)


def _tls(settings):
    """``(requests verify argument, description, warning or None)`` for these settings."""
    if settings.scheme == "http":
        return False, "none (plain HTTP)", "plain HTTP: the password is sent unencrypted"
    if not settings.verify:
        return (
            False,
            "NOT VERIFIED (verify: false)",
            "TLS certificate verification is OFF (verify: false): "
            "anyone on the network path can impersonate the cluster",
        )
    if settings.fingerprint:
        extra = f" and CA bundle {settings.ca_bundle}" if settings.ca_bundle else ""
        return settings.ca_bundle or False, f"pinned SHA-256 {settings.fingerprint}{extra}", None
    if settings.ca_bundle:
        return settings.ca_bundle, f"verified with CA bundle {settings.ca_bundle}", None
    return True, "verified with the default CA bundle (certifi)", None


def _colons(hexdigest):
    hexdigest = hexdigest.upper()
    return ":".join(hexdigest[i : i + 2] for i in range(0, len(hexdigest), 2))


def _reason(err):
    """The useful part of a requests/ssl error: ``[Errno 111] Connection refused``."""
    found = re.search(r"\[(Errno|SSL)[^\]]*\][^'\"()]*", str(err))
    return found.group(0).strip(" :,") if found else type(err).__name__


def _tls_error(settings, err):
    text = str(err)
    found = re.search(r'Fingerprints did not match\. Expected "[0-9a-f]+", got "([0-9a-f]+)"', text)
    if found:
        return (
            f"{settings.where}: the certificate's SHA-256 fingerprint {_colons(found.group(1))} "
            f"does not match the pinned api:cert_fingerprint {settings.fingerprint}; refusing "
            "to connect (if the certificate was replaced on purpose, check and pin the new one: "
            "salt-call datera.cert_fingerprint)"
        )
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return (
            f"{settings.where}: TLS certificate verification failed ({_reason(err)}); set "
            "api:ca_bundle to the cluster's CA or pin api:cert_fingerprint"
        )
    return f"{settings.where}: TLS error: {_reason(err)}"


# --- connection, the one request function, login --------------------------------------------


class _Connection:
    """One requests session, session key and negotiated API version for one cluster."""

    def __init__(self, settings):
        self.settings = settings
        self.verify, self.tls, self.warning = _tls(settings)
        self.session = requests.Session()
        self.session.verify = self.verify
        self.session.trust_env = False  # no *_PROXY / REQUESTS_CA_BUNDLE: the pillar decides
        self.session.headers.update(
            {
                "Content-Type": "application/json; charset=utf-8",
                "Datera-Driver": "salt-datera-formula",
            }
        )
        if settings.scheme == "https" and settings.verify and settings.fingerprint:
            self.session.mount("https://", _PinnedAdapter(settings.fingerprint))
        self.token = None
        self.version = None
        self.requests = 0
        self.logins = 0
        self.pid = os.getpid()
        if self.warning:
            log.warning("%s: %s", settings.where, self.warning)

    @property
    def warnings(self):
        return [self.warning] if self.warning else []

    def scrub(self, text):
        """``text`` with the password and the session key masked."""
        return __utils__["datera_secrets.scrub"](text, self.settings.password, self.token)


def _connection(backend, kwargs):
    settings = _settings(backend, kwargs)
    cache = __context__.setdefault(CONTEXT_KEY, {})
    conn = cache.get(settings)
    if conn is None or conn.pid != os.getpid():
        conn = cache[settings] = _Connection(settings)
    return conn


def _send(conn, method, path, body, params, auth):
    """One HTTP request; transport failures become a CommandExecutionError naming the host."""
    settings = conn.settings
    headers = {"Auth-Token": conn.token, "tenant": settings.tenant} if auth else {}
    conn.requests += 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureRequestWarning)  # we warned once already
            resp = conn.session.request(
                method,
                settings.base_url + path,
                json=body,
                params=params,
                headers=headers,
                timeout=settings.timeout,
                verify=conn.verify,
            )
    except requests.exceptions.RequestException as err:
        log.debug("%s: %s %s: %s", settings.where, method, path, conn.scrub(repr(err)))
        raise CommandExecutionError(_transport_error(conn, method, path, err)) from None
    log.debug("%s: %s %s -> HTTP %s", settings.where, method, path, resp.status_code)
    return resp


def _transport_error(conn, method, path, err):
    settings = conn.settings
    if isinstance(err, requests.exceptions.SSLError):
        return _tls_error(settings, err)
    if isinstance(err, requests.exceptions.Timeout):
        return f"{settings.where}: no answer within {settings.timeout:g} s ({method} {path})"
    if _dropped(err):
        return (
            f"{settings.where}: connected, but the API closed the connection without answering "
            f"{method} {path}; see the Datera cluster's logs"
        )
    return f"{settings.where}: cannot connect: {conn.scrub(_reason(err))}"


def _dropped(err):
    """The server accepted the connection, then closed or reset it without a response."""
    text = str(err)
    return "RemoteDisconnected" in text or "Connection reset by peer" in text


def _busy(resp):
    return resp.status_code == 503 or (resp.status_code == 500 and INITIALIZING in resp.text)


def _exchange(conn, method, path, body=None, params=None, auth=True):
    """
    The one request function: log in when needed (``auth``: ``path`` is then relative to the
    negotiated ``/v<version>``), log in again once on 401, retry 503 / "still initializing"
    every ``datera_503_interval`` s for at most ``datera_503_timeout`` s. Returns the last
    response, whatever its status.
    """
    settings = conn.settings
    max_retries = int(round(settings.retry_timeout / settings.interval, 6))
    busy_since = None
    retries = 0
    relogged = False
    while True:
        if auth and conn.token is None:
            _login(conn)
        full = f"/v{conn.version}{path}" if auth else path
        resp = _send(conn, method, full, body, params, auth)
        if auth and resp.status_code == 401 and not relogged:
            log.info("%s: session key refused (HTTP 401), logging in again", settings.where)
            conn.token, relogged = None, True
            continue
        if not _busy(resp):
            return resp
        busy_since = busy_since or time.monotonic()
        elapsed = time.monotonic() - busy_since
        if retries >= max_retries or elapsed + settings.interval > settings.retry_timeout:
            raise CommandExecutionError(
                f"{settings.where}: still busy (HTTP {resp.status_code}) after "
                f"{retries + 1} attempts in {elapsed:.1f} s (datera_503_timeout "
                f"{settings.retry_timeout:g} s): {method} {full}"
            )
        retries += 1
        log.info(
            "%s: HTTP %s (busy) on %s %s, retry %d/%d in %g s",
            settings.where,
            resp.status_code,
            method,
            full,
            retries,
            max_retries,
            settings.interval,
        )
        time.sleep(settings.interval)


def _error_text(conn, resp):
    try:
        body = resp.json()
    except ValueError:
        return conn.scrub(resp.text[:200])
    if not isinstance(body, dict):
        return conn.scrub(str(body)[:200])
    text = " ".join(str(body[k]) for k in ("name", "message") if body.get(k))
    if body.get("errors"):
        text += " (" + "; ".join(str(e) for e in body["errors"]) + ")"
    return conn.scrub(text or resp.reason or "")


def _json(conn, resp, what):
    """The decoded body of a successful response, or a CommandExecutionError."""
    if resp.status_code >= 400:
        kind = DateraNotFound if resp.status_code == 404 else CommandExecutionError
        raise kind(
            f"{conn.settings.where}: {what} failed: HTTP {resp.status_code} "
            f"{_error_text(conn, resp)}"
        )
    try:
        return resp.json()
    except ValueError:
        raise CommandExecutionError(
            f"{conn.settings.where}: {what}: the answer is not JSON (HTTP {resp.status_code})"
        ) from None


def _unsupported(resp):
    return resp.status_code == 404 or "UnsupportedVersion" in resp.text


def _login(conn):
    """Log in (negotiating the API version on the first login) and keep the session key."""
    settings = conn.settings
    body = {"name": settings.login, "password": settings.password}
    if settings.ldap_server:
        body["remote_server"] = settings.ldap_server
    versions = (conn.version,) if conn.version else API_VERSIONS
    for version in versions:
        resp = _exchange(conn, "PUT", f"/v{version}/login", body, auth=False)
        if _unsupported(resp) and version != versions[-1]:
            log.info("%s: API v%s not offered, trying the next", settings.where, version)
            continue
        if resp.status_code in (401, 403):
            ldap = f" via LDAP server {settings.ldap_server}" if settings.ldap_server else ""
            raise CommandExecutionError(
                f"{settings.where}: login as {settings.login!r}{ldap} refused: "
                f"{_error_text(conn, resp)} (check san_login / san_password)"
            )
        key = _json(conn, resp, "login").get("key")
        if not key:
            raise CommandExecutionError(f"{settings.where}: login answered without a key")
        conn.token, conn.version = key, version
        conn.logins += 1
        log.debug("%s: logged in as %r, API v%s", settings.where, settings.login, version)
        return


def _api(conn, method, path, body=None, params=None):
    """``method path`` (below ``/v<version>``) → the response envelope."""
    resp = _exchange(conn, method, path, body, params)
    return _json(conn, resp, f"{method} {path}")


def _data(conn, method, path, body=None):
    return _api(conn, method, path, body).get("data")


def _list(conn, path, page_size=None):
    """
    Every item of a collection. The first request carries only ``limit`` (when
    ``page_size`` is given: not every collection accepts it); while the v2.2 metadata says
    more items exist, the next pages are asked for by ``offset`` and ``limit``.
    """
    params = {"limit": int(_number(page_size, "page_size", 1))} if page_size else None
    envelope = _api(conn, "GET", path, params=params)
    items = list(envelope.get("data") or [])
    meta = envelope.get("metadata") or {}
    while meta.get("limit") and len(items) < (meta.get("total_count") or 0):
        params = {
            "offset": int(meta.get("offset") or 0) + int(meta["limit"]),
            "limit": meta["limit"],
        }
        envelope = _api(conn, "GET", path, params=params)
        page = envelope.get("data") or []
        if not page:
            break
        items.extend(page)
        meta = envelope.get("metadata") or {}
    if len(items) < (meta.get("total") or 0):  # v2.1: no offset, one page only
        log.warning("%s: %s lists %d of %d", conn.settings.where, path, len(items), meta["total"])
    return items


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


def _endpoint(conn):
    settings = conn.settings
    return {
        "backend": settings.backend or None,
        "url": settings.base_url,
        "api_version": f"v{conn.version}" if conn.version else None,
        "tls": conn.tls,
        "warnings": conn.warnings,
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
    _api(conn, "GET", "/system")
    result = _endpoint(conn)
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
    _api(conn, "GET", "/system")
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
    result.update(_endpoint(conn))
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
    resp = _exchange(conn, "GET", "/api_versions", auth=False)
    offered = _json(conn, resp, "GET /api_versions") if resp.status_code < 400 else {}
    if conn.token is None:
        _login(conn)
    return {"cluster": offered.get("api_versions"), "negotiated": f"v{conn.version}"}


def tenants(backend=None, **kwargs):
    """
    Return every tenant (all pages).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.tenants
    """
    return _list(_connection(backend, kwargs), "/tenants")


def app_instances(backend=None, page_size=None, **kwargs):
    """
    Return every app instance of the tenant (all pages; one per Cinder volume).

    page_size
        Items asked for per request (default: the cluster's, 100).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.app_instances
    """
    return _list(_connection(backend, kwargs), "/app_instances", page_size)


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
    if _bool(online, "online"):
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
    result = _endpoint(conn)
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
    return _list(_connection(backend, kwargs), "/initiators")


def ip_pools(backend=None, **kwargs):
    """
    Return every access network IP pool (all pages).

    CLI Example:

    .. code-block:: bash

        salt '*' datera.ip_pools
    """
    return _list(_connection(backend, kwargs), "/access_network_ip_pools")


def cert_fingerprint(backend=None, **kwargs):
    """
    Read the SHA-256 fingerprint of the certificate the cluster presents (no verification,
    no login), to pin it as ``api:cert_fingerprint`` after checking it out of band. Also
    says whether it matches the fingerprint pinned now.

    CLI Example:

    .. code-block:: bash

        salt '*' datera.cert_fingerprint
    """
    settings = _settings(backend, kwargs)
    if settings.scheme != "https":
        raise SaltInvocationError(f"{settings.where} uses plain HTTP: there is no certificate")
    try:
        pem = ssl.get_server_certificate((settings.host, settings.port), timeout=settings.timeout)
    except TimeoutError:
        raise CommandExecutionError(
            f"{settings.where}: no answer within {settings.timeout:g} s (reading the certificate)"
        ) from None
    except OSError as err:  # ssl.SSLError included
        raise CommandExecutionError(
            f"{settings.where}: cannot read the certificate: {_reason(err)}"
        ) from None
    fingerprint = _colons(hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest())
    return {
        "host": settings.host,
        "port": settings.port,
        "sha256": fingerprint,
        "pinned": settings.fingerprint or None,
        "matches": fingerprint == settings.fingerprint if settings.fingerprint else None,
    }
