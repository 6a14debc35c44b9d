"""cinder.conf editing: byte preservation, idempotence, masking, atomic write."""

import os
import stat

import pytest
from salt.exceptions import CommandExecutionError

from tests.support.loaders import load
from tests.support.paths import CINDER_SAMPLE

datera_conf = load("modules", "datera_conf")
datera_pillar = load("modules", "datera_pillar")

PASSWORD = "s3cr3t-Pa$$"


def pillar(**backend_overrides):
    backend = {
        "san_ip": "192.0.2.10",
        "san_login": "admin",
        "san_password": PASSWORD,
        "replica_count": 3,
    }
    backend.update(backend_overrides)
    return {"backends": {"datera": backend}}


@pytest.fixture
def datera_pillar_data():
    return pillar()


@pytest.fixture
def configure_loader_modules(datera_pillar_data):
    def settings(reveal=False):
        return datera_pillar._normalise(datera_pillar_data)

    return {
        datera_conf: {
            "__salt__": {"datera_pillar.settings": settings},
            "__opts__": {"test": False},
        }
    }


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "cinder.conf"
    path.write_bytes(CINDER_SAMPLE.read_bytes())
    return path


def test_sample_keeps_every_unmanaged_byte(conf):
    result = datera_conf.apply(str(conf))
    new = conf.read_text().splitlines()
    old = CINDER_SAMPLE.read_text().splitlines()
    added = [line for line in new if line not in old]
    assert sorted(added) == sorted(
        [
            "enabled_backends = datera",
            "[datera]",
            "volume_driver = cinder.volume.drivers.datera.datera_iscsi.DateraDriver",
            "volume_backend_name = datera",
            "san_ip = 192.0.2.10",
            "san_login = admin",
            "san_password = s3cr3t-Pa$$$$",
            "datera_volume_type_defaults = replica_count:3",
            "backend_host = cinder",
        ]
    )
    # removing the added lines gives back the sample, byte for byte (but the separator)
    kept = [line for line in new if line not in added]
    assert kept[: len(old)] == old and kept[len(old) :] == [""]
    assert "enabled_backends" in result["changes"]["DEFAULT"]
    # placed under the sample's commented placeholder
    assert new[new.index("#enabled_backends = <None>") + 1] == "enabled_backends = datera"


def test_second_run_changes_nothing_and_keeps_mtime(conf):
    datera_conf.apply(str(conf))
    os.utime(conf, (1, 1))
    assert datera_conf.apply(str(conf))["changes"] == {}
    assert conf.stat().st_mtime == 1
    assert datera_conf.check(str(conf))["in_sync"] is True


def test_enabled_backends_keeps_others(tmp_path):
    path = tmp_path / "cinder.conf"
    path.write_text(
        "[DEFAULT]\n# keep me\nenabled_backends = lvm ,ceph,\n\n[lvm]\nvolume_group = x\n"
    )
    datera_conf.apply(str(path))
    text = path.read_text()
    assert "enabled_backends = lvm,ceph,datera\n" in text
    assert text.startswith("[DEFAULT]\n# keep me\n")
    assert "[lvm]\nvolume_group = x\n\n[datera]\n" in text


def test_diff_and_changes_mask_secrets(conf):
    result = datera_conf.check(str(conf))
    assert PASSWORD not in str(result) and "$$" not in result["diff"]
    assert "+san_password = ******" in result["diff"]
    assert result["changes"]["datera"]["san_password"] == {"old": None, "new": "******"}


def test_changed_password_is_reported_masked(conf, datera_pillar_data):
    datera_conf.apply(str(conf))
    datera_pillar_data["backends"]["datera"]["san_password"] = "other-one"
    result = datera_conf.apply(str(conf))
    assert result["changes"] == {"datera": {"san_password": {"old": "******", "new": "******"}}}
    assert "-san_password = ******\n+san_password = ******" in result["diff"]
    assert "other-one" not in str(result)


def test_backend_absent_round_trips(tmp_path, datera_pillar_data):
    path = tmp_path / "cinder.conf"
    original = "[DEFAULT]\nenabled_backends = lvm\n\n[lvm]\nvolume_group = x\n"
    path.write_text(original)
    datera_conf.apply(str(path))
    datera_pillar_data["backends"]["datera"] = {"ensure": "absent"}
    result = datera_conf.apply(str(path))
    assert result["changes"]["datera"] == "section removed"
    assert path.read_text() == original


def test_key_removed_from_pillar_is_removed(conf, datera_pillar_data):
    datera_pillar_data["backends"]["datera"]["datera_debug"] = True
    datera_conf.apply(str(conf))
    assert "datera_debug = true\n" in conf.read_text()
    del datera_pillar_data["backends"]["datera"]["datera_debug"]
    assert datera_conf.apply(str(conf))["changes"] == {
        "datera": {"datera_debug": {"old": "true", "new": None}}
    }
    assert "\ndatera_debug =" not in conf.read_text()


def test_write_is_atomic_with_mode_and_backup(conf):
    datera_conf.apply(str(conf))
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    backup = conf.with_name("cinder.conf.datera-backup")
    assert backup.read_bytes() == CINDER_SAMPLE.read_bytes()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o640
    leftovers = [p.name for p in conf.parent.iterdir() if p.name.startswith(".cinder.conf.")]
    assert leftovers == [".cinder.conf.datera-lock"]


