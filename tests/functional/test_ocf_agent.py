"""
The formula's OCF agent for cinder-volume: the actions Pacemaker calls, on a fake binary that
behaves like the real one where it matters: a Python script (so ``/proc/<pid>/cmdline`` names
the interpreter first) whose main process forks a worker, as cinder-volume forks one per
backend, and passes SIGTERM on to it. Every test checks that no process of the fake is left.

``DATERA_OCF_AGENT`` runs these tests against another copy of the agent (e.g. an old one).
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.paths import REPO

AGENT = Path(os.environ.get("DATERA_OCF_AGENT") or REPO / "datera" / "files" / "cinder-volume.ocf")
OCF_SUCCESS, OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED, OCF_NOT_RUNNING = 0, 5, 6, 7
OCF_TESTER = shutil.which("ocf-tester") or "/usr/sbin/ocf-tester"

FAKE_CINDER_VOLUME = textwrap.dedent(
    """\
    #!{python}
    # A stand-in for cinder-volume: the main process forks one worker and passes SIGTERM on.
    import os, signal, sys, time
    worker = os.fork()
    if worker == 0:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        while True:
            time.sleep(1)
    def stop(*_):
        os.kill(worker, signal.SIGTERM)
        os.waitpid(worker, 0)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    while True:
        time.sleep(1)
    """
)


def processes(marker):
    """Pids of the live processes whose command line mentions ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def settled(marker, expected=0, timeout=5.0):
    """The processes mentioning ``marker`` once their number is ``expected`` (or the timeout
    passed: then the ones left)."""
    deadline = time.monotonic() + timeout
    while len(found := processes(marker)) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


@pytest.fixture
def env(tmp_path):
    binary = tmp_path / "cinder-volume"
    binary.write_text(FAKE_CINDER_VOLUME.format(python=sys.executable))
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


@pytest.fixture(autouse=True)
def nothing_left(tmp_path):
    """Every test: no process of its fake cinder-volume survives it (killed if one does)."""
    yield
    left = settled(str(tmp_path))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes left behind: {left}"


def action(name, env):
    return subprocess.run(["sh", str(AGENT), name], env=env, capture_output=True, text=True)


def test_meta_data_is_valid_xml_with_the_actions():
    out = subprocess.run(["sh", str(AGENT), "meta-data"], capture_output=True, text=True)
    assert out.returncode == OCF_SUCCESS
    root = ET.fromstring(out.stdout.split("\n", 2)[2])  # after the XML and DOCTYPE lines
    assert {a.get("name") for a in root.iter("action")} >= {"start", "stop", "monitor"}
    assert {"amqp_server_port", "multibackend"} <= {p.get("name") for p in root.iter("parameter")}


def test_start_monitor_stop(env):
    marker = env["OCF_RESKEY_config"]
    assert action("monitor", env).returncode == OCF_NOT_RUNNING
    for _cycle in range(3):
        assert action("start", env).returncode == OCF_SUCCESS
        main_and_worker = settled(marker, 2)
        assert len(main_and_worker) == 2
        pid = int(Path(env["OCF_RESKEY_pid"]).read_text())
        assert pid in main_and_worker  # the recorded pid is cinder-volume's own, not a shell's
        assert action("monitor", env).returncode == OCF_SUCCESS
        assert action("start", env).returncode == OCF_SUCCESS  # already running: no second one
        assert len(settled(marker, 2)) == 2
        assert action("stop", env).returncode == OCF_SUCCESS
        assert processes(marker) == []  # stop returns only when the whole tree is gone
        assert action("monitor", env).returncode == OCF_NOT_RUNNING
    assert action("stop", env).returncode == OCF_SUCCESS  # stopping a stopped one is fine


