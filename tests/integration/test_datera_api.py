"""
The Datera API through the real master and minions: the execution module on a controller
over verified HTTPS, and the deploy's API pre-flight, which stops everything (no cinder.conf,
no CIB touched) on bad credentials, an unreachable VIP, a wrong certificate or a busy cluster.
"""

import time

import pytest
import trustme

from tests.integration.test_deploy import orchestrate, orchestration_steps
from tests.support import net, secrets

pytestmark = pytest.mark.integration

VIP = net.ip(40)


def backend(**options):
    settings = {"san_ip": VIP, "san_login": "admin", "san_password": secrets.API}
    settings.update(options)
    return {"datera": {"backends": {"datera": settings}}}


def snapshot(cloud):
    """Every controller's cinder.conf and the CIB, as bytes."""
    files = {m: cloud.conf_file(m).read_bytes() for m in cloud.controllers}
    return files, cloud.cib_file.read_bytes()


@pytest.fixture
def api(cloud, salt_cli):
    """A fresh cloud whose one backend is the simulated cluster at VIP; ``api.use(pillar)``
    writes pillar and refreshes it on the controllers, for direct ``salt ctlN datera.*``."""
    cloud.reset()
    sim = cloud.clusters.cluster(VIP)

    def use(pillar, **kwargs):
        cloud.write_pillar(pillar, **kwargs)
        for step in (("saltutil.sync_all",), ("saltutil.refresh_pillar", "wait=True")):
            ret = salt_cli.run(*step, minion_tgt="ctl1")
            assert ret.returncode == 0, ret.stdout

    sim.use = use
    sim.state.session_ttl = 900.0
    yield sim
    sim.state.session_ttl = 900.0
    sim.state.users["admin"] = secrets.API


def call(salt_cli, function, *args):
    return salt_cli.run(function, *args, minion_tgt="ctl1")


def test_system_capacity_and_smoke_test_through_the_master(api, salt_cli):
    api.use(backend())
    api.reset_counts()
    system = call(salt_cli, "datera.system")
    assert system.returncode == 0, system.stdout
    assert system.data["op_state"] == "running" and system.data["sw_version"]
    assert system.data["tls"].startswith("verified with CA bundle")
    assert system.data["warnings"] == []
    assert api.count("PUT", "/v2.2/login") == 1  # one login per Salt run

    capacity = call(salt_cli, "datera.capacity")
    assert capacity.returncode == 0, capacity.stdout
    assert capacity.data["free_gib"] == system.data["capacity"]["free_gib"] > 0

    api.reset_counts()
    smoke = call(salt_cli, "datera.smoke_test")
    assert smoke.returncode == 0, smoke.stdout
    assert smoke.data["ok"] is True
    assert set(smoke.data["seconds"]) == {"create", "online", "available", "delete", "total"}
    assert smoke.data["volume"].startswith("salt-smoke-")
    assert api.count("POST", "/v2.2/app_instances") == 1
    assert api.count("DELETE", f"/v2.2/app_instances/{smoke.data['volume']}") == 1
    assert api.state.app_instances.get("/root", {}) == {}  # nothing left on the array
    assert api.count("PUT", "/v2.2/login") == 1
    for ret in (system, capacity, smoke):
        assert secrets.API not in ret.stdout


def test_wrong_password_stops_the_deploy_before_any_change(api, cloud, salt_run_cli):
    cloud.write_pillar(backend())
    api.state.users["admin"] = "changed-on-the-array"
    before = snapshot(cloud)
    ret = orchestrate(salt_run_cli)
    assert ret.returncode != 0
    preflight = orchestration_steps(ret)["datera-deploy-prepare"]
    assert preflight["result"] is False
    assert (
        "login as 'admin' refused" in ret.stdout and "check san_login / san_password" in ret.stdout
    )
    assert "datera-deploy-primary" not in orchestration_steps(ret) or (
        orchestration_steps(ret)["datera-deploy-primary"]["result"] is False
    )
    assert snapshot(cloud) == before
    assert secrets.API not in ret.stdout


def test_unreachable_vip_stops_the_deploy_naming_it(api, cloud, salt_run_cli):
    cloud.write_pillar(backend(san_ip=net.ip(99)), accept=False)  # nothing listens there
    before = snapshot(cloud)
    ret = orchestrate(salt_run_cli)
    assert ret.returncode != 0
    assert orchestration_steps(ret)["datera-deploy-prepare"]["result"] is False
    assert f"{net.ip(99)}:7718" in ret.stdout and "cannot connect" in ret.stdout
    assert "Connection refused" in ret.stdout
    assert snapshot(cloud) == before


def test_certificate_from_another_ca_is_refused(api, cloud, salt_run_cli):
    other_ca = cloud.root / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    cloud.write_pillar(backend(api={"ca_bundle": str(other_ca)}))
    before = snapshot(cloud)
    ret = orchestrate(salt_run_cli)
    assert ret.returncode != 0
    assert "TLS certificate verification failed" in ret.stdout
    assert "api:ca_bundle" in ret.stdout  # what to do about it
    assert snapshot(cloud) == before


