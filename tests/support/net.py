"""
The loopback addresses of this test run.

Cinder's Datera driver and dfs-sdk always connect to port 7718 (7717 for HTTP), so runs on
one machine cannot be told apart by port: each run takes a ``/24`` of its own inside
``127.0.0.0/8`` (Linux answers on all of it through ``lo``), e.g. ``127.173.22.0/24``, and
every simulator of the run listens on an address in it: ``ip(10)`` is ``127.173.22.10``.

The block is claimed with an exclusive ``flock`` on a file in the system's temporary
directory, held for the life of the process, so two runs (two checkouts, or the demo beside
the tests) never take the same block. Processes started by a run inherit its block through
``DATERA_TEST_NET``.
"""

import atexit
import fcntl
import os
import random
import tempfile
from pathlib import Path

ENV = "DATERA_TEST_NET"
_held = []  # the open lock file: the claim lasts as long as this process


def _claim(prefix):
    path = Path(tempfile.gettempdir()) / f"datera-formula-net-{prefix}.lock"
    handle = open(path, "a")  # noqa: SIM115 - kept open on purpose: the lock is the claim
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _held.append(handle)
    atexit.register(_release, path, os.getpid())
    return True


def _release(path, claimer):
    """Nothing left in /tmp after the run; a forked child exiting leaves the claim alone."""
    if os.getpid() == claimer:
        path.unlink(missing_ok=True)


def _choose():
    inherited = os.environ.get(ENV)
    if inherited:
        return inherited
    rng = random.SystemRandom()
    for _ in range(1000):
        # 127.0.x and 127.1.x stay free for what a machine uses itself (127.0.1.1 on Debian)
        prefix = f"127.{rng.randint(2, 254)}.{rng.randint(0, 255)}"
        if _claim(prefix):
            os.environ[ENV] = prefix
            return prefix
    raise RuntimeError("no free loopback /24 for this test run")


PREFIX = _choose()


def ip(host):
    """The address ``host`` (1-254) of this run's block: ``ip(10)`` -> ``127.a.b.10``."""
    if not 1 <= host <= 254:
        raise ValueError(f"host part must be 1-254, got {host}")
    return f"{PREFIX}.{host}"
