"""`salt-run datera.drift`: per controller, what differs from pillar; non-zero on drift."""

import os
import subprocess

import pytest

from tests.integration.test_deploy import PASSWORD, datera_pillar, orchestrate
from tests.support import net

pytestmark = pytest.mark.integration


def test_drift_report_names_controller_and_keys(cloud, salt_run_cli):
    cloud.reset()
    cloud.write_pillar(datera_pillar())
    assert orchestrate(salt_run_cli).returncode == 0
    assert salt_run_cli.run("saltutil.sync_runners").returncode == 0

    clean = salt_run_cli.run("datera.drift")
    assert clean.returncode == 0, clean.stdout
    assert clean.data["controllers"] == {m: "in sync" for m in cloud.controllers}

    ctl2 = cloud.conf_file("ctl2")
    ctl2.write_text(ctl2.read_text().replace(f"san_ip = {net.ip(10)}", "san_ip = 10.9.9.9"))
    ctl3 = cloud.conf_file("ctl3")
    ctl3.write_text(
        ctl3.read_text().replace(f"san_password = {PASSWORD}", "san_password = typed-by-hand")
    )
    drifted = salt_run_cli.run("datera.drift")
    assert drifted.returncode != 0
    report = drifted.data["controllers"]
    assert report["ctl1"] == "in sync"
    assert report["ctl2"] == {
        "cinder.conf": {"datera": {"san_ip": {"old": "10.9.9.9", "new": net.ip(10)}}}
    }
    assert report["ctl3"] == {
        "cinder.conf": {"datera": {"san_password": {"old": "******", "new": "******"}}}
    }
    assert "drift on: ctl2, ctl3" in drifted.data["summary"]
    assert "typed-by-hand" not in drifted.stdout and PASSWORD not in drifted.stdout

    # someone deleted the Pacemaker resource: the primary reports it
    subprocess.run(
        ["cibadmin", "--delete", "--xpath", "//primitive[@id='p_cinder-volume']"],
        check=True,
        env=dict(os.environ, CIB_file=str(cloud.cib_file)),
    )
    gone = salt_run_cli.run("datera.drift")
    assert gone.returncode != 0
    pacemaker = gone.data["controllers"]["ctl1"]["pacemaker"]
    assert (
        list(pacemaker) == ["p_cinder-volume"]
        and "would be created" in pacemaker["p_cinder-volume"]
    )
