"""A release is a tag named after FORMULA's version, and a master serving the tag finds the
formula (the deployment guide's gitfs/file_roots example, pinned)."""

import re
import subprocess

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
    for sls in ("datera/deploy.sls", "datera/init.sls", "datera/map.jinja", "_modules/datera.py"):
        assert sls in files
