"""
A small Keystone v3 + Cinder v3 (volume types) simulator, over real HTTP.

The volume-type tests run against the real Keystone 30 and cinder-api 29 too (fixture
``cinder_api``, tests/support/cinder_api.py); this simulator stays for what the real services
cannot be made to produce on demand (docs/test-plan.rst):

- Cinder answering HTTP 5xx (``faults.status_for_next``): cinder-api has no switch for it;
- a token that expires mid-run (``faults.expire_tokens``): a token Keystone revokes is still
  accepted by cinder-api, whose keystonemiddleware caches validated tokens.

Its answers are checked against the real API's in tests/live/test_openstack_sim_shapes.py.

Two servers on loopback, as in a real cloud: Keystone (``POST /v3/auth/tokens``, password
method, project scope) and Cinder, whose address clients must take from the token's service
catalog (type ``volumev3``: in ``RegionOne`` with the project id, in ``RegionBare`` without).
Cinder serves the volume-type API:

- ``GET/POST /v3/<project_id>/types``, ``GET/PUT/DELETE /v3/<project_id>/types/<id>``
- ``GET/POST /v3/<project_id>/types/<id>/extra_specs``
- ``GET/PUT/DELETE /v3/<project_id>/types/<id>/extra_specs/<key>``

with Cinder's own rules: an admin role is needed to change types, names are unique (409),
extra-spec values must be strings, a type in use cannot be deleted (``state.in_use``: the
simulator has no volumes), unknown ids are 404, the URL's project must be the token's (400).

.. code-block:: python

    with OpenStackSimulator(users={"cinder": "pw"}) as sim:
        sim.auth_url            # http://127.0.0.1:<port>/v3
        sim.requests            # [(method, path), ...] of both servers
        sim.faults.expire_tokens(); sim.faults.status_for_next(503, n=2)
"""

import json
import logging
import re
import sys
import threading
import traceback
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from tests.support import secrets
from tests.support.cinder_api import BARE_REGION

DEFAULT_DOMAIN = "Default"
DEFAULT_TYPE = "__DEFAULT__"
log = logging.getLogger(__name__)


class Faults:
    """Faults to inject; each applies to the Cinder server unless said otherwise."""

    def __init__(self):
        self.lock = threading.Lock()
        self._statuses = []

    def status_for_next(self, status, n=1):
        """The next ``n`` Cinder requests answer ``status`` (a Cinder-style error body)."""
        with self.lock:
            self._statuses.extend([status] * n)

    def next_status(self):
        with self.lock:
            return self._statuses.pop(0) if self._statuses else None

    def expire_tokens(self):  # replaced per simulator in __init__
        raise NotImplementedError


class State:
    """The cloud's objects: users, projects, tokens, volume types."""

    def __init__(self, users, project, roles):
        self.lock = threading.RLock()
        self.users = dict(users)
        self.roles = {user: set(roles.get(user, ["admin"])) for user in users}
        self.project_id = uuid.uuid4().hex
        self.projects = {project: self.project_id}
        self.tokens = {}  # token -> {"user", "project_id"}
        self.types = {}
        self.in_use = set()  # type ids with volumes: cannot be deleted
        self.add_type(DEFAULT_TYPE, "Default Volume Type", {})

    def add_type(self, name, description=None, extra_specs=None, is_public=True):
        type_id = str(uuid.uuid4())
        self.types[type_id] = {
            "id": type_id,
            "name": name,
            "description": description,
            "is_public": is_public,
            "extra_specs": dict(extra_specs or {}),
        }
        return type_id

    def type_by_name(self, name):
        return next((t for t in self.types.values() if t["name"] == name), None)


class _Error(Exception):
    def __init__(self, status, kind, message):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def _bad(message):
    return _Error(400, "badRequest", message)


def _not_found(message):
    return _Error(404, "itemNotFound", message)


def _public(volume_type, qos=True, access=True):
    """A type as cinder-api 29 shows it: list and show have the admin fields, a create has
    no ``qos_specs_id``, an update neither of them (checked against the real API in
    tests/live/test_openstack_sim_shapes.py)."""
    shown = dict(volume_type)
    if access:
        shown["os-volume-type-access:is_public"] = shown["is_public"]
    if qos:
        shown["qos_specs_id"] = None
    return shown


