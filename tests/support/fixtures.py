"""Fixtures: a real salt-master and three real salt-minions (ctl1 primary, ctl2, ctl3); the
Cinder volume-type API, simulated and real (one control plane for the whole session)."""

import os
import shutil

import pytest
from saltfactories.utils import random_string

from tests.live import openstack
from tests.live.bed import CINDER_VENV
from tests.support.cinder_api import (
    PASSWORD,
    USER,
    VIEWER,
    VIEWER_PASSWORD,
    RealCinder,
    SimCinder,
)
from tests.support.cloud import Cloud, state_tree
from tests.support.leak_scan import leaks
from tests.support.openstack_sim import OpenStackSimulator
from tests.support.paths import REPO

CONTROLLERS = ("ctl1", "ctl2", "ctl3")
PRIMARY = "ctl1"


def formula_master(salt_factories, root, name, **overrides):
    """A salt-master (not started) serving the formula (``state_tree``) and the pillar of
    ``root/pillar-tree``, which it keeps as ``pillar_root``."""
    pillar_root = root / "pillar-tree"
    pillar_root.mkdir()
    factory = salt_factories.salt_master_daemon(
        random_string(f"{name}-"),
        overrides={
            "file_roots": {"base": [str(state_tree(root / "state-tree"))]},
            "pillar_roots": {"base": [str(pillar_root)]},
            **overrides,
        },
    )
    factory.root, factory.pillar_root = root, pillar_root
    return factory


@pytest.fixture(scope="session")
def master(salt_factories, tmp_path_factory):
    root = tmp_path_factory.mktemp("cloud")
    # The Fuel ext_pillar, as an operator configures it; node files appear in fuel/ only in
    # the Fuel tests (a missing file gives no pillar).
    (root / "fuel").mkdir()
    factory = formula_master(
        salt_factories,
        root,
        "master",
        ext_pillar=[{"datera_fuel": {"path": str(root / "fuel" / "{minion_id}.yaml")}}],
        log_level_logfile="debug",
        timeout=30,
    )
    pillar_root = factory.pillar_root
    for kind in ("pillar", "utils"):  # the ext_pillar and the schema it reads
        shutil.copytree(REPO / f"_{kind}", f"{factory.config['extension_modules']}/{kind}")
    factory.cloud = Cloud(root, pillar_root, CONTROLLERS, PRIMARY)
    factory.cloud.write_pillar({"datera": {"backends": {}}})
    factory.minion_configs = []
    try:
        with factory.started():
            yield factory
    finally:
        factory.cloud.clusters.stop()
    # Session end, daemons stopped: whatever tests ran, no secret may be in a log or job return.
    logs, hits = leaks(factory.config, factory.minion_configs)
    assert logs, "no log files found: the secret scan would prove nothing"
    assert hits == [], "secrets in logs or job returns:\n" + "\n".join(hits)


@pytest.fixture(scope="session")
def minions(master):
    started = {}
    factories = {
        minion_id: master.salt_minion_daemon(minion_id, overrides={"log_level_logfile": "debug"})
        for minion_id in CONTROLLERS
    }
    try:
        for minion_id, factory in factories.items():
            master.minion_configs.append(factory.config)
            factory.start()
            started[minion_id] = factory
        yield started
    finally:
        for factory in started.values():
            factory.terminate()


@pytest.fixture(scope="session")
def cloud(master, minions):
    return master.cloud


@pytest.fixture(scope="session")
def salt_run_cli(master):
    return master.salt_run_cli(timeout=300)


@pytest.fixture(scope="session")
def salt_cli(master):
    return master.salt_cli(timeout=300)


@pytest.fixture(scope="session")
def control_plane():
    """The one real control plane of the session (tests/live/openstack.py): MariaDB,
    RabbitMQ, Keystone, cinder-api and cinder-scheduler on loopback, shared by every test
    that uses it (it takes 20-85 s to start); checked for leftovers when it stops. Skipped
    where it cannot run (not root, packages missing), except under CI, where that fails."""
    reason = openstack.missing(CINDER_VENV)
    if reason and not os.environ.get("CI"):
        pytest.skip(reason)
    cloud = openstack.ControlPlane(CINDER_VENV)
    try:
        yield cloud.start()
    finally:
        problems = cloud.stop()
        assert not problems, "the control plane left things behind:\n" + "\n".join(problems)


REAL = pytest.param("real", marks=[pytest.mark.live, pytest.mark.e2e])


@pytest.fixture(params=["sim", REAL])
def cinder_api(request):
    """The volume-type API a test runs against: ``sim`` (a fresh simulator) or ``real`` (the
    session's control plane, markers ``live`` and ``e2e``, emptied of volume types before
    and after the test). See tests/support/cinder_api.py."""
    if request.param == "sim":
        users = {USER: PASSWORD, VIEWER: VIEWER_PASSWORD}
        with OpenStackSimulator(users=users, roles={VIEWER: ["member"]}) as sim:
            yield SimCinder(sim)
        return
    api = RealCinder(request.getfixturevalue("control_plane"))
    api.clear()
    yield api
    api.clear()
