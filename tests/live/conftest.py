"""
Fixtures of the live tier: a salt-master (pytest-salt-factories) on this run's loopback block,
the Datera simulator, and the live bed (three Pacemaker nodes, each with its salt-minion).
"""

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import yaml

from tests.live.bed import CINDER_VENV, NODES, SIM_HOST, LiveBed
from tests.live.legacy import LegacyCloud
from tests.support import net
from tests.support.clusters import DateraClusters
from tests.support.fixtures import formula_master

PRIMARY = "ctl1"
LOGIN = "admin"


def _missing():
    if os.geteuid() != 0:
        return "the live bed needs root (namespaces, mounts)"
    for tool in (
        "corosync",
        "pacemakerd",
        "crm_mon",
        "nsenter",
        "unshare",
        "ocf-tester",
        "mariadbd",
        "mariadb-install-db",
        "/usr/lib/rabbitmq/bin/rabbitmq-server",
    ):
        if not shutil.which(tool):
            return f"{tool} is missing: run tests/setup.sh as root"
    for script in ("cinder-volume", "keystone-manage", "gunicorn", "openstack"):
        if not (CINDER_VENV / "bin" / script).exists():
            return f"{CINDER_VENV}/bin/{script} is missing: run tests/setup.sh"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    for item in items:
        if "tests/live/" in str(item.fspath):
            item.add_marker(pytest.mark.live)
            if reason and not os.environ.get("CI"):
                item.add_marker(pytest.mark.skip(reason=reason))


def _wait_minions(bed, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        ret = bed.salt.run("test.ping", minion_tgt="ctl*")
        if isinstance(ret.data, dict) and set(ret.data) == set(NODES):
            return
        assert time.monotonic() < deadline, f"minions did not answer: {ret.stdout}"
        time.sleep(1)


class LivePillar:
    """The pillar of the bed's controllers: one Datera backend on the simulator, the OCF agent
    with the bed's cinder-volume wrapper, cinder's real interpreter for the driver check."""

    def __init__(self, root, bed, clusters, sim_ip):
        self.root, self.bed, self.clusters, self.sim_ip = root, bed, clusters, sim_ip

    def write(self, password, keystone=None, volume_types=None, backend_name=None, per_node=None):
        """``keystone``: the pillar's ``datera:keystone``; ``volume_types``: the backend's;
        ``backend_name``: its ``volume_backend_name``; ``per_node``: ``{minion: pillar}`` merged
        over a controller's own, or the whole pillar of another minion (a legacy node)."""
        backend = self.clusters.backend(self.sim_ip, password, login=LOGIN, replica_count=1)
        if volume_types is not None:
            backend["volume_types"] = volume_types
        if backend_name is not None:
            backend["volume_backend_name"] = backend_name
        common = {
            "datera": {
                "backends": {"datera": backend},
                "cinder": {"python": str(self.bed.python)},
                "pacemaker": {
                    "agent": "ocf:datera:cinder-volume",
                    "params": {"binary": str(self.bed.wrapper), "user": "root"},
                    "wait_timeout": 120,
                },
                "lookup": {"manage_packages": False, "manage_services": False},
            }
        }
        if keystone:
            common["datera"]["keystone"] = keystone
        per_node = dict(per_node or {})
        top = {"base": {"ctl*": ["common"]}}
        for name in NODES:
            role = "primary-controller" if name == PRIMARY else "controller"
            own = {"datera": dict(per_node.get(name, {}).get("datera", {}), role=role)}
            per_node[name] = own
        for name, data in per_node.items():
            top["base"][name] = [f"node_{name}"]
            self._dump(f"node_{name}.sls", data)
        self._dump("common.sls", common)
        self._dump("top.sls", top)

    def _dump(self, name, data):
        (self.root / name).write_text(yaml.safe_dump(data, default_flow_style=False))


@pytest.fixture(scope="session")
def live_master(salt_factories, tmp_path_factory):
    factory = formula_master(
        salt_factories,
        tmp_path_factory.mktemp("live"),
        "live-master",
        interface=net.ip(1),
        auto_accept=True,
        timeout=60,
        log_level_logfile="info",
    )
    (factory.pillar_root / "top.sls").write_text("base: {}\n")
    with factory.started():
        yield factory


@pytest.fixture(scope="session")
def live(live_master):
    """The running bed: cluster formed, minions answering; torn down and checked at the end."""
    token = os.environ.get("DATERA_LIVE_TOKEN")  # corosync totem token (ms); default: none
    bed = LiveBed(live_master.config, token=int(token) if token else None)
    clusters = DateraClusters(bed.root)  # visible inside the nodes (private /tmp)
    sim_ip = net.ip(SIM_HOST)
    clusters.cluster(sim_ip)
    bed.pillar = LivePillar(live_master.pillar_root, bed, clusters, sim_ip)
    bed.clusters, bed.sim = clusters, clusters.cluster(sim_ip)
    bed.salt_run = live_master.salt_run_cli(timeout=600)
    bed.salt = live_master.salt_cli(timeout=120)
    bed.wait_minions = lambda: _wait_minions(bed)
    try:
        bed.prepare()
        bed.start()
        started = time.monotonic()
        bed.wait_minions()
        bed.timings["minions answering"] = round(time.monotonic() - started, 1)
        synced = bed.salt_run.run("saltutil.sync_all")  # datera.status and the utils it imports
        assert synced.returncode == 0, synced.stdout
        yield bed
    finally:
        problems = bed.stop()
        if os.environ.get("DATERA_LIVE_TIMINGS"):  # the benchmark (tests/bench/bench_live.py)
            timings = dict(bed.timings, token=bed.token or "default")
            Path(os.environ["DATERA_LIVE_TIMINGS"]).write_text(json.dumps(timings, indent=1))
        clusters.stop()
        sampler = bed.sampler
        if sampler:
            print(f"\nlive bed: {sampler.samples} samples, at most {sampler.max_seen} "
                  f"cinder-volume at once; timings {bed.timings}")  # fmt: skip
        assert not problems, "the live bed left things behind:\n" + "\n".join(problems)
        assert not (sampler and sampler.over), f"two cinder-volume at once: {sampler.over[:5]}"


@pytest.fixture
def no_two_instances(live):
    """Fails the test if the sampler saw more than one cinder-volume during it."""
    before = len(live.sampler.over)
    yield live.sampler
    assert live.sampler.over[before:] == [], f"two instances at once: {live.sampler.over[before:]}"


@pytest.fixture(scope="session")
def openstack(live, control_plane):
    """The control plane, with the bed's cinder-volume switched to its broker and database (a
    second config file: the formula's cinder.conf is not touched); takes effect at the
    resource's next start."""
    live.timings.update({f"openstack: {k}": v for k, v in control_plane.timings.items()})
    for node in live.nodes.values():
        node.write_extra_conf(control_plane.transport_url, control_plane.db_url("cinder"))
    return control_plane


@pytest.fixture(scope="session")
def legacy_cloud(live, openstack):
    """The cloud the old Fuel plugin left (tests/live/legacy.py): node-4 and node-5 beside the
    controllers, each serving Datera under its own host from a plain init-script service, with
    volumes created on each through the API. Only the tests that ask for it pay for it; its
    nodes are ended and checked here (and again by the bed's own checks)."""
    cloud = LegacyCloud(live, openstack)
    try:
        yield cloud.start()
    finally:
        problems = cloud.stop()
        assert not problems, "the legacy nodes left things behind:\n" + "\n".join(problems)