def test_crlf_no_final_newline_and_latin1_comment(tmp_path):
    path = tmp_path / "cinder.conf"
    original = b"[DEFAULT]\r\n# caf\xe9\r\nenabled_backends = lvm\r\n\r\n[lvm]\r\nvolume_group = x"
    path.write_bytes(original)
    datera_conf.apply(str(path))
    data = path.read_bytes()
    assert data.startswith(b"[DEFAULT]\r\n# caf\xe9\r\nenabled_backends = lvm,datera\r\n")
    assert b"volume_group = x\r\n\r\n[datera]\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_shared_host_in_default(tmp_path, datera_pillar_data):
    datera_pillar_data["cinder"] = {"shared_host_option": "host", "shared_host": "cinder-ha"}
    path = tmp_path / "cinder.conf"
    path.write_text("[DEFAULT]\nhost = node-1\n")
    datera_conf.apply(str(path))
    text = path.read_text()
    assert text.startswith("[DEFAULT]\nhost = cinder-ha\nenabled_backends = datera\n")
    assert "backend_host" not in text


@pytest.mark.parametrize(
    ("release", "driver", "replicas"),
    [
        ("newton", "cinder.volume.drivers.datera.DateraDriver", "datera_num_replicas = 3"),
        # Ocata to Train: no replica option (tests/fixtures/cinder-datera-options.json),
        # the volume types carry it
        ("ocata", "cinder.volume.drivers.datera.datera_iscsi.DateraDriver", None),
        ("train", "cinder.volume.drivers.datera.datera_iscsi.DateraDriver", None),
        (
            "ussuri",
            "cinder.volume.drivers.datera.datera_iscsi.DateraDriver",
            "datera_volume_type_defaults = replica_count:3",
        ),
        (
            "caracal",
            "cinder.volume.drivers.datera.datera_iscsi.DateraDriver",
            "datera_volume_type_defaults = replica_count:3",
        ),
    ],
)
def test_release_aware_options(conf, datera_pillar_data, release, driver, replicas):
    datera_pillar_data["release"] = release
    datera_conf.apply(str(conf))
    text = conf.read_text()
    assert f"volume_driver = {driver}\n" in text
    if replicas:
        assert f"{replicas}\n" in text
    else:
        assert "replica" not in text.split("[datera]")[1]
    assert ("datera_api_version = 2\n" in text) is (release == "newton")


def test_unknown_release_is_named(conf, datera_pillar_data):
    datera_pillar_data["release"] = "grizzlyy"
    with pytest.raises(CommandExecutionError, match="datera:release"):
        datera_conf.apply(str(conf))
    assert conf.read_bytes() == CINDER_SAMPLE.read_bytes()


def test_missing_directory_is_clear(tmp_path):
    with pytest.raises(CommandExecutionError, match="does not exist"):
        datera_conf.apply(str(tmp_path / "nope" / "cinder.conf"))


# --- the old Fuel plugin's backend (takeover) ----------------------------------------------

LEGACY = f"""\
[DEFAULT]
# the operator's comment
enabled_backends = lvm,datera,

[lvm]
volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver

[datera]
volume_driver = cinder.volume.drivers.datera.datera_iscsi.DateraDriver
san_ip = 192.0.2.10
san_login = admin
san_password = {PASSWORD}
volume_backend_name = DEFAULT
"""


@pytest.fixture
def legacy_conf(tmp_path, monkeypatch):
    monkeypatch.setattr(datera_conf.socket, "gethostname", lambda: "node-4")
    path = tmp_path / "cinder.conf"
    path.write_text(LEGACY)
    return path


def test_legacy_report_changes_nothing_and_masks_the_password(legacy_conf):
    found = datera_conf.legacy(str(legacy_conf))
    assert legacy_conf.read_text() == LEGACY
    assert [b["host"] for b in found["serving"]] == ["node-4@datera"]
    assert found["retired"] == [] and found["copy"] is None
    assert found["left"] == ["lvm"]
    assert "-san_password = ******" in found["diff"]
    assert PASSWORD not in repr(found)


def test_retire_keeps_the_plugins_file_once_and_converges(legacy_conf):
    done = datera_conf.retire_legacy(str(legacy_conf))
    copy = legacy_conf.parent / "cinder.conf.datera-legacy"
    assert done["copy"] == str(copy) and copy.read_text() == LEGACY
    assert legacy_conf.read_text() == (
        "[DEFAULT]\n# the operator's comment\nenabled_backends = lvm\n\n"
        "[lvm]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n"
    )
    assert PASSWORD not in repr(done)
    assert datera_conf.retire_legacy(str(legacy_conf))["changes"] == {}
    found = datera_conf.legacy(str(legacy_conf))
    assert found["serving"] == [] and [b["host"] for b in found["retired"]] == ["node-4@datera"]
    # a later edit never overwrites the copy of the file as the plugin left it
    legacy_conf.write_text(LEGACY.replace("192.0.2.10", "192.0.2.99"))
    datera_conf.retire_legacy(str(legacy_conf))
    assert copy.read_text() == LEGACY


def test_retire_refuses_a_file_cinder_cannot_read_and_leaves_it(legacy_conf):
    broken = "san_ip = 192.0.2.10\n" + LEGACY  # an option before any section
    legacy_conf.write_text(broken)
    with pytest.raises(CommandExecutionError, match="cannot read this file"):
        datera_conf.retire_legacy(str(legacy_conf))
    assert legacy_conf.read_text() == broken
    assert not (legacy_conf.parent / "cinder.conf.datera-legacy").exists()
