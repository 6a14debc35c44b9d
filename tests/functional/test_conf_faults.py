"""
cinder.conf survives faults: killed writers, racing runs, a full disk, no permission,
odd files. The faults are real: real ``salt-call --local`` processes (killed with
SIGKILL, or racing each other), a full tmpfs (ENOSPC), an unprivileged user (EACCES).
"""

import datetime
import errno
import grp
import os
import pwd
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.support.paths import CINDER_SAMPLE, REPO
from tests.support.salt_call import Minion, state_returns

SECRET = "Fault-Secret"
LOCK = ".cinder.conf.datera-lock"


def backend(ip, password=SECRET):
    return {"san_ip": ip, "san_login": "admin", "san_password": password}


def is_temp_name(name):
    """A temp file of the formula's atomic writes (``.cinder.conf.XXXXXXXX``, also for the
    backup); not the lock file."""
    return name.startswith(".cinder.conf.") and name != LOCK


def leftovers(directory):
    return sorted(path for path in directory.iterdir() if is_temp_name(path.name))


def manage(minion, conf):
    """Run the cinder.conf state to the end (it must succeed); return the file."""
    returncode, state, output = minion.manage(conf)
    assert returncode == 0 and state["result"] is True, output
    return conf.read_bytes()


# --- two runs at once ------------------------------------------------------------------


def interval(state):
    """When a state ran, from its return: ``(start, end)`` (wall clock)."""
    start = datetime.datetime.combine(
        datetime.date.today(), datetime.time.fromisoformat(state["start_time"])
    )
    return start, start + datetime.timedelta(milliseconds=state["duration"])


