"""
The OpenStack client: a Keystone v3 token for cinder's service account, Cinder's v3
endpoint from the token's catalog, and Cinder calls.

Transient failures (no connection, HTTP 5xx) are retried by ``urllib3.util.Retry`` mounted
on the session's ``HTTPAdapter``: ``retries`` attempts in all, ``retry_interval`` seconds
times the attempt number between them. An expired token (HTTP 401) is renewed once per call.

Pure Python with no Salt dunders: the ``datera_volume_type`` execution module passes in the
``datera:keystone`` pillar and the per-run ``__context__``, and imports it by name, as
``datera`` imports ``datera_api``. The password is sent to Keystone only; it is never logged
or returned.
"""

import logging

import requests
from requests.adapters import HTTPAdapter
from salt.exceptions import CommandExecutionError, SaltInvocationError
from urllib3.util import Retry

log = logging.getLogger(__name__)

VOLUME_SERVICES = ("volumev3", "block-storage")
REQUIRED = ("auth_url", "user", "password", "project")


def keystone_settings(pillar, overrides=None):
    """cinder's Keystone account: ``pillar`` (``datera:keystone``, secrets revealed: the
    pillar schema owns the keys and their defaults), then ``overrides`` on top."""
    conf = dict(pillar)
    unknown = sorted(set(overrides or {}) - set(conf))
    if unknown:
        raise SaltInvocationError(f"keystone: unknown key(s): {', '.join(unknown)}")
    conf.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if not conf["auth_url"] and conf["host"]:
        conf["auth_url"] = f"http://{conf['host']}:{conf['port']}/v3"
    missing = [key for key in REQUIRED if not conf[key]]
    if missing:
        raise SaltInvocationError(
            "; ".join(f"datera:keystone:{key}: is required" for key in missing)
        )
    conf["auth_url"] = str(conf["auth_url"]).rstrip("/")
    if not conf["auth_url"].endswith("/v3"):
        conf["auth_url"] += "/v3"
    return conf


def cinder(pillar, overrides, context):
    """The ``Cinder`` session for these settings, kept in ``context`` (``__context__``) for
    the rest of the Salt run."""
    conf = keystone_settings(pillar, overrides)
    key = ("datera_openstack.cinder", conf["auth_url"], conf["user"], conf["project"])
    key += (conf["interface"], conf["region"])
    session = context.get(key)
    if session is None or session.conf != conf:
        session = context[key] = Cinder(conf)
    return session


class LinearRetry(Retry):
    """urllib3's Retry waiting ``backoff_factor`` seconds times the number of failed
    attempts so far (as ``datera:keystone:retry_interval`` is documented), not doubling."""

    def get_backoff_time(self):
        return self.backoff_factor * len(self.history)


def _retry(conf):
    """``retries`` attempts in all on connection errors and HTTP 5xx, any method (a retried
    POST that did reach Cinder is sorted out by the caller); the last answer is returned."""
    return LinearRetry(
        total=max(1, int(conf["retries"])) - 1,
        status_forcelist=range(500, 600),
        allowed_methods=None,
        backoff_factor=float(conf["retry_interval"]),
        raise_on_status=False,
    )


def _verify(conf):
    if conf["ca_bundle"]:
        return conf["ca_bundle"]
    if conf["verify"] is False:
        log.warning("datera_openstack: TLS verification of %s is off", conf["auth_url"])
    return conf["verify"]


def _message(response):
    """Cinder's/Keystone's error text (``{"itemNotFound": {"message": ...}}`` and alike)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    for value in body.values() if isinstance(body, dict) else ():
        if isinstance(value, dict) and value.get("message"):
            return str(value["message"])
    return response.reason or ""


def _auth_body(conf):
    password = {
        "user": {
            "name": conf["user"],
            "domain": {"name": conf["user_domain"]},
            "password": conf["password"],
        }
    }
    project = {"name": conf["project"], "domain": {"name": conf["project_domain"]}}
    return {
        "auth": {
            "identity": {"methods": ["password"], "password": password},
            "scope": {"project": project},
        }
    }


def volume_endpoint(token, conf):
    """Cinder v3's URL from the token's catalog, ending in the project id."""
    for service in token.get("catalog") or []:
        if service.get("type") not in VOLUME_SERVICES:
            continue
        for endpoint in service.get("endpoints") or []:
            if endpoint.get("interface") != conf["interface"]:
                continue
            if conf["region"] and endpoint.get("region") != conf["region"]:
                continue
            url = str(endpoint["url"]).rstrip("/")
            project_id = (token.get("project") or {}).get("id")
            if project_id and not url.endswith("/" + project_id):
                url += "/" + project_id
            return url
    raise CommandExecutionError(
        f"Keystone {conf['auth_url']}: no {conf['interface']} volumev3 endpoint"
        + (f" in region {conf['region']}" if conf["region"] else "")
        + " in the service catalog"
    )


class Cinder:
    """A Keystone-authenticated session on Cinder's v3 API of cinder's service project."""

    def __init__(self, conf):
        self.conf = conf
        self.http = requests.Session()
        self.http.verify = _verify(conf)
        adapter = HTTPAdapter(max_retries=_retry(conf))
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        self.token = None
        self.url = None

    def _send(self, method, url, **kwargs):
        try:
            return self.http.request(method, url, timeout=self.conf["timeout"], **kwargs)
        except requests.RequestException as exc:
            raise CommandExecutionError(
                f"cannot reach {url.split('?')[0]}: {type(exc).__name__}"
            ) from None

    def login(self):
        """Get a token from Keystone and Cinder's URL from its catalog."""
        conf = self.conf
        response = self._send("POST", f"{conf['auth_url']}/auth/tokens", json=_auth_body(conf))
        if response.status_code != 201 or "X-Subject-Token" not in response.headers:
            raise CommandExecutionError(
                f"Keystone {conf['auth_url']} refused user {conf['user']} of project "
                f"{conf['project']}: HTTP {response.status_code} {_message(response)}"
            )
        self.token = response.headers["X-Subject-Token"]
        self.url = volume_endpoint(response.json().get("token") or {}, conf)
        log.debug("datera_openstack: logged in to %s, Cinder at %s", conf["auth_url"], self.url)

    def call(self, method, path, body=None, ok=(200,)):
        """One Cinder request; logs in (again, once, on 401) as needed; JSON body or None."""
        if self.token is None:
            self.login()
        response = self._request(method, path, body)
        if response.status_code == 401:
            self.login()
            response = self._request(method, path, body)
        if response.status_code not in ok:
            raise CommandExecutionError(
                f"Cinder {method} {path}: HTTP {response.status_code} {_message(response)}"
            )
        return response.json() if response.content else None

    def _request(self, method, path, body):
        headers = {"X-Auth-Token": self.token, "Accept": "application/json"}
        return self._send(method, self.url + path, json=body, headers=headers)
