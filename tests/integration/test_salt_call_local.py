"""One controller on its own: `salt-call --local state.apply datera` with local pillar."""

import shutil

import pytest
import yaml

from tests.support import net, secrets
from tests.support.cloud import SEED_CINDER_CONF, state_tree

pytestmark = pytest.mark.integration


def test_salt_call_local_configures_one_controller(cloud, minions, tmp_path):
    files = state_tree(tmp_path / "files")
    pillar_root = tmp_path / "pillar"
    pillar_root.mkdir()
    conf = tmp_path / "etc" / "cinder" / "cinder.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(SEED_CINDER_CONF)
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - datera\n")
    (pillar_root / "datera.sls").write_text(
        yaml.safe_dump(
            {
                "datera": {
                    "role": "controller",
                    "cinder": {"conf_file": str(conf), "check_driver": False},
                    "iscsi": {"initiator_file": str(tmp_path / "initiatorname.iscsi")},
                    "lookup": {"manage_packages": False, "manage_services": False},
                    "pacemaker": {"manage": False},  # no cluster on this test host
                    "backends": {
                        "datera": cloud.clusters.backend(net.ip(30), secrets.LOCAL, replica_count=2)
                    },
                }
            }
        )
    )
    cli = minions["ctl3"].salt_call_cli(timeout=120)
    args = ["--local", f"--file-root={files}", f"--pillar-root={pillar_root}"]
    ret = cli.run(*args, "saltutil.sync_all")
    assert ret.returncode == 0, ret.stdout
    ret = cli.run(*args, "state.apply", "datera")
    assert ret.returncode == 0, ret.stdout
    text = conf.read_text()
    assert "[datera]\n" in text and "datera_volume_type_defaults = replica_count:2\n" in text
    assert secrets.LOCAL not in ret.stdout

    again = cli.run(*args, "state.apply", "datera")
    assert again.returncode == 0
    assert all(not state["changes"] for state in again.data.values())
    shutil.rmtree(files)
