"""A clone of the repository is all a run needs: no file may point outside it."""

import subprocess

import pytest

from tests.support.paths import REPO

# Built from parts, so that this file does not match itself.
OUTSIDE = [
    ".." + "/shared",  # the reference material beside the developers' checkout
    "shared" + "/fixtures",
    "/" + "work/",  # the developers' machine
    "/root/" + ".pyenv",
]


def tracked_text_files():
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in names:
        path = REPO / name
        if path.is_file() and b"\0" not in path.read_bytes()[:4096]:
            yield name, path.read_text(errors="replace")


def test_the_check_sees_the_repository():
    names = [name for name, _ in tracked_text_files()]
    assert "tests/support/datera_sim/schema.py" in names
    assert "docs/test-plan.rst" in names


@pytest.mark.parametrize("needle", OUTSIDE)
def test_nothing_refers_outside_the_repository(needle):
    hits = [
        f"{name}:{number}: {line.strip()}"
        for name, text in tracked_text_files()
        for number, line in enumerate(text.splitlines(), 1)
        if needle in line
    ]
    assert hits == []


def test_fixtures_are_in_the_repository_with_their_provenance():
    fixtures = REPO / "tests" / "fixtures"
    readme = (fixtures / "README.rst").read_text()
    files = sorted(p for p in fixtures.rglob("*") if p.is_file() and p.name != "README.rst")
    assert len(files) == 9
    for path in files:
        assert path.name in readme, f"{path.name} has no provenance line"
