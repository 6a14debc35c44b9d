"""
The demo as a user runs it (``bash tests/demo.sh`` runs ``python -m tests.support.demo``):
a readable report, no tracebacks or log noise, and an exit status that tells.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import net, secrets
from tests.support.paths import REPO

pytestmark = pytest.mark.integration


def demo(*args):
    env = {k: v for k, v in os.environ.items() if k != net.ENV}  # a loopback block of its own
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.demo", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    for noise in ("Traceback", "Logging error", "Exception"):
        assert noise not in output, output
    assert secrets.DEMO not in output and secrets.WRONG not in output
    return proc.returncode, proc.stdout


@pytest.fixture
def work():
    """A short work directory: Salt's unix sockets are created under it."""
    path = Path(tempfile.mkdtemp(prefix="demo-"))
    yield path
    shutil.rmtree(path)


def test_demo_deploys_shows_and_converges(work):
    status, report = demo("--keep", str(work))
    print(report)
    assert status == 0, report
    assert report.count("  [datera]") == 3
    assert report.count("  san_password = ******") == 3
    assert report.count("  enabled_backends = lvm,datera") == 3
    assert "p_cinder-volume" in report and "Started ctl1" in report
    assert "changed: nothing (idempotent)" in report
    assert report.rstrip().splitlines()[-1].startswith("demo passed")
    assert "Traceback" not in (work / "deploy.out").read_text()


def test_a_failing_deploy_exits_non_zero_and_says_why():
    status, report = demo("--wrong-password")
    assert status == 1, report
    assert "FAILED" in report and "step datera-deploy-prepare failed" in report
    assert report.count("login as 'admin' refused") == 3  # every controller, named
    assert "[datera]" not in report and "re-run" not in report
