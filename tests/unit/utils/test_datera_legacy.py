"""What the old Fuel plugin left in cinder.conf: found by its driver, taken out, the rest kept."""

from tests.support.loaders import load

legacy = load("utils", "datera_legacy")
ini = load("utils", "datera_ini")

DRIVER = "cinder.volume.drivers.datera.datera_iscsi.DateraDriver"
# the old plugin's multibackend shape: enabled_backends with a trailing comma, one section
MULTI = f"""\
[DEFAULT]
# operator's comment
debug = true
enabled_backends = datera,

[datera]
volume_driver = {DRIVER}
san_ip = 192.0.2.10
san_login = admin
san_password = s3cr3t
datera_num_replicas = 2
volume_backend_name = DEFAULT

[database]
connection = mysql+pymysql://cinder:dbpass@192.0.2.2/cinder
"""
# single-backend: the driver in [DEFAULT]
SINGLE = f"""\
[DEFAULT]
debug = true
volume_driver = {DRIVER}
san_ip = 192.0.2.10
san_login = admin
san_password = s3cr3t
datera_num_replicas = 2
volume_backend_name = DEFAULT
auth_strategy = keystone
"""


def test_multibackend_shape_is_found_with_its_cinder_host():
    doc = ini.parse(MULTI)
    found = legacy.find(doc, "node-4")
    assert found == [
        {
            "section": "datera",
            "host": "node-4@datera",
            "volume_backend_name": "DEFAULT",
            "san_ip": "192.0.2.10",
        }
    ]


def test_multibackend_removal_drops_section_and_entry_and_keeps_the_rest():
    doc = ini.parse(MULTI)
    changes = legacy.remove(doc, legacy.find(doc, "node-4"))
    assert doc.text() == (
        "[DEFAULT]\n# operator's comment\ndebug = true\n\n"
        "[database]\nconnection = mysql+pymysql://cinder:dbpass@192.0.2.2/cinder\n"
    )
    assert changes == {
        "DEFAULT": {"enabled_backends": {"old": "datera,", "new": None}},
        "datera": "section removed",
    }
    assert legacy.other_backends(doc) == []
    assert legacy.find(doc, "node-4") == []


def test_other_backends_are_kept_in_their_order():
    text = MULTI.replace("enabled_backends = datera,", "enabled_backends = lvm,datera,ceph")
    text += "[lvm]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n"
    doc = ini.parse(text)
    legacy.remove(doc, legacy.find(doc, "node-4"))
    assert doc.get("DEFAULT", "enabled_backends") == "lvm,ceph"
    assert doc.get("lvm", "volume_driver") == "cinder.volume.drivers.lvm.LVMVolumeDriver"
    assert legacy.other_backends(doc) == ["lvm", "ceph"]


def test_single_backend_shape_uses_the_node_name_or_the_host_option():
    assert legacy.find(ini.parse(SINGLE), "node-5")[0]["host"] == "node-5"
    with_host = SINGLE.replace("debug = true", "debug = true\nhost = node-5.domain.tld")
    assert legacy.find(ini.parse(with_host), "node-5")[0]["host"] == "node-5.domain.tld"


def test_single_backend_removal_leaves_default_without_the_driver():
    doc = ini.parse(SINGLE)
    changes = legacy.remove(doc, legacy.find(doc, "node-5"))
    assert doc.text() == "[DEFAULT]\ndebug = true\nauth_strategy = keystone\n"
    assert changes["DEFAULT"]["removed"] == [
        "datera_num_replicas",
        "san_ip",
        "san_login",
        "san_password",
        "volume_backend_name",
        "volume_driver",
    ]
    assert legacy.other_backends(doc) == []


def test_backend_host_of_the_section_wins():
    text = MULTI.replace("san_ip = 192.0.2.10", "san_ip = 192.0.2.10\nbackend_host = shared")
    assert legacy.find(ini.parse(text), "node-4")[0]["host"] == "shared@datera"


def test_other_drivers_and_unlisted_sections_are_not_the_plugins():
    lvm = "[DEFAULT]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n"
    assert legacy.find(ini.parse(lvm), "node-5") == []
    # a Datera section that enabled_backends does not name is not served by cinder-volume
    unlisted = MULTI.replace("enabled_backends = datera,", "enabled_backends = lvm")
    assert legacy.find(ini.parse(unlisted), "node-4") == []
    # with enabled_backends set, cinder ignores a driver in [DEFAULT]
    both = SINGLE.replace("debug = true", "debug = true\nenabled_backends = lvm")
    assert legacy.find(ini.parse(both), "node-5") == []
