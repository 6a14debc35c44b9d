"""The formula's OCF agent for cinder-volume: the actions Pacemaker calls, on a fake binary."""

import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.support.paths import REPO

AGENT = REPO / "datera" / "files" / "cinder-volume.ocf"
OCF_SUCCESS, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED, OCF_NOT_RUNNING = 0, 5, 6, 7


@pytest.fixture
def env(tmp_path):
    binary = tmp_path / "cinder-volume"
    binary.write_text("#!/bin/sh\nexec sleep 300\n")
    binary.chmod(0o755)
    conf = tmp_path / "cinder.conf"
    conf.write_text("[DEFAULT]\n")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    return dict(
        os.environ,
        OCF_ROOT=str(tmp_path / "no-ocf"),  # the agent must work without resource-agents too
        OCF_RESKEY_binary=str(binary),
        OCF_RESKEY_config=str(conf),
        OCF_RESKEY_user=user,
        OCF_RESKEY_pid=str(tmp_path / "cinder-volume.pid"),
    )


def action(name, env):
    return subprocess.run(["sh", str(AGENT), name], env=env, capture_output=True, text=True)


def test_meta_data_is_valid_xml_with_the_actions():
    out = subprocess.run(["sh", str(AGENT), "meta-data"], capture_output=True, text=True)
    assert out.returncode == OCF_SUCCESS
    root = ET.fromstring(out.stdout.split("\n", 2)[2])  # after the XML and DOCTYPE lines
    assert {a.get("name") for a in root.iter("action")} >= {"start", "stop", "monitor"}
    assert {"amqp_server_port", "multibackend"} <= {p.get("name") for p in root.iter("parameter")}


def test_start_monitor_stop(env):
    assert action("monitor", env).returncode == OCF_NOT_RUNNING
    assert action("start", env).returncode == OCF_SUCCESS
    assert action("monitor", env).returncode == OCF_SUCCESS
    assert action("start", env).returncode == OCF_SUCCESS  # already running: no second one
    assert action("stop", env).returncode == OCF_SUCCESS
    assert action("monitor", env).returncode == OCF_NOT_RUNNING
    assert action("stop", env).returncode == OCF_SUCCESS  # stopping a stopped one is fine


def test_validate_names_what_is_missing(env, tmp_path):
    missing_binary = dict(env, OCF_RESKEY_binary=str(tmp_path / "nope"))
    out = action("validate-all", missing_binary)
    assert out.returncode == OCF_ERR_INSTALLED and "is not executable" in out.stderr
    missing_conf = dict(env, OCF_RESKEY_config=str(tmp_path / "nope.conf"))
    assert action("start", missing_conf).returncode == OCF_ERR_CONFIGURED