def test_ocf_tester_passes_and_leaves_no_process(env, tmp_path):
    params = ("binary", "config", "user", "pid")
    args = [arg for p in params for arg in ("-o", f"{p}={env[f'OCF_RESKEY_{p}']}")]
    out = subprocess.run(
        [OCF_TESTER, "-n", "p_cinder-volume", *args, str(AGENT)],
        capture_output=True,
        text=True,
        env={k: v for k, v in env.items() if k != "OCF_ROOT"},  # ocf-tester's own OCF root
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert settled(str(tmp_path)) == [], "ocf-tester's start/stop cycles left processes"


def test_a_killed_main_process_is_seen_and_its_worker_stopped(env):
    marker = env["OCF_RESKEY_config"]
    assert action("start", env).returncode == OCF_SUCCESS
    assert len(settled(marker, 2)) == 2  # the worker is forked
    pid = int(Path(env["OCF_RESKEY_pid"]).read_text())
    os.kill(pid, signal.SIGKILL)
    assert len(settled(marker, 1)) == 1  # the orphaned worker
    assert action("monitor", env).returncode == OCF_NOT_RUNNING
    assert action("stop", env).returncode == OCF_SUCCESS  # what Pacemaker does next
    assert processes(marker) == []


def test_monitor_rejects_a_pid_that_is_not_this_cinder_volume(env, tmp_path):
    pidfile = Path(env["OCF_RESKEY_pid"])
    other_conf = tmp_path / "other.conf"
    other_conf.write_text("[DEFAULT]\n")
    strangers = [
        subprocess.Popen(["sleep", "300"]),  # any live process
        # the same binary with another config
        subprocess.Popen([env["OCF_RESKEY_binary"], f"--config-file={other_conf}"]),
    ]
    try:
        for stranger in strangers:
            pidfile.write_text(f"{stranger.pid}\n")
            assert action("monitor", env).returncode == OCF_NOT_RUNNING
            assert action("stop", env).returncode == OCF_SUCCESS
            assert stranger.poll() is None  # stop leaves a process that is not its own alone
    finally:
        for stranger in strangers:
            stranger.terminate()
            stranger.wait()


def test_a_user_that_does_not_exist_is_not_installed(env):
    nobody = dict(env, OCF_RESKEY_user="no-such-user-datera")
    out = action("validate-all", nobody)
    assert out.returncode == OCF_ERR_INSTALLED and "no-such-user-datera" in out.stderr
    assert action("start", nobody).returncode == OCF_ERR_INSTALLED
    assert processes(env["OCF_RESKEY_config"]) == []  # never run as anyone else instead


def test_validate_names_what_is_missing(env, tmp_path):
    missing_binary = dict(env, OCF_RESKEY_binary=str(tmp_path / "nope"))
    out = action("validate-all", missing_binary)
    assert out.returncode == OCF_ERR_INSTALLED and "is not executable" in out.stderr
    missing_conf = dict(env, OCF_RESKEY_config=str(tmp_path / "nope.conf"))
    assert action("start", missing_conf).returncode == OCF_ERR_CONFIGURED


@pytest.mark.skipif(os.geteuid() != 0, reason="running as another user needs root")
def test_runs_as_the_configured_user_and_stops_it_all(env):
    import pwd

    python = shutil.which("python3", path="/usr/bin:/bin")
    if not python or subprocess.run(["su", "-s", "/bin/sh", "nobody", "-c", f"{python} -V"],
                                     capture_output=True).returncode:  # fmt: skip
        pytest.skip("no interpreter the user nobody can run")
    shared = Path(tempfile.mkdtemp(prefix="datera-ocf-"))  # readable by nobody, unlike tmp_path
    try:
        shared.chmod(0o755)
        binary, conf = shared / "cinder-volume", shared / "cinder.conf"
        binary.write_text(FAKE_CINDER_VOLUME.format(python=python))
        binary.chmod(0o755)
        conf.write_text("[DEFAULT]\n")
        nobody = dict(env, OCF_RESKEY_user="nobody", OCF_RESKEY_binary=str(binary),
                      OCF_RESKEY_config=str(conf))  # fmt: skip
        assert action("start", nobody).returncode == OCF_SUCCESS
        pids = settled(str(conf), 2)
        assert len(pids) == 2
        uid = pwd.getpwnam("nobody").pw_uid
        assert all(os.stat(f"/proc/{pid}").st_uid == uid for pid in pids)
        assert int(Path(env["OCF_RESKEY_pid"]).read_text()) in pids
        assert action("monitor", nobody).returncode == OCF_SUCCESS
        assert action("stop", nobody).returncode == OCF_SUCCESS
        assert processes(str(conf)) == []
    finally:
        for pid in processes(str(shared)):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(shared)
