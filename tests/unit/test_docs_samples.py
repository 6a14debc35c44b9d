"""The sample outputs the docs show (``docs/samples``, written by
``tests/support/capture_samples.py``): each one the docs include exists, none is left over,
and none shows the test bed instead of a cloud."""

import re

import pytest

from tests.support.paths import REPO

SAMPLES = REPO / "docs" / "samples"
# what gives a test bed away: its temporary directories, loopback addresses, the machine's
# own host name as the master's id
TEST_BED = re.compile(
    r"/tmp/|datera-testbed|\b127\.\d+\.\d+\.\d+|vm_master|" + "/" + "work/"  # (not this line)
)


def included():
    pages = [p.read_text() for p in (REPO / "docs").glob("*.rst")]
    return {name for page in pages for name in re.findall(r"samples/([\w.-]+\.txt)", page)}


def test_every_sample_the_docs_include_exists_and_none_is_left_over():
    assert included(), "the check sees no literalinclude of docs/samples"
    assert {p.name for p in SAMPLES.glob("*.txt")} == included()


@pytest.mark.parametrize("name", sorted(included()))
def test_no_sample_shows_the_test_bed(name):
    hits = [line for line in (SAMPLES / name).read_text().splitlines() if TEST_BED.search(line)]
    assert hits == []
