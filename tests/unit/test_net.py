"""Each run's loopback block is its own: claimed exclusively, kept while the run lives."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support import net
from tests.support.paths import REPO


def lock_file(prefix):
    return Path(tempfile.gettempdir()) / f"datera-formula-net-{prefix}.lock"


def test_this_run_holds_its_block_and_another_run_cannot_take_it():
    assert lock_file(net.PREFIX).exists()
    assert net.ip(7) == f"{net.PREFIX}.7"
    # another process trying the same block is refused while this run holds it
    code = f"from tests.support import net; print(net._claim({net.PREFIX!r}))"
    env = {k: v for k, v in os.environ.items() if k != net.ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert out.stdout.strip() == "False", out.stderr


def test_a_forked_child_exiting_does_not_release_the_block():
    pid = os.fork()
    if pid == 0:  # the child runs the atexit handlers it inherited, then exits
        os._exit(0 if net._release(lock_file(net.PREFIX), os.getppid()) is None else 1)
    os.waitpid(pid, 0)
    assert lock_file(net.PREFIX).exists()
