"""
A deploy can be watched while it runs, as the deployment guide shows: in a second terminal,
``salt-run state.event 'salt/job/*/ret/*'`` prints each node's result of each step the moment
it arrives.
"""

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.integration.test_deploy import datera_pillar, orchestrate

pytestmark = pytest.mark.integration


def watch(master):
    """Start ``salt-run state.event`` on the master; ``(process, [(arrival, tag, data)])``."""
    salt_run = Path(master.python_executable).with_name("salt-run")
    proc = subprocess.Popen(
        [str(salt_run), "-c", str(master.config_dir), "state.event", "salt/job/*/ret/*"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seen = []

    def read():
        for line in proc.stdout:
            tag, _, data = line.partition("\t")
            if tag.startswith("salt/job/") and data.strip():
                seen.append((time.monotonic(), tag, json.loads(data)))

    threading.Thread(target=read, daemon=True).start()
    return proc, seen


def test_each_step_is_seen_as_it_happens(cloud, master, salt_run_cli):
    cloud.reset()
    cloud.write_pillar(datera_pillar())
    proc, seen = watch(master)
    try:
        time.sleep(3)  # the listener is connected
        ret = orchestrate(salt_run_cli)
        finished = time.monotonic()
        time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(30)
    assert ret.returncode == 0, ret.stdout
    steps = [
        (data["id"], data["fun_args"][0], arrival)
        for arrival, _, data in seen
        if data.get("fun") == "state.sls"
    ]
    sls_by_node = {(node, sls) for node, sls, _ in steps}
    assert {("ctl1", "datera.primary"), ("ctl2", "datera")} <= sls_by_node  # by role
    assert {("ctl3", "datera.prepare"), ("ctl1", "datera.prepare")} <= sls_by_node
    arrival = {(node, sls): at for node, sls, at in steps}
    # live: the primary's result was on screen before the other controllers' step started,
    # and long before the orchestration ended
    assert arrival[("ctl1", "datera.primary")] < arrival[("ctl2", "datera")]
    assert arrival[("ctl1", "datera.prepare")] < finished - 1
