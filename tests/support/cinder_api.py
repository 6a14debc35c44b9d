"""
The Cinder volume-type API the tests run against, behind one interface: ``SimCinder`` (the
Keystone + Cinder simulator, tests/support/openstack_sim.py) or ``RealCinder`` (the real
Keystone 30 and cinder-api 29 of the session's control plane, tests/live/openstack.py). A
test body that reads and sets up volume types only through this interface runs against both
(fixture ``cinder_api``, tests/support/fixtures.py). Everything here goes through the REST
API, as cinder's service account (user ``cinder``, admin of project ``services``): what
``openstack volume type list --long`` and ``show`` are made of.

.. code-block:: python

    api.types()["datera-gold"]["extra_specs"]      # {"volume_backend_name": ..., ...}
    api.add_type("by-hand", {"volume_backend_name": "datera"})
    mark = api.mark(); ...; api.writes(mark)       # [("POST", "/v3/<project>/types"), ...]
    with api.in_use("datera-gold"): ...            # a volume of that type exists
"""

import re
import time
import uuid
from contextlib import contextmanager

import requests

from tests.support import secrets

USER, PROJECT = "cinder", "services"
PASSWORD = secrets.KEYSTONE
VIEWER, VIEWER_PASSWORD = "viewer", "Viewer-Pw-4"  # a member of the project, not an admin
REGION = "RegionOne"
BARE_REGION = "RegionBare"  # Cinder's endpoints without the project id (.../v3), as clouds
# that use cinder's project-less URLs (API 3.67+) register them
DEFAULT_TYPE = "__DEFAULT__"


class Client:
    """A project-scoped token for ``user``; Cinder's URL from the catalog's internal
    endpoint."""

    def __init__(self, auth_url, password=PASSWORD, user=USER, project=PROJECT):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }}  # fmt: skip
        self.login = requests.post(f"{auth_url}/auth/tokens", json=body, timeout=30)
        self.login.raise_for_status()
        self.token = self.login.headers["X-Subject-Token"]
        (volume,) = [s for s in self.login.json()["token"]["catalog"] if s["type"] == "volumev3"]
        (self.base,) = [e["url"] for e in volume["endpoints"]
                        if e["interface"] == "internal" and e["region"] == REGION]  # fmt: skip

    def call(self, method, path, body=None, token=None):
        resp = requests.request(method, self.base + path, json=body, timeout=30,
                                headers={"X-Auth-Token": token or self.token})  # fmt: skip
        try:
            return resp.status_code, resp.json() if resp.content else None
        except ValueError:  # an HTML error page
            return resp.status_code, resp.text

    def ok(self, method, path, body=None):
        status, answer = self.call(method, path, body)
        assert status < 300, f"{method} {path}: {status} {answer}"
        return answer


class _Api:
    kind = None
    auth_url = host = identity_port = None

    def client(self):
        return Client(self.auth_url)

    def viewer(self):
        """A client of the project's non-admin member ``viewer``."""
        return Client(self.auth_url, VIEWER_PASSWORD, VIEWER)

    def types(self):
        """``{name: {"id", "description", "is_public", "extra_specs"}}`` as Cinder lists
        them to cinder's project (every type, public or not)."""
        listed = self.client().ok("GET", "/types?is_public=None")["volume_types"]
        keys = ("id", "description", "is_public", "extra_specs")
        return {t["name"]: {key: t.get(key) for key in keys} for t in listed}

    def add_type(self, name, extra_specs, description=None):
        """A type made by hand (through the API); its id."""
        body = {"volume_type": {"name": name, "description": description,
                                "extra_specs": extra_specs}}  # fmt: skip
        return self.client().ok("POST", "/types", body)["volume_type"]["id"]

    def clear(self):
        """Delete every type but Cinder's default."""
        client = self.client()
        for name, volume_type in self.types().items():
            if name != DEFAULT_TYPE:
                client.ok("DELETE", f"/types/{volume_type['id']}")


class SimCinder(_Api):
    kind = "sim"

    def __init__(self, sim):
        self.sim = sim
        self.auth_url, self.host, self.identity_port = sim.auth_url, sim.host, sim.identity_port

    def mark(self):
        return len(self.sim.requests)

    def writes(self, mark):
        """Cinder's requests that were not GETs, since ``mark``."""
        return [(m, p) for m, p in self.sim.requests[mark:]
                if m != "GET" and not p.startswith("/v3/auth")]  # fmt: skip

    @contextmanager
    def in_use(self, name):
        """Volumes use the type ``name`` (the simulator has no volumes: a flag on the type)."""
        type_id = self.types()[name]["id"]
        self.sim.state.in_use.add(type_id)
        try:
            yield
        finally:
            self.sim.state.in_use.discard(type_id)


# cinder-api's access log line (eventlet.wsgi.server, INFO)
_ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.1" status: (?P<status>\d+)')


class RealCinder(_Api):
    kind = "real"

    def __init__(self, plane):
        self.plane = plane
        plane.add_user(VIEWER, VIEWER_PASSWORD)
        self.auth_url = plane.auth_url
        self.host, self.identity_port = plane.ip, plane.keystone_port
        self.log = plane.root / "cinder" / "cinder-api.log"

    def mark(self, timeout=30):
        """The log's end, after every request sent so far: cinder-api writes a request's
        line once it has answered, so a sentinel request is sent and waited for."""
        sentinel = f"/types/mark-{uuid.uuid4().hex}"
        self.client().call("GET", sentinel)
        deadline = time.monotonic() + timeout
        while (end := self._after(sentinel)) is None:
            assert time.monotonic() < deadline, f"{sentinel} not in {self.log}"
            time.sleep(0.1)
        return end

    def _after(self, needle):
        text = self.log.read_bytes()
        at = text.rfind(f'{needle} HTTP/1.1" status'.encode())  # the access line
        return None if at < 0 else text.index(b"\n", at) + 1

    def writes(self, mark):
        """Requests other than GETs that cinder-api logged since ``mark``."""
        with self.log.open("rb") as handle:
            handle.seek(mark)
            text = handle.read().decode(errors="replace")
        found = (m.group("method", "path") for m in _ACCESS.finditer(text))
        return [(method, path) for method, path in found if method != "GET"]

    @contextmanager
    def in_use(self, name, timeout=60):
        """A volume of the type ``name`` exists (created through the API; it need not reach a
        backend: Cinder counts it either way); deleted afterwards."""
        client = self.client()
        body = {"volume": {"size": 1, "name": f"in-use-{uuid.uuid4().hex[:6]}",
                           "volume_type": self.types()[name]["id"]}}  # fmt: skip
        volume_id = client.ok("POST", "/volumes", body)["volume"]["id"]
        try:
            self._wait(client, volume_id, lambda v: v and v["status"] != "creating", timeout)
            yield
        finally:
            client.ok("DELETE", f"/volumes/{volume_id}")
            self._wait(client, volume_id, lambda v: v is None, timeout)

    @staticmethod
    def _wait(client, volume_id, done, timeout):
        deadline = time.monotonic() + timeout
        while True:
            status, answer = client.call("GET", f"/volumes/{volume_id}")
            if done(answer["volume"] if status == 200 else None):
                return
            assert time.monotonic() < deadline, f"volume {volume_id}: {answer}"
            time.sleep(0.5)