def test_verification_turned_off_works_and_warns(api, cloud, salt_run_cli, salt_cli):
    api.use(backend(api={"verify": False}))
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    # the pre-flight state says so on every run (the orchestration lists changed states only)
    preflight = salt_cli.run("state.apply", "datera.preflight", minion_tgt="ctl1")
    assert preflight.returncode == 0, preflight.stdout
    (healthy,) = [s for s in preflight.data.values() if s["__id__"] == "datera-preflight"]
    assert "TLS NOT VERIFIED (verify: false)" in healthy["comment"]
    assert "WARNING: TLS certificate verification is OFF (verify: false)" in healthy["comment"]
    system = call(salt_cli, "datera.system")
    assert system.data["tls"].startswith("NOT VERIFIED") and system.data["warnings"]


def test_503_storm_shorter_than_the_timeout_is_ridden_out(api, salt_cli):
    api.use(backend(datera_503_interval=1, datera_503_timeout=4))
    api.reset_counts()
    api.faults.status_for_next(503, n=2)
    ret = call(salt_cli, "datera.system")
    assert ret.returncode == 0, ret.stdout
    assert [e["status"] for e in api.log if e["path"] == "/v2.2/system"] == [503, 503, 200]


def test_503_storm_longer_than_the_timeout_fails_bounded(api, salt_cli):
    api.use(backend(datera_503_interval=1, datera_503_timeout=3))
    api.reset_counts()
    api.faults.status_for_next(503, n=50)
    ret = call(salt_cli, "datera.system")
    assert ret.returncode != 0
    # one attempt, then one per interval while the next would still end within the timeout
    assert "still busy (HTTP 503) after 3 attempts in " in ret.stdout
    assert "datera_503_timeout 3 s" in ret.stdout
    assert api.count("GET", "/v2.2/system") == 3
    api.faults.reset()


def test_slow_api_is_a_bounded_wait_and_a_clear_error(api, salt_cli):
    api.use(backend(api={"timeout": 1}))
    api.faults.delay(4, n=1)
    started = time.monotonic()
    ret = call(salt_cli, "datera.system")
    assert ret.returncode != 0
    assert f"{VIP}:7718: no answer within 1 s (PUT /v2.2/login)" in ret.stdout
    assert time.monotonic() - started < 30


def test_session_key_expiring_mid_run_logs_in_again_once(api, salt_cli):
    api.use(backend())
    api.reset_counts()
    api.state.session_ttl = 0.3
    api.faults.delay(0.6, n=1)  # the login's answer arrives after its key has expired
    ret = call(salt_cli, "datera.system")
    assert ret.returncode == 0, ret.stdout
    assert [(e["method"], e["path"], e["status"]) for e in api.log] == [
        ("PUT", "/v2.2/login", 200),
        ("GET", "/v2.2/system", 401),
        ("PUT", "/v2.2/login", 200),
        ("GET", "/v2.2/system", 200),
    ]


def test_credential_rotation_is_verified_before_it_is_written(api, cloud, salt_run_cli):
    from tests.integration.test_pacemaker import restarted_on, settle

    cloud.write_pillar(backend())
    first = orchestrate(salt_run_cli)
    assert first.returncode == 0, first.stdout
    (running_on,) = settle(cloud)

    # a typo in the new password: the array still has the old one; nothing is written
    cloud.write_pillar(backend(san_password=secrets.WRONG), accept=False)
    before = snapshot(cloud)
    typo = orchestrate(salt_run_cli)
    assert typo.returncode != 0
    assert orchestration_steps(typo)["datera-deploy-prepare"]["result"] is False
    assert snapshot(cloud) == before and restarted_on(typo) == []

    # the password changed on the array, then in pillar: every controller, one restart
    cloud.write_pillar(backend(san_password=secrets.ROTATED))
    rotated = orchestrate(salt_run_cli)
    assert rotated.returncode == 0, rotated.stdout
    for minion_id in cloud.controllers:
        assert f"san_password = {secrets.ROTATED}\n" in cloud.conf_file(minion_id).read_text()
    assert restarted_on(rotated) == [running_on]

    again = orchestrate(salt_run_cli)
    assert again.returncode == 0 and restarted_on(again) == []
    for ret in (first, typo, rotated, again):
        assert all(pw not in ret.stdout for pw in (secrets.API, secrets.WRONG, secrets.ROTATED))


def test_by_hand_apply_writes_nothing_when_the_preflight_fails(api, cloud, salt_cli):
    api.use(backend())
    api.state.users["admin"] = "changed-on-the-array"
    before = snapshot(cloud)
    ret = salt_cli.run("state.apply", "datera.config", minion_tgt="ctl1")
    assert ret.returncode != 0
    states = {s["__id__"]: s for s in ret.data.values()}
    assert states["datera-preflight"]["result"] is False
    conf_state = states["datera-config-cinder-conf-managed"]
    assert conf_state["result"] is False and "requisite failed" in conf_state["comment"]
    assert snapshot(cloud) == before
    assert secrets.API not in ret.stdout
