"""Pillar edits converge: add a second cluster, change the VIP, remove a backend."""

import pytest

from tests.integration.test_deploy import orchestrate, orchestration_steps
from tests.support import net, secrets

pytestmark = pytest.mark.integration


def backend(ip, password=secrets.CONVERGE):
    return {"san_ip": ip, "san_login": "admin", "san_password": password}


def deploy(cloud, salt_run_cli, backends):
    cloud.write_pillar({"datera": {"backends": backends}})
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    return ret


def test_add_change_remove_backends(cloud, salt_run_cli):
    cloud.reset()
    deploy(cloud, salt_run_cli, {"datera": backend(net.ip(10))})
    deploy(cloud, salt_run_cli, {"datera": backend(net.ip(10)), "datera2": backend(net.ip(20))})
    for minion_id in cloud.controllers:
        text = cloud.conf_file(minion_id).read_text()
        assert "enabled_backends = lvm,datera,datera2\n" in text
        assert "[datera2]\n" in text and f"san_ip = {net.ip(20)}\n" in text

    ret = deploy(
        cloud, salt_run_cli, {"datera": backend(net.ip(11)), "datera2": backend(net.ip(20))}
    )
    changes = orchestration_steps(ret)["datera-deploy-primary"]["changes"]["ret"]["ctl1"]
    (conf_state,) = [s for s in changes.values() if s["__id__"].startswith("datera-config")]
    assert set(conf_state["changes"]) == {"datera", "diff"}
    assert conf_state["changes"]["datera"] == {"san_ip": {"old": net.ip(10), "new": net.ip(11)}}

    deploy(cloud, salt_run_cli, {"datera": backend(net.ip(11)), "datera2": {"ensure": "absent"}})
    for minion_id in cloud.controllers:
        text = cloud.conf_file(minion_id).read_text()
        assert "enabled_backends = lvm,datera\n" in text
        assert "[datera2]" not in text and f"san_ip = {net.ip(11)}\n" in text
        assert text.startswith("[DEFAULT]\n# managed by the operator")
