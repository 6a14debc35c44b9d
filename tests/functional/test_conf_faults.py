"""cinder.conf survives faults: killed writers, racing runs, a full disk, odd files."""

import os
import random
import resource
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.support.paths import CINDER_SAMPLE, REPO


def write_pillar(path, backends):
    path.write_text(yaml.safe_dump({"datera": {"backends": backends}}))
    return path


def backend(ip, password="Fault-Secret"):
    return {"san_ip": ip, "san_login": "admin", "san_password": password}


def runner(conf, pillar, *extra, **popen):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.conf_runner", str(conf), str(pillar), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def test_sigkill_mid_write_leaves_old_or_new_never_partial(tmp_path):
    conf = tmp_path / "cinder.conf"
    conf.write_bytes(CINDER_SAMPLE.read_bytes())
    pillars = [
        write_pillar(tmp_path / f"p{i}.yaml", {"datera": backend(f"192.0.2.{i}")}) for i in (1, 2)
    ]
    versions = set()
    for pillar in pillars:  # the two complete versions a writer can leave
        runner(conf, pillar).communicate()
        versions.add(conf.read_bytes())
    random.seed(7)
    kills, seen = 0, set()
    for _ in range(25):
        proc = runner(conf, ",".join(map(str, random.sample(pillars, 2))), "--loop")
        time.sleep(random.uniform(0.3, 0.6))  # past start-up, in the middle of edits
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        kills += proc.returncode == -signal.SIGKILL
        assert conf.read_bytes() in versions
        seen.add(conf.read_bytes())
    assert kills == 25 and seen == versions  # the writers really were rewriting the file
    # a killed writer may leave its temp file behind: never world-readable, and the next
    # run removes it
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".cinder.conf.")]
    assert all(p.stat().st_mode & 0o007 == 0 for p in leftovers)
    runner(conf, pillars[0]).communicate()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".cinder.conf.")] == [
        ".cinder.conf.datera-lock"
    ]


def test_two_runs_at_once_lose_no_update(tmp_path):
    conf = tmp_path / "cinder.conf"
    conf.write_text("[DEFAULT]\nenabled_backends = lvm\n")
    first = write_pillar(tmp_path / "a.yaml", {"alpha": backend("192.0.2.1")})
    second = write_pillar(tmp_path / "b.yaml", {"beta": backend("192.0.2.2")})
    for _ in range(5):
        procs = [runner(conf, first), runner(conf, second)]
        for proc in procs:
            assert proc.wait() == 0
    text = conf.read_text()
    assert (
        "enabled_backends = lvm,alpha,beta\n" in text
        or "enabled_backends = lvm,beta,alpha\n" in text
    )
    assert text.count("[alpha]") == 1 and text.count("[beta]") == 1


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_disk_full_fails_clearly_and_keeps_the_old_file(tmp_path):
    conf = tmp_path / "cinder.conf"
    original = CINDER_SAMPLE.read_bytes()
    conf.write_bytes(original)
    pillar = write_pillar(tmp_path / "p.yaml", {"datera": backend("192.0.2.1")})
    proc = runner(conf, pillar, preexec_fn=_limit_file_size)
    _, err = proc.communicate()
    assert proc.returncode != 0
    assert "cannot write" in err and "the previous file is unchanged" in err
    assert "Fault-Secret" not in err
    assert conf.read_bytes() == original
    assert not [
        p
        for p in tmp_path.iterdir()
        if p.name.startswith(".cinder.conf.") and not p.name.endswith("datera-lock")
    ]


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
