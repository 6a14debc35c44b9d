"""
Fuel: the controllers' real Fuel node files (astute.yaml) feed the datera_fuel ext_pillar
on the real master; the deploy then needs no hand-written role or Datera setting.
"""

import pytest
import yaml

from tests.integration.test_deploy import orchestrate
from tests.support import net, secrets
from tests.support.paths import FUEL_FIXTURES

pytestmark = pytest.mark.integration

NODE_FILES = {
    "ctl1": "fuel10-primary-controller",
    "ctl2": "fuel10-controller",
    "ctl3": "fuel10-controller",
}


MVIP = net.ip(50)


def node_file(name, mvip=MVIP, enabled=True, cinder_nodes=True):
    """A real Fuel 10 node file with the old plugin's settings; ``cinder_nodes=False`` takes
    Fuel's cinder role off its nodes (then the old plugin configured no node: nothing to take
    over)."""
    astute = yaml.safe_load((FUEL_FIXTURES / f"{name}.astute.yaml").read_text())
    if not cinder_nodes:
        for node in astute["network_metadata"]["nodes"].values():
            node["node_roles"] = [r for r in node["node_roles"] if r != "cinder"] or ["base-os"]
    astute["fuel-plugin-datera-cinder"] = {
        "metadata": {"enabled": enabled, "plugin_id": 7, "plugin_version": "1.0.0"},
        "multibackend": True,
        "datera_mvip": mvip,
        "datera_admin_login": "fueladmin",
        "datera_admin_password": secrets.FUEL,
        "datera_num_replicas": "2",
    }
    return astute


@pytest.fixture
def fuel(cloud, salt_cli):
    fuel_dir = cloud.root / "fuel"
    yield fuel_dir
    for path in fuel_dir.iterdir():
        path.unlink()
    salt_cli.run("saltutil.refresh_pillar", "wait=True", minion_tgt="*")


def test_deploy_from_fuel_node_files(cloud, fuel, salt_run_cli):
    cloud.reset()
    for minion_id, name in NODE_FILES.items():
        astute = node_file(name, cinder_nodes=False)
        (fuel / f"{minion_id}.yaml").write_text(yaml.safe_dump(astute))
    cloud.clusters.backend(MVIP, secrets.FUEL, login="fueladmin")
    # only this test bed's file paths, and the CA of its Datera cluster
    ca = {"api": {"ca_bundle": str(cloud.clusters.ca_bundle)}}
    cloud.write_pillar({"datera": {"backends": {"datera": ca}}}, with_roles=False)
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    for minion_id in cloud.controllers:
        text = cloud.conf_file(minion_id).read_text()
        # Fuel 10 is Newton: the old driver path, datera_num_replicas, API v2
        assert "volume_driver = cinder.volume.drivers.datera.DateraDriver\n" in text
        assert f"san_ip = {MVIP}\n" in text and "san_login = fueladmin\n" in text
        assert "datera_num_replicas = 2\n" in text and "datera_api_version = 2\n" in text
        assert "enabled_backends = lvm,datera\n" in text
    assert secrets.FUEL not in ret.stdout


def test_plugin_disabled_gives_no_backend(cloud, fuel, salt_run_cli):
    cloud.reset()
    for minion_id, name in NODE_FILES.items():
        (fuel / f"{minion_id}.yaml").write_text(yaml.safe_dump(node_file(name, enabled=False)))
    cloud.write_pillar({}, with_roles=False)
    ret = orchestrate(salt_run_cli)
    assert ret.returncode == 0, ret.stdout
    assert all("[datera]" not in cloud.conf_file(m).read_text() for m in cloud.controllers)


def test_a_cinder_node_of_the_old_plugin_makes_the_primary_plan_a_takeover(
    cloud, fuel, salt_run_cli
):
    """node-110 of the real files has Fuel's cinder role, where the old plugin configured
    Datera: the primary's pre-flight plans moving its volumes, through Keystone at the
    management VIP -- which nothing answers on here, so it stops before any change, naming
    it."""
    cloud.reset()
    for minion_id, name in NODE_FILES.items():
        (fuel / f"{minion_id}.yaml").write_text(yaml.safe_dump(node_file(name)))
    cloud.clusters.backend(MVIP, secrets.FUEL, login="fueladmin")
    ca = {"api": {"ca_bundle": str(cloud.clusters.ca_bundle)}}
    cloud.write_pillar({"datera": {"backends": {"datera": ca}}}, with_roles=False)
    before = {m: cloud.conf_file(m).read_text() for m in cloud.controllers}
    ret = orchestrate(salt_run_cli)
    assert ret.returncode != 0
    assert "takeover: Keystone http://" in ret.stdout
    assert {m: cloud.conf_file(m).read_text() for m in cloud.controllers} == before
    assert secrets.FUEL not in ret.stdout