def test_two_runs_at_once_lose_no_update(tmp_path):
    """Two salt-call runs, one adding backend alpha and one beta, enter the cinder.conf
    state at the same moment (a barrier state before it), so that the state runs overlap
    in time (their start and duration in the state returns); the file ends as one of the
    two serial orders, never with one update lost."""
    original = CINDER_SAMPLE.read_bytes()
    alpha = Minion(tmp_path / "alpha", {"backends": {"alpha": backend("192.0.2.1")}})
    beta = Minion(tmp_path / "beta", {"backends": {"beta": backend("192.0.2.2")}})

    serial = {}  # one run after the other, on a copy: {cinder.conf after both: after the first}
    for first, second in ((alpha, beta), (beta, alpha)):
        conf = tmp_path / f"{first.root.name}-then-{second.root.name}" / "cinder.conf"
        conf.parent.mkdir()
        conf.write_bytes(original)
        after_first = manage(first, conf)
        serial[manage(second, conf)] = after_first
    assert len(serial) == 2

    conf = tmp_path / "cinder" / "cinder.conf"
    conf.parent.mkdir()
    go = tmp_path / "go"
    for minion in (alpha, beta):
        ready = minion.root / "ready"
        minion.write_sls(
            "race",
            {
                "barrier": {
                    "cmd.run": [
                        {"name": f"touch {ready}; while [ ! -e {go} ]; do sleep 0.001; done"}
                    ]
                },
                "cinder-conf": {
                    "datera_conf.managed": [{"name": str(conf)}, {"require": [{"cmd": "barrier"}]}]
                },
            },
        )
    overlapped = 0  # rounds in which the two runs of the state overlapped in time
    for _ in range(10):
        conf.write_bytes(original)
        go.unlink(missing_ok=True)
        for minion in (alpha, beta):
            (minion.root / "ready").unlink(missing_ok=True)
        procs = [minion.popen("state.apply", "race") for minion in (alpha, beta)]
        try:
            deadline = time.monotonic() + 60
            while not all((minion.root / "ready").exists() for minion in (alpha, beta)):
                assert all(proc.poll() is None for proc in procs) and time.monotonic() < deadline
                time.sleep(0.01)
            go.touch()  # both wait at the barrier: let them go together
            outputs = [proc.communicate(timeout=120) for proc in procs]
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()

        spans = []
        for proc, (out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, out + err
            state = state_returns(out)[1]
            assert state["result"] is True and state["changes"], state
            spans.append(interval(state))
        # the file is what one run after the other leaves, the backup what the first one
        # left: no update lost
        final = conf.read_bytes()
        assert final in serial
        assert conf.with_name("cinder.conf.datera-backup").read_bytes() == serial[final]
        # a round proves something only if the runs of the cinder.conf state overlapped
        # (on a loaded machine one may be scheduled so late that they do not): three such
        overlapped += max(start for start, _ in spans) < min(end for _, end in spans)
        if overlapped == 3:
            break
    assert overlapped == 3, "the two runs of the state did not overlap three times in ten"


# --- SIGKILL mid-write -----------------------------------------------------------------


def frozen(proc):
    """SIGSTOP ``proc`` and wait until it is stopped; False if it has ended."""
    proc.send_signal(signal.SIGSTOP)
    stat_file = Path(f"/proc/{proc.pid}/stat")
    while proc.poll() is None:
        if stat_file.read_text().rpartition(")")[2].split()[0] in ("T", "t"):
            return True
    return False


def kill_a_run(minion, conf, check, rng, delay=None, steps=0):
    """Start ``minion``'s cinder.conf state and SIGKILL it: ``delay`` seconds after it
    started or, without ``delay``, while it writes: once a temp file of its atomic write
    appeared, freeze it (SIGSTOP) ``steps`` times, a random moment apart, ``check()``
    the files each time as a kill at that moment would leave them, then kill it.
    Return whether it was killed (rather than done already)."""
    proc = minion.popen("state.single", "datera_conf.managed", f"name={conf}")
    try:
        if delay is not None:
            time.sleep(delay)
        else:
            while proc.poll() is None and not any(map(is_temp_name, os.listdir(conf.parent))):
                pass
            for _ in range(steps):
                if not frozen(proc):
                    break
                check()
                proc.send_signal(signal.SIGCONT)
                time.sleep(rng.uniform(0, 0.0001))
    finally:
        proc.kill()
        proc.communicate(timeout=60)
    return proc.returncode == -signal.SIGKILL


def test_sigkill_mid_write_leaves_old_or_new_never_partial(tmp_path):
    """Real salt-call runs, each rewriting cinder.conf (two pillars, a different san_ip),
    killed with SIGKILL at random moments: every other one at any time of its run, the
    others while they write. cinder.conf and its backup are always a complete version;
    a killed run's temp file is never world-readable, and the next run removes it."""
    original = CINDER_SAMPLE.read_bytes()
    minions = [
        Minion(tmp_path / f"m{i}", {"backends": {"datera": backend(f"192.0.2.{i}")}})
        for i in (1, 2)
    ]
    # the versions a writer leaves, on a copy: the sample, then each pillar's result
    reference = tmp_path / "reference" / "cinder.conf"
    reference.parent.mkdir()
    reference.write_bytes(original)
    started = time.monotonic()
    produces = [manage(minion, reference) for minion in minions]
    assert manage(minions[0], reference) == produces[0]
    run_time = (time.monotonic() - started) / 3
    versions = {original, *produces}
    assert len(versions) == 3

    directory = tmp_path / "cinder"
    directory.mkdir()
    conf, backup = directory / "cinder.conf", directory / "cinder.conf.datera-backup"
    conf.write_bytes(original)
    rng = random.Random(13)
    seen = {"killed": 0, "killed_mid_write": 0, "killed_after_rename": 0, "frozen_mid_write": 0}

    def check():
        """cinder.conf and its backup are complete, no temp file is world-readable."""
        assert conf.read_bytes() in versions
        assert not backup.exists() or backup.read_bytes() in versions
        left = leftovers(directory)
        assert all(stat.S_IMODE(path.stat().st_mode) & 0o007 == 0 for path in left)
        return left

    def rewriter():  # the minion whose run changes cinder.conf as it is now
        return minions[1] if conf.read_bytes() == produces[0] else minions[0]

    def frozen_check():
        seen["frozen_mid_write"] += bool(check())

    def kill_and_check(**when):
        before, left_before = conf.read_bytes(), set(leftovers(directory))
        killed = kill_a_run(rewriter(), conf, frozen_check, rng, **when)
        left = set(check())
        seen["killed"] += killed
        seen["killed_mid_write"] += killed and bool(left - left_before)  # its temp file is left
        seen["killed_after_rename"] += killed and conf.read_bytes() != before

    for turn in range(24):
        if turn % 2:
            kill_and_check(delay=rng.uniform(0, 1.2 * run_time))
        else:
            kill_and_check(steps=rng.randrange(12))
    for _ in range(10):  # end on a killed run that left a temp file behind
        if leftovers(directory):
            break
        kill_and_check(steps=0)
    assert seen["killed"] >= 12 and seen["killed_mid_write"] >= 1, seen
    assert leftovers(directory)
    manage(rewriter(), conf)
    assert sorted(os.listdir(directory)) == [LOCK, "cinder.conf", "cinder.conf.datera-backup"]


# --- disk full, no permission -----------------------------------------------------------


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 1 MiB tmpfs, unmounted after the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def fill(directory):
    """Write ``directory/filler`` until the filesystem is full."""
    with open(directory / "filler", "wb", buffering=0) as handle, pytest.raises(OSError) as full:
        while True:
            handle.write(b"\0" * 65536)
    assert full.value.errno == errno.ENOSPC
    assert os.statvfs(directory).f_bavail == 0


@pytest.mark.parametrize(
    ("keep_backup", "fails_on"),
    [(True, "cinder.conf.datera-backup"), (False, "cinder.conf")],
    ids=["backup-written-first", "no-backup"],
)
def test_disk_full_fails_clearly_and_keeps_the_old_file(
    tmp_path, small_tmpfs, keep_backup, fails_on
):
    """cinder.conf on a full tmpfs: the first atomic write (the backup's, or the file's
    own without a backup) hits a real ENOSPC."""
    original = CINDER_SAMPLE.read_bytes()
    conf = small_tmpfs / "cinder.conf"
    conf.write_bytes(original)
    fill(small_tmpfs)
    minion = Minion(
        tmp_path / "minion",
        {"cinder": {"backup": keep_backup}, "backends": {"datera": backend("192.0.2.1")}},
    )
    returncode, state, output = minion.manage(conf)
    assert returncode != 0 and state["result"] is False
    assert state["comment"] == (
        f"cannot write {small_tmpfs / fails_on}: No space left on device; "
        "the previous file is unchanged"
    )
    assert SECRET not in output and SECRET not in minion.log.read_text()
    assert conf.read_bytes() == original
    assert sorted(os.listdir(small_tmpfs)) == [LOCK, "cinder.conf", "filler"]


@pytest.fixture
def shared_dir():
    """A directory any user can reach (pytest's tmp_path is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="datera-faults-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


AS_NOBODY = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")


@pytest.mark.parametrize(
    ("lock_owner", "error"),
    [
        (None, "cannot lock {conf}: Permission denied"),
        (
            "nobody",
            "cannot write {conf}.datera-backup: Permission denied; the previous file is unchanged",
        ),
    ],
    ids=["cannot-create-the-lock", "cannot-create-the-temp-file"],
)
def test_unwritable_directory_fails_clearly_and_keeps_the_old_file(shared_dir, lock_owner, error):
    """The minion runs as ``nobody``; /etc/cinder is root's, mode 0755: a real EACCES,
    when creating the lock file or, the lock file being the user's (left by an earlier
    run), when creating the temp file of the atomic write."""
    if os.geteuid() != 0:
        pytest.skip("running the minion as another user needs root")
    nobody = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    original = CINDER_SAMPLE.read_bytes()
    etc = shared_dir / "cinder"
    etc.mkdir(mode=0o755)
    conf = etc / "cinder.conf"
    conf.write_bytes(original)
    conf.chmod(0o644)
    if lock_owner:
        (etc / LOCK).touch(mode=0o600)
        os.chown(etc / LOCK, *nobody)
    before = sorted(os.listdir(etc))
    minion = Minion(
        shared_dir / "minion", {"backends": {"datera": backend("192.0.2.1")}}, user="nobody"
    )
    for path in (minion.root, *minion.root.rglob("*")):
        os.chown(path, *nobody)

    returncode, state, output = minion.manage(conf, prefix=AS_NOBODY)
    assert returncode != 0 and state["result"] is False
    assert state["comment"] == error.format(conf=conf)
    assert SECRET not in output and SECRET not in minion.log.read_text()
    assert conf.read_bytes() == original
    assert sorted(os.listdir(etc)) == before


# --- odd files ----------------------------------------------------------------------------


def write_pillar(path, backends):
    path.write_text(yaml.safe_dump({"datera": {"backends": backends}}))
    return path


def runner(conf, pillar):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.conf_runner", str(conf), str(pillar)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        pytest.param(
            "# no sections at all\n", "# no sections at all\n\n[datera]\n", id="no-default-section"
        ),
        pytest.param(
            "[DEFAULT]\nenabled_backends = lvm\n[DEFAULT]\ndebug = true\n",
            "[DEFAULT]\nenabled_backends = lvm,datera\n[DEFAULT]\ndebug = true\n",
            id="duplicate-default-sections",
        ),
        pytest.param(
            "[DEFAULT]\nenabled_backends = a\nenabled_backends = lvm\n",
            "[DEFAULT]\nenabled_backends = a\nenabled_backends = lvm,datera\n",
            id="duplicate-keys-last-wins",
        ),
    ],
)
def test_odd_files_are_handled_without_mangling(tmp_path, original, expected):
    conf = tmp_path / "cinder.conf"
    conf.write_text(original)
    pillar = write_pillar(tmp_path / "p.yaml", {"datera": backend("192.0.2.1")})
    assert runner(conf, pillar).wait() == 0
    assert conf.read_text().startswith(expected)
    assert "san_ip = 192.0.2.1\n" in conf.read_text()
    os.chmod(conf, 0o640)