def _check_specs(specs):
    if not isinstance(specs, dict):
        raise _bad("extra_specs must be a dictionary")
    for key, value in specs.items():
        if not isinstance(key, str) or not 0 < len(key) <= 255:
            raise _bad(f"Invalid input received: extra_specs key {key!r}")
        if not isinstance(value, str) or len(value) > 255:
            raise _bad(f"Invalid input received: extra_specs value of {key} must be a string")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sim = None  # set on the subclass per server
    server_kind = None

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
        pass

    def _dispatch(self):
        self.sim.record(self.command, self.path)
        try:
            status, payload, headers = self._answer()
            data = b"" if payload is None else json.dumps(payload).encode()
        except ConnectionError:
            raise
        except Exception as exc:
            log.exception("openstack-sim: %s %s raised", self.command, self.path)
            kind = "error" if self.server_kind == "identity" else "computeFault"
            message = f"Simulator bug: {type(exc).__name__}: {exc}"
            fault = {"code": 500, "message": message, "details": traceback.format_exc()}
            status, data, headers = 500, json.dumps({kind: fault}).encode(), {}
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"badRequest": {"code": 400, "message": "Malformed JSON"}}, {}
        try:
            if self.server_kind == "identity":
                return self.sim.identity(self.command, self.path, body)
            token = self.headers.get("X-Auth-Token")
            return self.sim.volume(self.command, self.path, body, token)
        except _Error as exc:
            return exc.status, {exc.kind: {"code": exc.status, "message": exc.message}}, {}

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # reset by the peer, cut short
            log.error("openstack-sim: connection from %s failed", client_address, exc_info=True)


