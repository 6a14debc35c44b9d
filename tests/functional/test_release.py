"""A release is a tag named after FORMULA's version, and a master serving the tag finds the
formula (the deployment guide's gitfs/file_roots example, pinned)."""

import json
import re
import subprocess
import sys
from pathlib import Path

from saltfactories.utils import random_string

from tests.support.paths import REPO


def formula_version():
    return re.search(r"^version: (\S+)$", (REPO / "FORMULA").read_text(), re.M)[1]


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_the_version_is_written_once():
    version = formula_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert "version" not in (REPO / "setup.cfg").read_text().split("[options]")[0]
    changelog = (REPO / "CHANGELOG.rst").read_text()
    assert re.search(rf"^{re.escape(version)} ", changelog, re.M), "no changelog entry"


def test_a_master_serving_the_release_tag_finds_the_formula(tmp_path, salt_factories):
    tag = "v" + formula_version()
    clone, release = tmp_path / "clone", tmp_path / "release"
    git("clone", "-q", str(REPO), str(clone), cwd=tmp_path)
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "tag",
        "-a",
        tag,
        "-m",
        tag,
        cwd=clone,
    )
    git("worktree", "add", "-q", str(release), tag, cwd=clone)  # what the tag holds, only
    master = salt_factories.salt_master_daemon(
        random_string("release-"), overrides={"file_roots": {"base": [str(release)]}}
    )
    with master.started():
        files = master.salt_run_cli(timeout=120).run("fileserver.file_list").data
    for sls in (
        "datera/deploy.sls",
        "datera/init.sls",
        "datera/secondary.sls",
        "datera/map.jinja",
        "_modules/datera.py",
    ):
        assert sls in files


def test_an_spm_package_installs_the_formula(tmp_path):
    """``spm build`` + ``spm local install`` (SPM reads FORMULA) put the SLS and the loader
    dirs under the master's formula path, the pillar example under its pillar path."""
    clone = tmp_path / "datera-formula"
    git("clone", "-q", str(REPO), str(clone), cwd=tmp_path)
    srv = tmp_path / "srv"
    config = {
        "root_dir": str(tmp_path),
        "spm_build_dir": str(tmp_path / "build"),
        "formula_path": str(srv / "salt"),
        "pillar_path": str(srv / "pillar"),
        "reactor_path": str(srv / "reactor"),
        "spm_db": str(tmp_path / "spm" / "packages.db"),
        "spm_cache_dir": str(tmp_path / "spm"),
        "spm_logfile": str(tmp_path / "spm.log"),
        "spm_build_exclude": [".git", "tests", "docs"],
    }
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "spm").write_text(json.dumps(config))
    spm = [str(Path(sys.executable).with_name("spm")), "-c", str(tmp_path / "etc"), "-y"]
    subprocess.run([*spm, "build", str(clone)], check=True, capture_output=True)
    package = tmp_path / "build" / f"datera-{formula_version()}-1.spm"
    subprocess.run([*spm, "local", "install", str(package)], check=True, capture_output=True)
    for path in ("datera/deploy.sls", "_modules/datera.py", "_states/datera_conf.py"):
        assert (srv / "salt" / path).is_file(), path
    assert (srv / "pillar" / "datera.sls.orig").read_text() == (REPO / "pillar.example").read_text()
    assert not (srv / "salt" / "tests").exists()
