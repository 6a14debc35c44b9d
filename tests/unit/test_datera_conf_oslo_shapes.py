"""cinder.conf shapes oslo.config reads in its own way: the formula reads them the same way,
and refuses, changing nothing, what oslo.config refuses."""

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.loaders import load

datera_conf = load("modules", "datera_conf")
datera_pillar = load("modules", "datera_pillar")
datera_state = load("states", "datera_conf")
datera_ini = load("utils", "datera_ini")

BACKEND = {"san_ip": "192.0.2.10", "san_login": "admin", "san_password": "pw"}


@pytest.fixture
def datera_pillar_data():
    return {"backends": {"datera": dict(BACKEND)}}


@pytest.fixture
def configure_loader_modules(datera_pillar_data):
    def settings(reveal=False):
        return datera_pillar._normalise(datera_pillar_data)

    opts = {"test": False}
    return {
        datera_conf: {
            "__salt__": {"datera_pillar.settings": settings},
            "__opts__": opts,
        },
        datera_state: {
            "__salt__": {"datera_conf.apply": datera_conf.apply, "datera_conf.check": None},
            "__opts__": opts,
        },
    }


def enabled(text):
    return datera_ini.split_list(datera_ini.parse(text).get("DEFAULT", "enabled_backends"))


def applied(tmp_path, original):
    path = tmp_path / "cinder.conf"
    path.write_bytes(original.encode())
    datera_conf.apply(str(path))
    return path.read_bytes().decode()


def test_a_continuation_line_keeps_its_backend(tmp_path):
    text = applied(tmp_path, "[DEFAULT]\nenabled_backends = lvm,\n  ceph\n")
    assert "\n  ceph\n" in text and enabled(text) == ["lvm", "ceph", "datera"]
    assert text.startswith("[DEFAULT]\nenabled_backends = lvm,\n  ceph\n  ,datera\n")
    assert applied(tmp_path, text) == text


def test_a_colon_separator_is_the_same_option(tmp_path):
    text = applied(tmp_path, "[DEFAULT]\nenabled_backends: lvm\n")
    assert text.startswith("[DEFAULT]\nenabled_backends: lvm,datera\n")
    assert enabled(text) == ["lvm", "datera"] and text.count("enabled_backends") == 1


@pytest.mark.parametrize(
    ("original", "backends"),
    [
        ("[DEFAULT]\nenabled_backends = a\nenabled_backends = lvm\n", ["lvm", "datera"]),
        ("[DEFAULT]\nenabled_backends=lvm\n[x]\n[DEFAULT]\nenabled_backends=b\n", ["b", "datera"]),
        ('[DEFAULT]\nenabled_backends = "lvm,ceph"\n', ["lvm", "ceph", "datera"]),
        ("[DEFAULT]\nenabled_backends =\n", ["datera"]),
        (
            "[DEFAULT]\r\nenabled_backends\t=\tlvm ; not a comment\r\n",
            ["lvm ; not a comment", "datera"],
        ),
        ("[DEFAULT]\renabled_backends = lvm\r", ["lvm", "datera"]),
        ("[default]\nenabled_backends = lvm\n", ["datera"]),  # not oslo's DEFAULT group
        ("[DEFAULT]\nEnabled_Backends = lvm\n", ["datera"]),  # keys are case-sensitive
        ("[DEFAULT]\n\x0cenabled_backends = lvm\n", ["lvm", "datera"]),  # key.strip()
        ("[DEFAULT]\nenabled_backends = lvm,,ceph,\n", ["lvm", "ceph", "datera"]),
    ],
)
def test_enabled_backends_as_oslo_reads_it(tmp_path, original, backends):
    text = applied(tmp_path, original)
    assert enabled(text) == backends
    assert applied(tmp_path, text) == text


def test_a_datera_section_in_another_case_is_the_same_group(tmp_path):
    text = applied(tmp_path, "[DEFAULT]\nenabled_backends = datera\n\n[DATERA]\nsan_ip: 1.2.3.4\n")
    assert "[datera]" not in text and "[DATERA]\nsan_ip: 192.0.2.10\n" in text


def test_values_oslo_would_strip_are_quoted(tmp_path, datera_pillar_data):
    datera_pillar_data["backends"]["datera"]["san_password"] = "'pw' "
    text = applied(tmp_path, "[DEFAULT]\n")
    assert "san_password = \"'pw' \"\n" in text
    assert datera_ini.parse(text).get("datera", "san_password") == "'pw' "
    assert applied(tmp_path, text) == text


def test_substitution_in_enabled_backends_is_refused(tmp_path):
    path = tmp_path / "cinder.conf"
    path.write_text("[DEFAULT]\nenabled_backends = $backends\n")
    with pytest.raises(CommandExecutionError, match="substitution"):
        datera_conf.apply(str(path))


@pytest.mark.parametrize(
    ("original", "line", "why"),
    [
        ("\ufeff[DEFAULT]\nenabled_backends = lvm\n", 1, ".*byte order mark"),
        ("debug = true\n[DEFAULT]\n", 1, "Section must be started"),
        ("[DEFAULT]\n\n  lvm\n", 3, "Unexpected continuation line"),
        ("[DEFAULT]\n# c\n  lvm\n", 3, "Unexpected continuation line"),
        ("[DEFAULT\nx = 1\n", 1, "Invalid section"),
        ("[DEFAULT] # c\n", 1, "Invalid section"),
        ("[]\n", 1, "Empty section name"),
        ("[DEFAULT]\nenabled_backends lvm\n", 2, "No ':' or '='"),
        ("[DEFAULT]\n= lvm\n", 2, "Key cannot be empty"),
    ],
)
def test_what_oslo_refuses_is_refused_naming_the_line(tmp_path, original, line, why):
    path = tmp_path / "cinder.conf"
    path.write_bytes(original.encode())
    with pytest.raises(CommandExecutionError, match=f"line {line}: {why}"):
        datera_conf.apply(str(path))
    ret = datera_state.managed(str(path))
    assert ret["result"] is False and f"line {line}" in ret["comment"] and not ret["changes"]
    assert path.read_bytes() == original.encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cinder.conf.datera-lock", "cinder.conf"]


def test_the_diff_masks_a_secret_behind_a_colon_and_on_continuation_lines(tmp_path):
    path = tmp_path / "cinder.conf"
    path.write_text("[DEFAULT]\n[datera]\nsan_password: old-secret\n  more-secret\n")
    diff = datera_conf.check(str(path))["diff"]
    assert "old-secret" not in diff and "more-secret" not in diff
    assert "-san_password: ******" in diff
