"""Fixtures: a real salt-master and three real salt-minions (ctl1 primary, ctl2, ctl3)."""

import pytest
from saltfactories.utils import random_string

from tests.support.cloud import Cloud, state_tree

CONTROLLERS = ("ctl1", "ctl2", "ctl3")
PRIMARY = "ctl1"


@pytest.fixture(scope="session")
def master(salt_factories, tmp_path_factory):
    root = tmp_path_factory.mktemp("cloud")
    files = state_tree(root / "state-tree")
    pillar_root = root / "pillar-tree"
    pillar_root.mkdir()
    factory = salt_factories.salt_master_daemon(
        random_string("master-"),
        overrides={
            "file_roots": {"base": [str(files)]},
            "pillar_roots": {"base": [str(pillar_root)]},
            "log_level_logfile": "debug",
            "timeout": 30,
        },
    )
    factory.cloud = Cloud(root, pillar_root, CONTROLLERS, PRIMARY)
    factory.cloud.write_pillar({"datera": {"backends": {}}})
    with factory.started():
        yield factory


@pytest.fixture(scope="session")
def minions(master):
    started = {}
    factories = {
        minion_id: master.salt_minion_daemon(minion_id, overrides={"log_level_logfile": "debug"})
        for minion_id in CONTROLLERS
    }
    try:
        for minion_id, factory in factories.items():
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
