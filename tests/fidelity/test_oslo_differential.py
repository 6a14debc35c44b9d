"""
The formula reads and writes cinder.conf exactly as cinder's own parser (oslo.config, in
.venv-cinder) reads it: a differential test over generated files.

hypothesis generates cinder.conf texts holding every shape oslo.config reads in its own
way (continuation lines, duplicate keys and sections, ``#``/``;`` comments, ``:`` and ``=``
with any whitespace, empty and quoted values, CRLF, lone CR, no final newline, tabs,
``[DEFAULT]``/``[default]``/``[Datera]``, keys in other case, a BOM, lines oslo refuses),
with Datera sections and ``enabled_backends``/``host``/``backend_host`` in every form. For
each, against oslo.config's ``cfg.ConfigParser`` run in one long-lived process
(``oslo_reader.py``):

(a) the formula's reading of every key of every group equals oslo.config's, and the formula
    refuses exactly the texts oslo.config refuses, naming the same line;
(b) after the edit, oslo.config reads the desired Datera options, ``enabled_backends`` holds
    every backend it held before plus the Datera ones, and every other option of every
    section reads as before;
(c) the lines outside the managed ones (the Datera sections, the effective
    ``enabled_backends``/``host`` entries) are kept byte for byte.

``DATERA_DIFF_EXAMPLES`` sets the number of examples (default 2,000; CI runs the default).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from salt.exceptions import CommandExecutionError

from tests.fidelity.cinder_venv import PYTHON
from tests.support import conf_edit
from tests.support.loaders import load

pytestmark = pytest.mark.fidelity

datera_ini = load("utils", "datera_ini")
READER = Path(__file__).with_name("oslo_reader.py")
EXAMPLES = int(os.environ.get("DATERA_DIFF_EXAMPLES", "2000"))


class Oslo:
    """One oslo.config process, fed a JSON line per text."""

    def __init__(self):
        assert os.path.exists(PYTHON), f"{PYTHON} missing: run bash tests/setup.sh"
        self.proc = subprocess.Popen(
            [PYTHON, "-W", "ignore", str(READER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def read(self, text):
        self.proc.stdin.write(json.dumps({"text": text}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def oslo():
    reader = Oslo()
    yield reader
    reader.close()


# --- what an operator's cinder.conf may hold ---------------------------------------------

KEYS = [
    "enabled_backends",
    "host",
    "backend_host",
    "volume_driver",
    "san_ip",
    "san_password",
    "debug",
    "volume_group",
    "Enabled_Backends",
    "enabled-backends",
    "\x0cenabled_backends",
]
SEPARATORS = ["=", " = ", ":", " : ", "\t=\t", "= ", " =", " :", ": "]
VALUES = [
    "",
    "lvm",
    "lvm,ceph",
    "lvm ,ceph,",
    "lvm,,ceph",
    "datera",
    "lvm, datera",
    "datera2,lvm",
    "'lvm'",
    '"lvm,ceph"',
    '"',
    "a # not a comment",
    "x;y",
    "a=b:c",
    "  spaced  ",
    "$$x",
    "caf\u00e9",
]
HEADERS = [
    "[DEFAULT]",
    "[default]",
    "[Default]",
    "[ DEFAULT ]",
    "[lvm]",
    "[ceph]",
    "[datera]",
    "[DATERA]",
    "[Datera]",
    "[datera2]",
    "[database]",
    "[DEFAULT]  ",
]
CONTINUATIONS = ["  ceph", "\tceph,", "  , nfs", "   # not a comment", "  datera", "\t ;x"]
COMMENTS = ["#x", ";x", "# enabled_backends = a", "#enabled_backends = <None>", "#host = h", ";"]
BLANKS = ["", "   ", "\t"]
BAD = [
    "[DEFAULT",
    "[]",
    "[x] # c",
    "junk line",
    "= value",
    "  stray continuation",
    "orphan = before any section",
]
ENDINGS = ["\n", "\n", "\n", "\r\n", "\r"]

assignment = st.tuples(
    st.sampled_from(KEYS),
    st.sampled_from(SEPARATORS),
    st.sampled_from(VALUES),
    st.lists(st.sampled_from(CONTINUATIONS), max_size=2),
).map(lambda kv: [kv[0] + kv[1] + kv[2], *kv[3]])
item = st.one_of(
    assignment,
    assignment,
    st.sampled_from(COMMENTS).map(lambda c: [c]),
    st.sampled_from(BLANKS).map(lambda b: [b]),
)
block = st.tuples(st.sampled_from(HEADERS), st.lists(item, max_size=5)).map(
    lambda b: [b[0]] + [line for lines in b[1] for line in lines]
)


@st.composite
def conf_texts(draw):
    lines = draw(st.lists(st.sampled_from(COMMENTS + BLANKS), max_size=2))
    for lines_of_block in draw(st.lists(block, max_size=5)):
        lines += lines_of_block
    if draw(st.integers(0, 9)) == 0:  # one line oslo.config refuses, somewhere
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(BAD)))
    if draw(st.integers(0, 29)) == 0 and lines:
        lines[0] = "\ufeff" + lines[0]
    endings = draw(st.lists(st.sampled_from(ENDINGS), min_size=len(lines), max_size=len(lines)))
    text = "".join(line + ending for line, ending in zip(lines, endings, strict=True))
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")
    return text


pillars = st.fixed_dictionaries(
    {
        "backends": st.sampled_from(
            [
                {"datera": {}},
                {"datera": {}, "datera2": {}},
                {"datera": {}, "datera2": {"ensure": "absent"}},
                {"datera": {"ensure": "absent"}},
            ]
        ),
        "password": st.sampled_from(["pw", "p$w=1", "'quoted'", " spaced ", "a:b"]),
        "host_option": st.sampled_from(["backend_host", "host"]),
    }
).map(
    lambda p: {
        "cinder": {"shared_host_option": p["host_option"], "shared_host": "cinder-ha"},
        "backends": {
            name: backend
            if backend
            else {"san_ip": "192.0.2.10", "san_login": "admin", "san_password": p["password"]}
            for name, backend in p["backends"].items()
        },
    }
)


# --- the formula's side -------------------------------------------------------------------


def formula_reading(text):
    """What the formula's reader makes of ``text``, in the oslo reader's shape."""
    try:
        doc = datera_ini.parse(text)
    except datera_ini.ParseError as err:
        return {"error": [err.lineno, None]}
    groups = {}
    for section in doc.sections:
        into = groups.setdefault(datera_ini.group(section.name), {})
        for entry in section.entries():
            into.setdefault(entry.key, []).append(entry.value)
    raw = groups.get("DEFAULT", {}).get("enabled_backends")
    return {"groups": groups, "enabled_backends": None if raw is None else raw[-1]}


def managed_lines(text, plan):
    """The lines of ``text`` the formula may change: the Datera sections and the entries of
    the managed ``[DEFAULT]`` keys; the others, in order."""
    doc = datera_ini.parse(text)
    datera = {datera_ini.group(name) for name in [*plan["sections"], *plan["absent"]]}
    managed_keys = {"enabled_backends", *plan["default"]}
    kept = list(doc.preamble)
    for section in doc.sections:
        if datera_ini.group(section.name) in datera:
            continue
        spans = set()
        if section.name == "DEFAULT":
            for entry in section.entries():
                if entry.key in managed_keys:
                    spans.update(range(entry.start, entry.end))
        kept += [line for index, line in enumerate(section.lines) if index not in spans]
    return kept


def comparable(lines):
    """Lines kept, as compared: trailing blank lines and appended ``[DEFAULT]`` headers
    (the formula adds a separator or a section at the end), and the last line's ending (it
    gains one when a line is added after it), do not count."""
    lines = list(lines)
    while lines and (not lines[-1].strip() or lines[-1].strip() == "[DEFAULT]"):
        lines.pop()
    if lines:
        lines[-1] = lines[-1].rstrip("\r\n")
    return lines


def edit(text, pillar):
    plan = conf_edit.plan(pillar)
    return plan, conf_edit.edit(text, plan)[0]


# Found by this test (or written for the shapes of issue 14) and kept as regression cases.
REGRESSIONS = [
    "[DEFAULT]\nenabled_backends = lvm,\n  ceph\n",
    "[DEFAULT]\nenabled_backends: lvm\n",
    "\ufeff[DEFAULT]\nenabled_backends = lvm\n",
    "[DEFAULT]\renabled_backends = lvm\r[lvm]\r",
    "[DEFAULT]\n\x0cenabled_backends = lvm\n",
    '[DEFAULT]\nenabled_backends = "lvm"\n  ceph\n',
    "[Datera]\nsan_ip = x\n[DEFAULT]\nenabled_backends = lvm",
    "[DEFAULT]\nhost = a\n  b\n[default]\nhost = c\n",
]
PILLAR = {
    "cinder": {"shared_host_option": "host", "shared_host": "cinder-ha"},
    "backends": {"datera": {"san_ip": "192.0.2.10", "san_login": "a", "san_password": " x "}},
}


def check(oslo, text, pillar):
    before = oslo.read(text)
    mine = formula_reading(text)
    # (a) the same reading, or the same refusal
    if "error" in before:
        assert "error" in mine, f"oslo.config refuses it ({before['error']}), the formula not"
        if before["error"][1] != "Section must be started before assignment":
            assert mine["error"][0] == before["error"][0]  # (oslo names a later line)
        with pytest.raises(CommandExecutionError, match=f"line {mine['error'][0]}:"):
            edit(text, pillar)
        return "refused by both"
    assert "error" not in mine, f"the formula refuses what oslo.config reads: {mine}"
    assert mine["groups"] == before["groups"]
    enabled_before = [b for b in before["enabled_backends"] or [] if b]
    assert datera_ini.split_list(mine["enabled_backends"]) == enabled_before
    try:
        plan, new = edit(text, pillar)
    except CommandExecutionError as err:
        assert "$-substitution" in str(err)
        return "refused: $ in enabled_backends"
    after = oslo.read(new)
    # (b) oslo.config reads what the formula meant, and nothing else changed
    assert "error" not in after, after
    groups = after["groups"]
    for name, options in plan["sections"].items():
        assert {k: v[-1] for k, v in groups[datera_ini.group(name)].items()} == options
    for name in plan["absent"]:
        assert datera_ini.group(name) not in groups
    present = [name for name in plan["sections"]]
    kept = [b for b in enabled_before if b not in plan["absent"]]
    assert [b for b in after["enabled_backends"] or [] if b] == kept + [
        b for b in present if b not in kept
    ]
    for key, value in plan["default"].items():
        assert groups["DEFAULT"][key][-1] == value
    datera = {datera_ini.group(n) for n in [*plan["sections"], *plan["absent"]]}
    managed = {"enabled_backends", *plan["default"]}
    for name, options in before["groups"].items():
        if name in datera:
            continue
        for key, values in options.items():
            if not (name == "DEFAULT" and key in managed):
                assert groups[name][key] == values, (name, key)
    # (c) the lines outside the managed ones are kept byte for byte
    assert comparable(managed_lines(new, plan)) == comparable(managed_lines(text, plan))
    # and a second run changes nothing
    assert edit(new, pillar)[1] == new
    return "edited" if new != text else "already in sync"


@pytest.mark.parametrize("text", REGRESSIONS)
def test_regressions(oslo, text):
    check(oslo, text, PILLAR)


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=conf_texts(), pillar=pillars)
@example(text=REGRESSIONS[0], pillar=PILLAR)
def test_the_formula_reads_and_writes_as_oslo_config(oslo, text, pillar):
    event(check(oslo, text, pillar))


def test_the_issue_cases_end_as_the_issue_says(oslo):
    pillar = {"backends": {"datera": PILLAR["backends"]["datera"]}}
    _, new = edit(REGRESSIONS[0], pillar)
    assert oslo.read(new)["enabled_backends"] == ["lvm", "ceph", "datera"]
    assert "\n  ceph\n" in new
    _, new = edit(REGRESSIONS[1], pillar)
    assert oslo.read(new)["enabled_backends"] == ["lvm", "datera"]
