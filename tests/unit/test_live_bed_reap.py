"""The live bed's reaper (tests/live/bed.py ``reap``): a killed process whose parent has not
exited yet is not the bed's child yet; it must still be collected once it is re-parented,
and a pid the kernel has given to another process must be left alone. Each case runs in a
process of its own that makes itself a subreaper, as the bed does."""

import subprocess
import sys
import textwrap

from tests.live.bed import REPO

SCENARIO = textwrap.dedent("""\
    import os, signal, subprocess, time
    from tests.live import bed

    bed._become_subreaper()
    # sh starts ``sleep 600`` and becomes ``sleep 0.5``, which never waits for it
    parent = subprocess.Popen(["sh", "-c", "sleep 600 & echo $!; exec sleep 0.5"],
                              stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    killed = bed.identities([child])
    os.kill(child, signal.SIGKILL)
    left = bed.reap(killed, timeout=5)
    parent.wait()
    print(sorted(left), os.path.exists(f"/proc/{child}"))
""")

REUSED = textwrap.dedent("""\
    import os, subprocess
    from tests.live import bed

    child = subprocess.Popen(["sleep", "600"])
    start = bed.identities([child.pid])[child.pid]
    left = bed.reap({child.pid: start - 1}, timeout=5)  # the pid, but another process's
    alive = child.poll() is None
    child.kill()
    print(sorted(left), alive, child.wait())
""")


def run(script):
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_killed_child_whose_parent_exits_later_is_reaped():
    assert run(SCENARIO) == "[] False"


def test_a_pid_now_naming_another_process_is_left_alone():
    assert run(REUSED) == "[] True -9"
