"""
A real OpenStack control plane for the live bed, on one address of this run's loopback block
(``net.ip(220)``): MariaDB (Debian's ``mariadbd``), RabbitMQ (Debian's, in the foreground,
as root, with its own Erlang cookie and a private epmd), Keystone 30 under gunicorn, and
cinder-api and cinder-scheduler 29 (all Python services from the cinder virtualenv).

Everything lives in one directory in /var/tmp; every process started here carries the
environment variable ``DATERA_E2E=<that directory>``, so ``stop`` finds and ends all of them
(epmd daemonises: it is found the same way), reaps them, and checks that no process, port or
file is left.

.. code-block:: python

    cloud = ControlPlane(venv).start()
    cloud.openstack("volume", "type", "list", "--long")
    cloud.queues()      # {queue: (messages, consumers)}
    cloud.stop()        # -> [what was left behind], normally []
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import requests

from tests.support import net, secrets
from tests.support.cinder_api import BARE_REGION

HOST = 220  # net.ip(220): apart from the integration tier's and the live bed's (.210-.213)
PORTS = {"mariadb": 3306, "rabbitmq": 5672, "keystone": 5000, "cinder-api": 8776}
REGION = "RegionOne"
MARKER = "DATERA_E2E"
PASSWORD = secrets.OPENSTACK  # admin, database and broker accounts
SERVICE_PROJECT = "services"

# the app factories of Keystone and cinder parse sys.argv with oslo.config: under gunicorn
# they would parse gunicorn's own arguments
KEYSTONE_WSGI = """\
import sys

sys.argv = sys.argv[:1]
from keystone.server.wsgi import initialize_public_application  # noqa: E402

application = initialize_public_application()
"""
SITECUSTOMIZE = """\
import collections
import collections.abc

