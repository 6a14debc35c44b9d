"""
The Datera (DFS / EDF) REST client: connection settings, TLS, one session and one login per
Salt run, the 401 / 503 policy, error texts without secrets.

Pure Python with no Salt dunders: the ``datera`` execution module passes in what Salt gives
it (the backend's pillar, the per-run ``__context__`` cache, the masking function of
``datera_secrets``), and imports it by name (``import datera_api``): pip installs the
``_utils`` as top-level modules, and Salt puts the dir it syncs them to on ``sys.path``.

Transport: HTTPS on port 7718 unless ``scheme: http`` (port 7717). The certificate is checked
against ``ca_bundle``, or pinned by its SHA-256 fingerprint, or against certifi's CA bundle;
only ``verify: false`` turns checking off, with a warning. A 401 logs in again once; 503 (and
500 "REST server is still initializing") is retried every ``datera_503_interval`` seconds for
at most ``datera_503_timeout`` seconds.
"""

import dataclasses
import hashlib
import logging
import os
import re
import ssl
import time
import warnings

import requests
from requests.adapters import HTTPAdapter
from salt.exceptions import CommandExecutionError, SaltInvocationError
from urllib3.exceptions import InsecureRequestWarning

log = logging.getLogger(__name__)

API_VERSIONS = ("2.2", "2.1")  # preferred first, as cinder >= Ussuri does
DEFAULT_PORTS = {"https": 7718, "http": 7717}
INITIALIZING = "REST server is still initializing"
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
_FINGERPRINT = re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")


class DateraHTTPError(CommandExecutionError):
    """The cluster answered with an HTTP error; ``status`` is its code."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


# --- settings -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Settings:
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


def boolean(value, what):
    """``value`` as a bool (true/yes/on/1, false/no/off/0); anything else is an error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise SaltInvocationError(f"{what} must be true or false, got {value!r}")


