"""
The orchestration on a master with ``pillar_cache: True`` (an operator option, see
docs/deployment.rst): the master then serves each minion's pillar from its cache
(``pillar_cache_ttl``, an hour by default) instead of compiling it for every job. A pillar
edit must still reach every phase of the next ``datera.deploy`` -- the pre-flight too, or a
credential the cluster refuses would pass the checks and be written.
"""

import pytest

from tests.support import net, secrets
from tests.support.cloud import Cloud
from tests.support.fixtures import formula_master
from tests.support.leak_scan import leaks

pytestmark = pytest.mark.integration

CONTROLLERS = ("pc1", "pc2")
SAN_IP = net.ip(60)  # a cluster of its own: the session's master uses ip(10)


@pytest.fixture(scope="module")
def cached_master(salt_factories, tmp_path_factory):
    factory = formula_master(
        salt_factories,
        tmp_path_factory.mktemp("pillar-cache"),
        "pcache-master",
        pillar_cache=True,
        log_level_logfile="debug",
        timeout=30,
    )
    factory.cloud = Cloud(factory.root, factory.pillar_root, CONTROLLERS, CONTROLLERS[0])
    minions = [
        factory.salt_minion_daemon(m, overrides={"log_level_logfile": "debug"}) for m in CONTROLLERS
    ]
    try:
        with factory.started():
            for minion in minions:
                minion.start()
            yield factory
    finally:
        for minion in minions:
            minion.terminate()
        factory.cloud.clusters.stop()
    logs, hits = leaks(factory.config, [m.config for m in minions])
    assert logs, "no log files found: the secret scan would prove nothing"
    assert hits == [], "secrets in logs or job returns:\n" + "\n".join(hits)


def pillar(password=secrets.DEPLOY, timeout=120):
    backend = {
        "san_ip": SAN_IP,
        "san_login": "admin",
        "san_password": password,
        "replica_count": 3,
        "datera_503_timeout": timeout,
    }
    return {"datera": {"backends": {"datera": backend}}}


def orchestrate(master):
    ret = master.salt_run_cli(timeout=300).run("state.orchestrate", "datera.deploy")
    data = ret.data.get("data", ret.data) if isinstance(ret.data, dict) else {}
    steps = next(iter(data.values()), {}) if data else {}
    return ret, {chunk["__id__"]: chunk for chunk in steps.values()}


@pytest.fixture
def deployed(cached_master):
    cloud = cached_master.cloud
    cloud.reset()
    cloud.write_pillar(pillar())
    ret, _ = orchestrate(cached_master)
    assert ret.returncode == 0, ret.stdout
    return cloud


def test_pillar_edit_reaches_every_controller(cached_master, deployed):
    assert "datera_503_timeout = 120" in deployed.conf_file("pc2").read_text()
    deployed.write_pillar(pillar(timeout=240))
    ret, steps = orchestrate(cached_master)
    assert ret.returncode == 0, ret.stdout
    for minion_id in CONTROLLERS:
        text = deployed.conf_file(minion_id).read_text()
        assert "datera_503_timeout = 240" in text and "datera_503_timeout = 120" not in text
    assert set(steps["datera-deploy-others"]["changes"]["ret"]) == {"pc2"}

    again, steps = orchestrate(cached_master)  # and then it converges: nothing left to do
    assert again.returncode == 0, again.stdout
    for step in ("datera-deploy-primary", "datera-deploy-others"):
        assert steps[step]["result"] is True and steps[step]["changes"] == {}, steps[step]


def test_preflight_checks_the_edited_credentials(cached_master, deployed):
    """A password the cluster refuses, written into the pillar after a deploy: the
    pre-flight of the next deploy checks it (not the cached pillar's) and nothing changes."""
    before = {m: deployed.conf_file(m).read_bytes() for m in CONTROLLERS}
    deployed.write_pillar(pillar(password=secrets.WRONG), accept=False)
    ret, steps = orchestrate(cached_master)
    assert ret.returncode != 0, "the deploy went through with credentials the cluster refuses"
    assert steps["datera-deploy-prepare"]["result"] is False
    assert {m: deployed.conf_file(m).read_bytes() for m in CONTROLLERS} == before