for _name in ("Mapping", "MutableMapping", "Sequence", "Iterable"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing(venv):
    """Why the control plane cannot start here, or ``None``."""
    if os.geteuid() != 0:
        return "the control plane needs root (MariaDB and RabbitMQ run as root's children)"
    for tool in ("mariadbd", "mariadb-install-db", "/usr/lib/rabbitmq/bin/rabbitmq-server"):
        if not shutil.which(tool):
            return f"{tool} is missing: run tests/setup.sh as root"
    for script in ("keystone-manage", "gunicorn", "openstack", "cinder-api"):
        if not (Path(venv) / "bin" / script).exists():
            return f"{venv}/bin/{script} is missing: run tests/setup.sh"
    return None


def _environ(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return handle.read().split(b"\0")
    except OSError:
        return []


class ControlPlane:
    def __init__(self, venv, timeout=60):
        self.venv = Path(venv).absolute()
        self.ip = net.ip(HOST)
        self.timeout = timeout
        self.root = Path(tempfile.mkdtemp(prefix="datera-e2e-", dir="/var/tmp"))
        os.chmod(self.root, 0o755)
        self.procs = {}
        self.timings = {}
        self.epmd_port, self.dist_port = free_port(), free_port()
        self.keystone_port = PORTS["keystone"]
        self.auth_url = f"http://{self.ip}:{self.keystone_port}/v3"

    # -- addresses, for the cinder-volume of the bed ---------------------------------------

    def db_url(self, db):
        return f"mysql+pymysql://{db}:{PASSWORD}@{self.ip}:{PORTS['mariadb']}/{db}"

    @property
    def transport_url(self):
        return f"rabbit://cinder:{PASSWORD}@{self.ip}:{PORTS['rabbitmq']}/"

    # -- plumbing --------------------------------------------------------------------------

    def _env(self, **extra):
        return dict(os.environ, **{MARKER: str(self.root), "PYTHONPATH": str(self.root / "py")},
                    **extra)  # fmt: skip

    def _spawn(self, name, args, env=None):
        log = open(self.root / f"{name}.out", "ab")  # noqa: SIM115 - the child keeps it
        with log:
            self.procs[name] = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=env or self._env(), start_new_session=True,
            )  # fmt: skip

    def _run(self, *args, env=None, **kwargs):
        ret = subprocess.run(args, capture_output=True, text=True, env=env or self._env(),
                             timeout=kwargs.pop("timeout", 120), **kwargs)  # fmt: skip
        if ret.returncode != 0:
            raise RuntimeError(f"{args[:3]} failed ({ret.returncode}): {ret.stdout}{ret.stderr}")
        return ret.stdout

    def _wait(self, what, ready):
        deadline = time.monotonic() + self.timeout
        while True:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    out = (self.root / f"{name}.out").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited ({proc.returncode}):\n{out}")
            try:
                if ready():
                    return
            except (OSError, RuntimeError, requests.RequestException):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready after {self.timeout}s")
            time.sleep(0.2)

    def _port_open(self, port):
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex((self.ip, port)) == 0

    def _timed(self, name, step):
        started = time.monotonic()
        step()
        self.timings[name] = round(time.monotonic() - started, 1)

    # -- life ------------------------------------------------------------------------------

    def start(self):
        started = time.monotonic()
        (self.root / "py").mkdir()
        (self.root / "py" / "sitecustomize.py").write_text(SITECUSTOMIZE)
        (self.root / "py" / "datera_e2e_keystone.py").write_text(KEYSTONE_WSGI)
        self._timed("mariadb", self.start_mariadb)
        self._timed("rabbitmq", self.start_rabbitmq)
        self._timed("keystone", self.start_keystone)
        self._timed("cinder-api, cinder-scheduler", self.start_cinder)
        self.timings["services up"] = round(time.monotonic() - started, 1)
        return self

    def start_mariadb(self):
        base = self.root / "mysql"
        (base / "data").mkdir(parents=True)
        cnf = base / "my.cnf"
        cnf.write_text(textwrap.dedent(f"""\
            [mysqld]
            user = mysql
            datadir = {base}/data
            socket = {base}/mysqld.sock
            pid-file = {base}/mysqld.pid
            log-error = {base}/error.log
            bind-address = {self.ip}
            port = {PORTS['mariadb']}
            skip-name-resolve
            innodb_buffer_pool_size = 64M
            max_connections = 500
            [client]
            socket = {base}/mysqld.sock
            """))  # fmt: skip
        shutil.chown(base, "mysql", "mysql")
        shutil.chown(base / "data", "mysql", "mysql")
        self._run("mariadb-install-db", f"--defaults-file={cnf}", "--skip-test-db",
                  "--auth-root-authentication-method=socket")  # fmt: skip
        self._spawn("mariadb", ["mariadbd", f"--defaults-file={cnf}"])
        self._wait("mariadb", lambda: self.sql("SELECT 1") == "1")
        for db in ("keystone", "cinder"):
            self.sql(f"CREATE DATABASE {db}; CREATE USER '{db}'@'%' IDENTIFIED BY '{PASSWORD}'; "
                     f"GRANT ALL ON {db}.* TO '{db}'@'%'")  # fmt: skip

    def sql(self, query, db=None):
        """Run ``query`` as MariaDB's root (over the socket); tab-separated rows."""
        args = ["mariadb", f"--defaults-file={self.root}/mysql/my.cnf", "-N", "-B", "-e", query]
        return self._run(*args, *([db] if db else []), timeout=30).strip()

    def _rabbit_env(self):
        base = self.root / "rabbitmq"
        erl = "-kernel inet_dist_use_interface {127,0,0,1}"
        return self._env(
            HOME=str(base), RABBITMQ_NODENAME="rabbit@localhost",
            RABBITMQ_NODE_IP_ADDRESS=self.ip, RABBITMQ_NODE_PORT=str(PORTS["rabbitmq"]),
            RABBITMQ_DIST_PORT=str(self.dist_port), ERL_EPMD_ADDRESS="127.0.0.1",
            ERL_EPMD_PORT=str(self.epmd_port), RABBITMQ_MNESIA_BASE=str(base / "mnesia"),
            RABBITMQ_LOG_BASE=str(base / "log"), RABBITMQ_CONFIG_FILE=str(base / "rabbitmq"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(base / "advanced.config"),
            RABBITMQ_CONF_ENV_FILE=str(base / "rabbitmq-env.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(base / "rabbit.pid"),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=erl, RABBITMQ_CTL_ERL_ARGS=erl,
        )  # fmt: skip

    def start_rabbitmq(self):
        base = self.root / "rabbitmq"
        for sub in ("mnesia", "log"):
            (base / sub).mkdir(parents=True)
        cookie = base / ".erlang.cookie"
        cookie.write_text(os.urandom(16).hex())
        cookie.chmod(0o400)
        (base / "rabbitmq-env.conf").write_text("")
        (base / "enabled_plugins").write_text("[].\n")
        (base / "advanced.config").write_text("[].\n")
        (base / "rabbitmq.conf").write_text(
            f"default_user = cinder\ndefault_pass = {PASSWORD}\nloopback_users = none\n"
        )
        self._spawn("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], self._rabbit_env())
        self._wait("rabbitmq", lambda: self._port_open(PORTS["rabbitmq"]))
        self.rabbitmqctl("await_startup")

    def rabbitmqctl(self, *args):
        return self._run("/usr/lib/rabbitmq/bin/rabbitmqctl", *args, env=self._rabbit_env())

    def queues(self):
        """``{queue name: (messages ready, consumers)}`` of the broker."""
        out = self.rabbitmqctl("list_queues", "--quiet", "--no-table-headers",
                               "name", "messages_ready", "consumers")  # fmt: skip
        rows = (line.split("\t") for line in out.splitlines() if line.strip())
        return {name: (int(ready), int(consumers)) for name, ready, consumers in rows}

    def start_keystone(self):
        base = self.root / "keystone"
        base.mkdir()
        conf = base / "keystone.conf"
        conf.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            log_file = {base}/keystone.log
            [database]
            connection = {self.db_url("keystone")}
            [token]
            provider = fernet
            [fernet_tokens]
            key_repository = {base}/fernet-keys
            [credential]
            key_repository = {base}/credential-keys
            [identity]
            password_hash_rounds = 4
            """))  # fmt: skip
        manage = [str(self.venv / "bin" / "keystone-manage"), "--config-file", str(conf)]
        self._run(*manage, "db_sync")
        for setup in ("fernet_setup", "credential_setup"):
            self._run(*manage, setup, "--keystone-user", "root", "--keystone-group", "root")
        self._run(*manage, "bootstrap", "--bootstrap-password", PASSWORD,
                  "--bootstrap-admin-url", self.auth_url, "--bootstrap-internal-url",
                  self.auth_url, "--bootstrap-public-url", self.auth_url,
                  "--bootstrap-region-id", REGION)  # fmt: skip
        self._spawn("keystone", [
            str(self.venv / "bin" / "gunicorn"), "--bind", f"{self.ip}:{PORTS['keystone']}",
            "--workers", "1", "--timeout", "120", "--control-socket", str(base / "gunicorn.ctl"),
            "datera_e2e_keystone:application",
        ], self._env(OS_KEYSTONE_CONFIG_FILES=str(conf)))  # fmt: skip
        self._wait("keystone", lambda: requests.get(self.auth_url, timeout=5).ok)
        self.register_cinder()

    def _token(self, user="admin", project="admin", password=PASSWORD):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }}  # fmt: skip
        resp = requests.post(f"{self.auth_url}/auth/tokens", json=body, timeout=30)
        resp.raise_for_status()
        return resp.headers["X-Subject-Token"]

    def register_cinder(self):
        """Cinder's service account (admin in ``services``, as the formula's pillar names it)
        and its ``volumev3`` endpoints in the catalog: in ``RegionOne`` with the project id,
        in ``RegionBare`` without (cinder 29 serves both)."""
        session = requests.Session()
        session.headers["X-Auth-Token"] = self._token()

        def post(path, body):
            resp = session.post(f"{self.auth_url}/{path}", json=body, timeout=30)
            resp.raise_for_status()
            return resp.json()

        project = post("projects", {"project": {"name": SERVICE_PROJECT, "domain_id": "default"}})
        user = post("users", {"user": {"name": "cinder", "domain_id": "default",
                                       "password": secrets.KEYSTONE}})  # fmt: skip
        roles = session.get(f"{self.auth_url}/roles?name=admin", timeout=30).json()["roles"]
        session.put(
            f"{self.auth_url}/projects/{project['project']['id']}/users/{user['user']['id']}"
            f"/roles/{roles[0]['id']}", timeout=30,
        ).raise_for_status()  # fmt: skip
        service = post("services", {"service": {"name": "cinderv3", "type": "volumev3"}})
        url = f"http://{self.ip}:{PORTS['cinder-api']}/v3"
        post("regions", {"region": {"id": BARE_REGION}})
        for region, region_url in ((REGION, f"{url}/%(project_id)s"), (BARE_REGION, url)):
            for interface in ("public", "internal", "admin"):
                post("endpoints", {"endpoint": {
                    "service_id": service["service"]["id"], "interface": interface,
                    "url": region_url, "region_id": region}})  # fmt: skip

    def add_user(self, name, password, role="member"):
        """A user with ``role`` in the ``services`` project (a test's non-admin user)."""
        session = requests.Session()
        session.headers["X-Auth-Token"] = self._token()
        base = self.auth_url

        def one(kind, query):
            found = session.get(f"{base}/{kind}?{query}", timeout=30).json()[kind]
            return found[0]["id"] if found else None

        user = one("users", f"name={name}")
        if user is None:
            body = {"user": {"name": name, "domain_id": "default", "password": password}}
            resp = session.post(f"{base}/users", json=body, timeout=30)
            resp.raise_for_status()
            user = resp.json()["user"]["id"]
        project, role_id = one("projects", f"name={SERVICE_PROJECT}"), one("roles", f"name={role}")
        session.put(f"{base}/projects/{project}/users/{user}/roles/{role_id}",
                    timeout=30).raise_for_status()  # fmt: skip

    @property
    def cinder_conf(self):
        return self.root / "cinder" / "cinder.conf"

    def start_cinder(self):
        base = self.root / "cinder"
        (base / "lock").mkdir(parents=True)
        etc = self.venv / "etc" / "cinder"
        self.cinder_conf.write_text(textwrap.dedent(f"""\
            [DEFAULT]
            transport_url = {self.transport_url}
            auth_strategy = keystone
            state_path = {base}
            osapi_volume_listen = {self.ip}
            osapi_volume_listen_port = {PORTS['cinder-api']}
            osapi_volume_workers = 1
            api_paste_config = {etc}/api-paste.ini
            resource_query_filters_file = {etc}/resource_filters.json
            report_interval = 2
            [database]
            connection = {self.db_url("cinder")}
            [keystone_authtoken]
            www_authenticate_uri = http://{self.ip}:{PORTS['keystone']}
            auth_url = http://{self.ip}:{PORTS['keystone']}
            auth_type = password
            username = cinder
            password = {secrets.KEYSTONE}
            project_name = {SERVICE_PROJECT}
            user_domain_name = Default
            project_domain_name = Default
            [oslo_concurrency]
            lock_path = {base}/lock
            [coordination]
            backend_url = file://{base}/coordination
            """))  # fmt: skip
        conf = ["--config-file", str(self.cinder_conf)]
        self._run(str(self.venv / "bin" / "cinder-manage"), *conf, "db", "sync")
        for name in ("cinder-api", "cinder-scheduler"):
            self._spawn(name, [str(self.venv / "bin" / name), *conf,
                               "--log-file", str(base / f"{name}.log")])  # fmt: skip
        self._wait("cinder-api", lambda: self._port_open(PORTS["cinder-api"]))
        self._wait("cinder-scheduler", lambda: self.service_rows("cinder-scheduler"))

    def service_rows(self, binary="cinder-volume"):
        """``{host: (report_count, disabled)}`` of the services table (not deleted rows)."""
        out = self.sql(f"SELECT host, report_count, disabled FROM services WHERE `binary` = "
                       f"'{binary}' AND deleted = 0", db="cinder")  # fmt: skip
        rows = (line.split("\t") for line in out.splitlines() if line.strip())
        return {host: (int(count), disabled == "1") for host, count, disabled in rows}

    # -- as a cloud user -------------------------------------------------------------------

    def openstack_env(self):
        return self._env(
            OS_AUTH_URL=self.auth_url, OS_USERNAME="admin", OS_PASSWORD=PASSWORD,
            OS_PROJECT_NAME="admin", OS_USER_DOMAIN_NAME="Default",
            OS_PROJECT_DOMAIN_NAME="Default", OS_IDENTITY_API_VERSION="3",
            OS_INTERFACE="internal", OS_REGION_NAME=REGION,
        )  # fmt: skip

    def openstack(self, *args, parse=True):
        """Run python-openstackclient; its JSON output (``-f json``) when ``parse``."""
        cmd = [str(self.venv / "bin" / "openstack"), *args]
        if parse:
            cmd += ["-f", "json"]
        out = self._run(*cmd, env=self.openstack_env())
        return json.loads(out) if parse and out.strip() else out

    # -- the end ---------------------------------------------------------------------------

    def ours(self):
        """Pids of every process started here (by the marker in their environment)."""
        marker = f"{MARKER}={self.root}".encode()
        return [int(e) for e in os.listdir("/proc")
                if e.isdigit() and int(e) != os.getpid() and marker in _environ(e)]  # fmt: skip

    def stop(self):
        """End every service (SIGTERM, then SIGKILL after 30 s), reap them, remove the
        directory; return what was left behind."""
        for name in ("cinder-api", "cinder-scheduler", "keystone", "rabbitmq", "mariadb"):
            proc = self.procs.get(name)
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while pids := self.ours():
            sig = signal.SIGKILL if time.monotonic() > deadline else signal.SIGTERM
            for pid in pids:  # epmd (daemonised) and what outlived its parent
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            self._reap(pids)
            if time.monotonic() > deadline + 10:
                break
            time.sleep(0.2)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        problems = [f"process {pid} left: {_environ(pid)[:1]}" for pid in self.ours()]
        problems += [f"{self.ip}:{port} still open" for port in PORTS.values()
                     if self._port_open(port)]  # fmt: skip
        if self.epmd_port and _listening("127.0.0.1", self.epmd_port):
            problems.append(f"epmd port {self.epmd_port} still open")
        keep = os.environ.get("DATERA_LIVE_KEEP")
        if keep:  # the logs, for a post-mortem
            for log in [*self.root.rglob("*.log"), *self.root.glob("*.out")]:
                target = Path(keep) / "e2e" / log.relative_to(self.root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(log, target)
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root.exists():
            problems.append(f"{self.root} not removed")
        return problems

    @staticmethod
    def _reap(pids):
        """Collect orphans re-parented to this process (the live bed makes it a subreaper)."""
        for pid in pids:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def _listening(host, port):
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0