def number(value, what, low=0.0):
    """``value`` as a float of at least ``low``; anything else is an error naming ``what``."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise SaltInvocationError(f"{what} must be a number, got {value!r}") from None
    if result < low:
        raise SaltInvocationError(f"{what} must be at least {low}, got {value!r}")
    return result


def _tenant(value):
    """The ``tenant`` header for a ``datera_tenant_id``: ``/root`` or ``/root/<name>``."""
    value = (value or "").strip()
    if value in ("", "root", "/root", "all", "Map"):  # Map: per-project, cinder's business
        return "/root"
    return value if value.startswith("/root/") else "/root/" + value.strip("/")


def _refuse_unknown(overrides):
    unknown = sorted(set(overrides) - set(OVERRIDES))
    if unknown:
        raise SaltInvocationError(
            f"unknown option(s) {', '.join(unknown)}; accepted: {', '.join(OVERRIDES)}"
        )


def needs_pillar(backend, overrides):
    """Whether the pillar must be read: not when ``san_ip``, ``san_login`` and
    ``san_password`` are all given and no backend is named."""
    _refuse_unknown(overrides)
    given = all(overrides.get(k) for k in ("san_ip", "san_login", "san_password"))
    return backend is not None or not given


def _transport(api, pick):
    """``(scheme, port, fingerprint)`` from the ``api`` pillar block and the overrides."""
    scheme = str(pick("scheme", api.get("scheme"), "https")).lower()
    if scheme not in DEFAULT_PORTS:
        raise SaltInvocationError(f"scheme must be https or http, got {scheme!r}")
    port = pick("port", None)
    if port is None:
        same_scheme = scheme == api.get("scheme", "https")
        port = api.get("port") if same_scheme and api.get("port") else DEFAULT_PORTS[scheme]
    fingerprint = str(pick("cert_fingerprint", api.get("cert_fingerprint"), "")).upper()
    if fingerprint and not _FINGERPRINT.match(fingerprint):
        raise SaltInvocationError("cert_fingerprint must be a SHA-256 fingerprint AA:BB:... ")
    return scheme, int(number(port, "port", 1)), fingerprint


def settings(backend, pillar, overrides):
    """
    The ``Settings`` of one backend: its pillar (``datera:backends:<name>``, secrets
    revealed; ``{}`` when not read) with the call's ``overrides`` on top.
    """
    _refuse_unknown(overrides)
    api = pillar.get("api") or {}

    def pick(key, pillar_value, default=None):
        value = overrides.get(key, pillar_value)
        return default if value in (None, "") else value

    scheme, port, fingerprint = _transport(api, pick)
    host = pick("san_ip", pillar.get("san_ip"))
    login = pick("san_login", pillar.get("san_login"))
    password = pick("san_password", pillar.get("san_password"))
    if not (host and login and password):
        raise SaltInvocationError("san_ip, san_login and san_password are required")
    interval = pick("datera_503_interval", pillar.get("datera_503_interval"), 5)
    retry_timeout = pick("datera_503_timeout", pillar.get("datera_503_timeout"), 120)
    return Settings(
        backend=pillar.get("name") or backend or "",
        host=str(host),
        port=port,
        scheme=scheme,
        login=str(login),
        password=str(password),
        tenant=_tenant(pick("tenant", pillar.get("datera_tenant_id"), "")),
        ldap_server=str(pick("ldap_server", pillar.get("datera_ldap_server"), "")),
        ca_bundle=str(pick("ca_bundle", api.get("ca_bundle"), "")),
        fingerprint=fingerprint,
        verify=boolean(pick("verify", api.get("verify"), True), "verify"),
        timeout=number(pick("timeout", api.get("timeout"), 30), "timeout", 0.001),
        interval=max(number(interval, "datera_503_interval"), 0.01),
        retry_timeout=number(retry_timeout, "datera_503_timeout"),
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


def _tls(conf):
    """``(requests verify argument, description, warning or None)`` for these settings."""
    if conf.scheme == "http":
        return False, "none (plain HTTP)", "plain HTTP: the password is sent unencrypted"
    if not conf.verify:
        return (
            False,
            "NOT VERIFIED (verify: false)",
            "TLS certificate verification is OFF (verify: false): "
            "anyone on the network path can impersonate the cluster",
        )
    if conf.fingerprint:
        extra = f" and CA bundle {conf.ca_bundle}" if conf.ca_bundle else ""
        return conf.ca_bundle or False, f"pinned SHA-256 {conf.fingerprint}{extra}", None
    if conf.ca_bundle:
        return conf.ca_bundle, f"verified with CA bundle {conf.ca_bundle}", None
    return True, "verified with the default CA bundle (certifi)", None


def _colons(hexdigest):
    hexdigest = hexdigest.upper()
    return ":".join(hexdigest[i : i + 2] for i in range(0, len(hexdigest), 2))


def _reason(err):
    """The useful part of a requests/ssl error: ``[Errno 111] Connection refused``."""
    found = re.search(r"\[(Errno|SSL)[^\]]*\][^'\"()]*", str(err))
    return found.group(0).strip(" :,") if found else type(err).__name__


def _tls_error(conf, err):
    text = str(err)
    found = re.search(r'Fingerprints did not match\. Expected "[0-9a-f]+", got "([0-9a-f]+)"', text)
    if found:
        return (
            f"{conf.where}: the certificate's SHA-256 fingerprint {_colons(found.group(1))} "
            f"does not match the pinned api:cert_fingerprint {conf.fingerprint}; refusing "
            "to connect (if the certificate was replaced on purpose, check and pin the new one: "
            "salt-call datera.cert_fingerprint)"
        )
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return (
            f"{conf.where}: TLS certificate verification failed ({_reason(err)}); set "
            "api:ca_bundle to the cluster's CA or pin api:cert_fingerprint"
        )
    return f"{conf.where}: TLS error: {_reason(err)}"


def server_fingerprint(conf):
    """The SHA-256 fingerprint of the certificate the cluster presents (no verification, no
    login) and whether it matches the pinned one."""
    if conf.scheme != "https":
        raise SaltInvocationError(f"{conf.where} uses plain HTTP: there is no certificate")
    try:
        pem = ssl.get_server_certificate((conf.host, conf.port), timeout=conf.timeout)
    except TimeoutError:
        raise CommandExecutionError(
            f"{conf.where}: no answer within {conf.timeout:g} s (reading the certificate)"
        ) from None
    except OSError as err:  # ssl.SSLError included
        raise CommandExecutionError(
            f"{conf.where}: cannot read the certificate: {_reason(err)}"
        ) from None
    fingerprint = _colons(hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest())
    return {
        "host": conf.host,
        "port": conf.port,
        "sha256": fingerprint,
        "pinned": conf.fingerprint or None,
        "matches": fingerprint == conf.fingerprint if conf.fingerprint else None,
    }


# --- the connection -------------------------------------------------------------------------


def connect(conf, cache, scrub):
    """The ``Connection`` for ``conf``, kept in ``cache`` (a dict in ``__context__``: one
    session and one login per Salt run). ``scrub(text, *secrets)`` masks secrets."""
    conn = cache.get(conf)
    if conn is None or conn.pid != os.getpid():
        conn = cache[conf] = Connection(conf, scrub)
    return conn


class Connection:
    """One requests session, session key and negotiated API version for one cluster."""

    def __init__(self, conf, scrub):
        self.settings = conf
        self._scrub = scrub
        self.verify, self.tls, self.warning = _tls(conf)
        self.session = requests.Session()
        self.session.verify = self.verify
        self.session.trust_env = False  # no *_PROXY / REQUESTS_CA_BUNDLE: the pillar decides
        self.session.headers.update(
            {
                "Content-Type": "application/json; charset=utf-8",
                "Datera-Driver": "salt-datera-formula",
            }
        )
        if conf.scheme == "https" and conf.verify and conf.fingerprint:
            self.session.mount("https://", _PinnedAdapter(conf.fingerprint))
        self.token = None
        self.version = None
        self.requests = 0
        self.logins = 0
        self.pid = os.getpid()
        if self.warning:
            log.warning("%s: %s", conf.where, self.warning)

    @property
    def warnings(self):
        return [self.warning] if self.warning else []

    def scrub(self, text):
        """``text`` with the password and the session key masked."""
        return self._scrub(text, self.settings.password, self.token)

    def endpoint(self):
        """How the cluster was reached: backend, URL, API version, TLS mode, warnings."""
        return {
            "backend": self.settings.backend or None,
            "url": self.settings.base_url,
            "api_version": f"v{self.version}" if self.version else None,
            "tls": self.tls,
            "warnings": self.warnings,
        }

    def send(self, method, path, body, params, auth):
        """One HTTP request; transport failures become a CommandExecutionError naming the
        host."""
        conf = self.settings
        headers = {"Auth-Token": self.token, "tenant": conf.tenant} if auth else {}
        self.requests += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", InsecureRequestWarning)  # we warned once already
                resp = self.session.request(
                    method,
                    conf.base_url + path,
                    json=body,
                    params=params,
                    headers=headers,
                    timeout=conf.timeout,
                    verify=self.verify,
                )
        except requests.exceptions.RequestException as err:
            log.debug("%s: %s %s: %s", conf.where, method, path, self.scrub(repr(err)))
            raise CommandExecutionError(self._transport_error(method, path, err)) from None
        log.debug("%s: %s %s -> HTTP %s", conf.where, method, path, resp.status_code)
        return resp

    def _transport_error(self, method, path, err):
        conf = self.settings
        if isinstance(err, requests.exceptions.SSLError):
            return _tls_error(conf, err)
        if isinstance(err, requests.exceptions.Timeout):
            return f"{conf.where}: no answer within {conf.timeout:g} s ({method} {path})"
        if "RemoteDisconnected" in str(err) or "Connection reset by peer" in str(err):
            return (
                f"{conf.where}: connected, but the API closed the connection without "
                f"answering {method} {path}; see the Datera cluster's logs"
            )
        return f"{conf.where}: cannot connect: {self.scrub(_reason(err))}"

    def exchange(self, method, path, body=None, params=None, auth=True):
        """
        The one request function: log in when needed (``auth``: ``path`` is then relative to
        the negotiated ``/v<version>``), log in again once on 401, retry 503 / "still
        initializing" every ``datera_503_interval`` s for at most ``datera_503_timeout`` s.
        Returns the last response, whatever its status.
        """
        busy = _Busy(self.settings)
        relogged = False
        while True:
            if auth and self.token is None:
                self.login()
            full = f"/v{self.version}{path}" if auth else path
            resp = self.send(method, full, body, params, auth)
            if auth and resp.status_code == 401 and not relogged:
                log.info("%s: session key refused (HTTP 401), logging in again", busy.where)
                self.token, relogged = None, True
                continue
            if not (resp.status_code == 503 or _initializing(resp)):
                return resp
            busy.wait(resp, method, full)

    def error_text(self, resp):
        """The cluster's error (name, message, errors) with the secrets masked."""
        try:
            body = resp.json()
        except ValueError:
            return self.scrub(resp.text[:200])
        if not isinstance(body, dict):
            return self.scrub(str(body)[:200])
        text = " ".join(str(body[k]) for k in ("name", "message") if body.get(k))
        if body.get("errors"):
            text += " (" + "; ".join(str(e) for e in body["errors"]) + ")"
        return self.scrub(text or resp.reason or "")

    def json(self, resp, what):
        """The decoded body of a successful response, or a DateraHTTPError."""
        if resp.status_code >= 400:
            raise DateraHTTPError(
                f"{self.settings.where}: {what} failed: HTTP {resp.status_code} "
                f"{self.error_text(resp)}",
                resp.status_code,
            )
        try:
            return resp.json()
        except ValueError:
            raise CommandExecutionError(
                f"{self.settings.where}: {what}: the answer is not JSON (HTTP {resp.status_code})"
            ) from None

    def login(self):
        """Log in (negotiating the API version on the first login); keep the session key."""
        conf = self.settings
        body = {"name": conf.login, "password": conf.password}
        if conf.ldap_server:
            body["remote_server"] = conf.ldap_server
        versions = (self.version,) if self.version else API_VERSIONS
        for version in versions:
            resp = self.exchange("PUT", f"/v{version}/login", body, auth=False)
            unsupported = resp.status_code == 404 or "UnsupportedVersion" in resp.text
            if unsupported and version != versions[-1]:
                log.info("%s: API v%s not offered, trying the next", conf.where, version)
                continue
            if resp.status_code in (401, 403):
                ldap = f" via LDAP server {conf.ldap_server}" if conf.ldap_server else ""
                raise CommandExecutionError(
                    f"{conf.where}: login as {conf.login!r}{ldap} refused: "
                    f"{self.error_text(resp)} (check san_login / san_password)"
                )
            key = self.json(resp, "login").get("key")
            if not key:
                raise CommandExecutionError(f"{conf.where}: login answered without a key")
            self.token, self.version = key, version
            self.logins += 1
            log.debug("%s: logged in as %r, API v%s", conf.where, conf.login, version)
            return

    def api(self, method, path, body=None, params=None):
        """``method path`` (below ``/v<version>``) → the response envelope."""
        return self.json(self.exchange(method, path, body, params), f"{method} {path}")

    def data(self, method, path, body=None):
        """The ``data`` of the response envelope."""
        return self.api(method, path, body).get("data")

    def list(self, path, page_size=None):
        """
        Every item of a collection. The first request carries only ``limit`` (when
        ``page_size`` is given: not every collection accepts it); while the v2.2 metadata says
        more items exist, the next pages are asked for by ``offset`` and ``limit``.
        """
        params = {"limit": int(number(page_size, "page_size", 1))} if page_size else None
        envelope = self.api("GET", path, params=params)
        items = list(envelope.get("data") or [])
        meta = envelope.get("metadata") or {}
        while meta.get("limit") and len(items) < (meta.get("total_count") or 0):
            params = {
                "offset": int(meta.get("offset") or 0) + int(meta["limit"]),
                "limit": meta["limit"],
            }
            envelope = self.api("GET", path, params=params)
            page = envelope.get("data") or []
            if not page:
                break
            items.extend(page)
            meta = envelope.get("metadata") or {}
        if len(items) < (meta.get("total") or 0):  # v2.1: no offset, one page only
            log.warning(
                "%s: %s lists %d of %d", self.settings.where, path, len(items), meta["total"]
            )
        return items


def _initializing(resp):
    return resp.status_code == 500 and INITIALIZING in resp.text


class _Busy:
    """The 503 / "still initializing" retry budget of one request."""

    def __init__(self, conf):
        self.where = conf.where
        self.interval = conf.interval
        self.timeout = conf.retry_timeout
        self.max_retries = int(round(conf.retry_timeout / conf.interval, 6))
        self.since = None
        self.retries = 0

    def wait(self, resp, method, path):
        """Sleep one interval, or fail when the budget is spent."""
        self.since = self.since or time.monotonic()
        elapsed = time.monotonic() - self.since
        if self.retries >= self.max_retries or elapsed + self.interval > self.timeout:
            raise CommandExecutionError(
                f"{self.where}: still busy (HTTP {resp.status_code}) after "
                f"{self.retries + 1} attempts in {elapsed:.1f} s (datera_503_timeout "
                f"{self.timeout:g} s): {method} {path}"
            )
        self.retries += 1
        log.info(
            "%s: HTTP %s (busy) on %s %s, retry %d/%d in %g s",
            self.where,
            resp.status_code,
            method,
            path,
            self.retries,
            self.max_retries,
            self.interval,
        )
        time.sleep(self.interval)
