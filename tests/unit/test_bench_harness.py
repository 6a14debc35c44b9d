"""The benchmark's baseline formula from git history and the check that each variant's
minions run their own master's modules (tests/bench/harness.py)."""

import re
import shutil
import subprocess

import pytest

from tests.bench import harness as h
from tests.support.paths import REPO


def test_a_commit_git_does_not_have_says_why(tmp_path):
    if h.git("rev-parse", "--git-dir") is None:
        pytest.skip("not a git clone: the next test covers it")
    with pytest.raises(h.NotInHistory, match="not in this clone's history"):
        h.snapshot_tree(tmp_path / "tree", "0" * 40)


def test_without_git_history_the_baseline_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr(h, "REPO", tmp_path)  # a tarball: no .git above it
    assert subprocess.run(["git", "rev-parse"], cwd=tmp_path, capture_output=True).returncode
    with pytest.raises(h.NotInHistory, match="no git history here"):
        h.snapshot_tree(tmp_path / "tree", h.BASELINE_COMMIT)


def test_the_baseline_tree_holds_the_six_step_deploy(tmp_path):
    try:
        root, info = h.snapshot_tree(tmp_path / "tree", h.BASELINE_COMMIT)
    except h.NotInHistory as why:
        pytest.skip(str(why))
    deploy = (root / "datera" / "deploy.sls").read_text()
    assert deploy.count("salt.state:") == 7  # refresh, pre-flight, agent, primary x2, others
    assert "datera-deploy-computes:" in deploy and (root / "_modules" / "datera.py").is_file()
    assert info["git_commit"] == h.BASELINE_COMMIT and len(info["sha256"]) == 64


def test_modules_a_master_does_not_serve_are_foreign(tmp_path):
    tree, extmods = tmp_path / "tree", tmp_path / "extmods"
    for path, text in (
        (tree / "_modules" / "datera.py", "new"),
        (extmods / "modules" / "datera.py", "new"),
        (extmods / "modules" / "other.py", "not the formula's"),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert h.foreign_modules(tree, extmods) == []
    (extmods / "modules" / "datera.py").write_text("old")
    (extmods / "states").mkdir()
    (extmods / "states" / "datera_iscsi.py").write_text("old")
    assert h.foreign_modules(tree, extmods) == ["modules/datera.py", "states/datera_iscsi.py"]


def test_the_floor_runs_the_same_steps_with_nothing_but_the_pillar_refresh(tmp_path):
    """The floor (tests/bench/harness.py floor_orchestration) keeps deploy.sls's steps and
    replaces each SLS: the first phase by the pillar refresh that targeting by role needs --
    the same call as datera/refresh.sls --, the cinder.conf phases by a reported change,
    the rest by nothing."""
    files = tmp_path / "files"
    shutil.copytree(REPO / "datera", files / "datera")
    assert h.floor_orchestration(files) == 4
    floor = (files / "bench_floor" / "deploy.sls").read_text()
    sls = dict(
        re.findall(r"^([\w-]+):\n  salt\.state:\n(?:    - .*\n)*?    - sls: (\S+)$", floor, re.M)
    )
    assert sls == {
        "datera-deploy-prepare": "bench_floor.prepare",
        "datera-deploy-legacy": "bench_floor.noop",
        "datera-deploy-primary": "bench_floor.changed",
        "datera-deploy-others": "bench_floor.changed",
    }
    refresh = "saltutil.refresh_pillar:\n      - wait: true"
    assert refresh in (files / "bench_floor" / "prepare.sls").read_text()
    assert refresh in (REPO / "datera" / "refresh.sls").read_text()
    for name in ("noop", "changed"):
        assert "refresh" not in (files / "bench_floor" / f"{name}.sls").read_text()
