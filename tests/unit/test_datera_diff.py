"""The unified diff shown for a cinder.conf edit: a correct patch, and difflib's output on
the formula's own edits of the full sample."""

import difflib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.loaders import load
from tests.support.paths import CINDER_SAMPLE

datera_diff = load("utils", "datera_diff")
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n$")


def patched(old, diff):
    """Apply a unified diff to ``old`` (lists of lines), checking every context line."""
    out, at = [], 0
    body = iter(diff[2:])
    for line in body:
        start, length, _, new_length = (int(g) if g else 1 for g in HUNK.match(line).groups())
        start = start - 1 if length else start
        out += old[at:start]
        at, seen_old, seen_new = start, 0, 0
        while seen_old < length or seen_new < new_length:
            line = next(body)
            if line[0] in " -":
                assert old[at] == line[1:], (at, line)
                at, seen_old = at + 1, seen_old + 1
            if line[0] in " +":
                out.append(line[1:])
                seen_new += 1
    return out + old[at:]


LINES = st.lists(
    st.sampled_from(["[DEFAULT]\n", "[datera]\n", "[lvm]\n", "\n", "#x\n", "a = 1\n", "b = 2\n"]),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(old=LINES, new=LINES)
def test_the_diff_turns_old_into_new(old, new):
    diff = datera_diff.unified(old, new, "cinder.conf")
    assert (diff == []) == (old == new)
    if diff:
        assert diff[:2] == ["--- cinder.conf\n", "+++ cinder.conf\n"]
        assert patched(old, diff) == new


def test_same_output_as_difflib_for_a_backend_added_changed_and_removed():
    sample = CINDER_SAMPLE.read_text().splitlines(keepends=True)
    at = sample.index("#enabled_backends = <None>\n") + 1
    stanza = ["\n", "[datera]\n", "san_ip = 192.0.2.10\n", "san_password = ******\n"]
    added = sample[:at] + ["enabled_backends = lvm,datera\n"] + sample[at:] + stanza
    changed = [line.replace("192.0.2.10", "192.0.2.11") for line in added]
    for old, new in ((sample, added), (added, changed), (added, sample)):
        expected = list(difflib.unified_diff(old, new, "cinder.conf", "cinder.conf", n=2))
        assert datera_diff.unified(old, new, "cinder.conf") == expected
