"""Property-based tests of the cinder.conf editor (hypothesis)."""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from salt.exceptions import CommandExecutionError

from tests.support import conf_edit
from tests.support.loaders import load

datera_ini = load("utils", "datera_ini")

# Lines an operator's cinder.conf may hold: comments, blanks, options, other sections,
# CRLF endings, odd bytes (decoded with surrogateescape as the module reads files).
comment = st.text(alphabet=string.printable.replace("\n", "").replace("\r", ""), max_size=30)
line = st.one_of(
    comment.map(lambda text: f"#{text}"),
    st.just(""),
    st.sampled_from(["debug", "auth_strategy", "volume_group", "my_ip"]).flatmap(
        lambda key: st.text(
            alphabet=string.ascii_letters + string.digits + ".:/-", max_size=12
        ).map(lambda value: f"{key} = {value}")
    ),
    st.sampled_from(["[DEFAULT]", "[lvm]", "[ceph]", "[database]", "[keystone_authtoken]"]),
    st.just("# caf\udce9 latin-1 byte"),
)


def _in_a_section(lines):
    """oslo.config refuses an option before the first section: start one before it."""
    for index, text in enumerate(lines):
        if text.startswith("["):
            break
        if text and not text.startswith("#"):
            return lines[:index] + ["[DEFAULT]"] + lines[index:]
    return lines


conf_text = st.tuples(
    st.lists(line, max_size=25).map(_in_a_section),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
).map(lambda parts: parts[1].join(parts[0]) + (parts[1] if parts[2] and parts[0] else ""))

value = st.text(
    alphabet=string.ascii_letters + string.digits + "$#=[]:/_.-", min_size=1, max_size=20
)
backends = st.dictionaries(
    st.sampled_from(["datera", "datera2", "dfs-east"]),
    st.fixed_dictionaries(
        {
            "san_ip": st.sampled_from(["192.0.2.10", "dfs.example.com", "2001:db8::1"]),
            "san_login": value,
            "san_password": value,
            "replica_count": st.integers(1, 5),
            "datera_debug": st.booleans(),
        }
    ),
    min_size=1,
    max_size=3,
)


def edit(text, pillar):
    return conf_edit.edit(text, conf_edit.plan(pillar))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=conf_text, backends=backends)
def test_unmanaged_lines_are_kept_in_order_and_second_apply_is_a_no_op(text, backends):
    pillar = {"backends": backends}
    once, changes = edit(text, pillar)
    twice, again = edit(once, pillar)
    assert twice == once and again == {}
    # every original line survives, in order, except [DEFAULT] enabled_backends lines and the
    # lines of the backend sections the formula owns
    owned = set(backends)
    kept, section = [], None
    for original in text.splitlines():
        stripped = original.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        if section in owned or original.startswith("enabled_backends"):
            continue
        kept.append(original)
    new_lines = iter(once.splitlines())
    assert all(any(candidate == wanted for candidate in new_lines) for wanted in kept)


@pytest.mark.parametrize("bad", ["a\nb", "x\r\n[DEFAULT]", "p\x00"])
def test_values_that_would_inject_lines_are_refused(bad):
    pillar = {
        "backends": {"datera": {"san_ip": "192.0.2.1", "san_login": "admin", "san_password": bad}}
    }
    with pytest.raises(CommandExecutionError, match="datera:backends:datera:san_password"):
        edit("[DEFAULT]\n", pillar)