class OpenStackSimulator:
    """Keystone v3 and Cinder v3 volume types; see the module docstring."""

    def __init__(
        self,
        host="127.0.0.1",
        users=None,
        project="services",
        roles=None,
        region="RegionOne",
    ):
        self.host = host
        self.region = region
        self.state = State(users or {"cinder": "password"}, project, roles or {})
        self.faults = Faults()
        self.faults.expire_tokens = self._expire_tokens
        self.requests = []
        self._servers = []

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self):
        for kind in ("identity", "volume"):
            handler = type(f"{kind}Handler", (_Handler,), {"sim": self, "server_kind": kind})
            server = _Server((self.host, 0), handler)
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
            self._servers.append(server)
        return self

    def stop(self):
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def identity_port(self):
        return self._servers[0].server_address[1]

    @property
    def volume_port(self):
        return self._servers[1].server_address[1]

    @property
    def auth_url(self):
        return f"http://{self.host}:{self.identity_port}/v3"

    @property
    def project_id(self):
        return self.state.project_id

    # --- bookkeeping -------------------------------------------------------------------------

    def record(self, method, path):
        with self.state.lock:
            self.requests.append((method, path))

    def count(self, method=None, path_prefix=None):
        return sum(
            1
            for m, p in self.requests
            if (method is None or m == method)
            and (path_prefix is None or p.startswith(path_prefix))
        )

    def reset_counts(self):
        with self.state.lock:
            self.requests.clear()

    def _expire_tokens(self):
        with self.state.lock:
            self.state.tokens.clear()

    # --- Keystone ----------------------------------------------------------------------------

    def identity(self, method, path, body):
        if (method, path.rstrip("/")) != ("POST", "/v3/auth/tokens"):
            raise _not_found(f"{method} {path} is not served by this Keystone")
        user, project_id = self._authenticate(body)
        token = secrets.issued("gAAAA" + uuid.uuid4().hex)
        with self.state.lock:
            self.state.tokens[token] = {"user": user, "project_id": project_id}
        return 201, {"token": self._token_body(user, project_id)}, {"X-Subject-Token": token}

    def _authenticate(self, body):
        auth = (body or {}).get("auth") or {}
        identity = auth.get("identity") or {}
        if identity.get("methods") != ["password"]:
            raise _bad("only the password method is simulated")
        user = (identity.get("password") or {}).get("user") or {}
        name, domain = user.get("name"), (user.get("domain") or {}).get("name")
        if (
            domain != DEFAULT_DOMAIN
            or self.state.users.get(name) is None
            or self.state.users[name] != user.get("password")
        ):
            raise _Error(401, "error", "The request you have made requires authentication.")
        project = ((auth.get("scope") or {}).get("project")) or {}
        if (project.get("domain") or {}).get("name") != DEFAULT_DOMAIN:
            raise _Error(401, "error", "project domain not found")
        project_id = self.state.projects.get(project.get("name"))
        if project_id is None:
            raise _Error(401, "error", f"Could not find project: {project.get('name')}")
        return name, project_id

    def _token_body(self, user, project_id):
        expires = datetime.now(timezone.utc) + timedelta(hours=1)
        volume_url = f"http://{self.host}:{self.volume_port}/v3"
        return {
            "methods": ["password"],
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "user": {"name": user, "id": user, "domain": {"name": DEFAULT_DOMAIN}},
            "project": {"id": project_id, "domain": {"name": DEFAULT_DOMAIN}},
            "roles": [{"name": role} for role in sorted(self.state.roles[user])],
            "catalog": [
                self._service("identity", "keystone", {self.region: self.auth_url}),
                self._service(
                    "volumev3",
                    "cinderv3",
                    {self.region: f"{volume_url}/{project_id}", BARE_REGION: volume_url},
                ),
            ],  # fmt: skip
        }

    def _service(self, kind, name, urls):
        endpoints = [
            {"id": uuid.uuid4().hex, "interface": i, "region": region, "url": url}
            for region, url in urls.items()
            for i in ("public", "internal", "admin")
        ]
        return {"type": kind, "name": name, "id": uuid.uuid4().hex, "endpoints": endpoints}

    # --- Cinder ------------------------------------------------------------------------------

    _ROUTE = re.compile(
        r"^/v3/(?P<project>[^/]+)/types(?:/(?P<id>[^/]+))?(?P<specs>/extra_specs)?(?:/(?P<key>[^/]+))?$"
    )

    def volume(self, method, path, body, token):
        with self.state.lock:
            session = self.state.tokens.get(token or "")
        if session is None:
            raise _Error(401, "error", "Authentication required")
        status = self.faults.next_status()
        if status is not None:
            raise _Error(status, "computeFault", f"injected fault {status}")
        match = self._ROUTE.match(path.split("?")[0])
        if match is None:
            raise _not_found(f"no route for {path}")
        if match["project"] != session["project_id"]:
            raise _bad("Malformed request url")
        if method != "GET" and "admin" not in self.state.roles[session["user"]]:
            raise _Error(403, "forbidden", "Policy doesn't allow volume_extension:types_manage")
        with self.state.lock:
            return self._route(method, match, body)

    def _route(self, method, match, body):
        if match["id"] is None:
            return self._types(method, body)
        volume_type = self.state.types.get(match["id"])
        if volume_type is None:
            raise _not_found(f"Volume type {match['id']} could not be found.")
        if match["specs"] is None:
            return self._one_type(method, volume_type, body)
        if match["key"] is None:
            return self._specs(method, volume_type, body)
        return self._one_spec(method, volume_type, unquote(match["key"]), body)

    def _types(self, method, body):
        if method == "GET":
            return 200, {"volume_types": [_public(t) for t in self.state.types.values()]}, {}
        if method != "POST":
            raise _Error(405, "badMethod", "method not allowed")
        spec = (body or {}).get("volume_type")
        if not isinstance(spec, dict) or not str(spec.get("name") or "").strip():
            raise _bad("Volume type name can not be empty.")
        if self.state.type_by_name(spec["name"]) is not None:
            raise _Error(409, "conflictingRequest", f"Volume Type {spec['name']} already exists.")
        specs = spec.get("extra_specs") or {}
        _check_specs(specs)
        is_public = spec.get("os-volume-type-access:is_public", True)
        type_id = self.state.add_type(spec["name"], spec.get("description"), specs, is_public)
        return 200, {"volume_type": _public(self.state.types[type_id], qos=False)}, {}

    def _one_type(self, method, volume_type, body):
        if method == "GET":
            return 200, {"volume_type": _public(volume_type)}, {}
        if method == "PUT":
            update = (body or {}).get("volume_type") or {}
            for key in ("name", "description"):
                if key in update:
                    volume_type[key] = update[key]
            return 200, {"volume_type": _public(volume_type, qos=False, access=False)}, {}
        if method == "DELETE":
            if volume_type["id"] in self.state.in_use:
                raise _bad("Target volume type is still in use.")
            del self.state.types[volume_type["id"]]
            return 202, None, {}
        raise _Error(405, "badMethod", "method not allowed")

    def _specs(self, method, volume_type, body):
        if method == "GET":
            return 200, {"extra_specs": dict(volume_type["extra_specs"])}, {}
        if method != "POST":
            raise _Error(405, "badMethod", "method not allowed")
        specs = (body or {}).get("extra_specs")
        _check_specs(specs)
        volume_type["extra_specs"].update(specs)
        return 200, {"extra_specs": specs}, {}

    def _one_spec(self, method, volume_type, key, body):
        specs = volume_type["extra_specs"]
        if method == "GET":
            if key not in specs:
                raise _not_found(
                    f"Volume Type {volume_type['id']} has no extra specs with key {key}."
                )
            return 200, {key: specs[key]}, {}
        if method == "PUT":
            if not isinstance(body, dict) or list(body) != [key]:
                raise _bad("Request body and URI mismatch")
            _check_specs(body)
            specs[key] = body[key]
            return 200, body, {}
        if method == "DELETE":
            if key not in specs:
                raise _not_found(
                    f"Volume Type {volume_type['id']} has no extra specs with key {key}."
                )
            del specs[key]
            return 202, None, {}
        raise _Error(405, "badMethod", "method not allowed")
