"""
Every OS family FORMULA claims gets its own package and service names: the SLS rendered
by a real ``salt-call --local`` with the family's grains (``state.show_sls``, nothing runs).
"""

import json
import re
import subprocess

import pytest

from tests.support.paths import REPO
from tests.support.salt_call import Minion

PILLAR = {
    "role": "primary-controller",
    "backends": {"datera": {"san_ip": "192.0.2.10", "san_login": "admin", "san_password": "x"}},
    "iscsi": {"multipath": True},
    "lookup": {"manage_packages": True, "manage_services": True},
}
EXPECTED = {
    "Debian": {
        "cinder-volume package": "cinder-volume",
        "cinder-volume service": "cinder-volume",
        "iSCSI packages": ["open-iscsi", "multipath-tools"],
    },
    "RedHat": {  # RDO's packages, as on CentOS Stream / Rocky / AlmaLinux
        "cinder-volume package": "openstack-cinder",
        "cinder-volume service": "openstack-cinder-volume",
        "iSCSI packages": ["iscsi-initiator-utils", "device-mapper-multipath"],
    },
}


def claimed_families():
    line = re.search(r"^os_family: (.+)$", (REPO / "FORMULA").read_text(), re.M)[1]
    return [family.strip() for family in line.split(",")]


def test_every_claimed_family_is_checked():
    assert sorted(claimed_families()) == sorted(EXPECTED)


def rendered(minion, sls):
    proc = subprocess.run(
        minion.argv("state.show_sls", sls), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {
        sid: _args(next(v for k, v in decl.items() if not k.startswith("__")))
        for sid, decl in json.loads(proc.stdout)["local"].items()
    }


def _args(declaration):
    """``["installed", {"name": ...}, ...]`` -> ``{"fun": "installed", "name": ...}``."""
    merged = {}
    for item in declaration:
        merged.update(item if isinstance(item, dict) else {"fun": item})
    return merged


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_packages_and_services_of_the_family(tmp_path, family):
    minion = Minion(tmp_path / family.lower(), PILLAR, grains={"os_family": family})
    (minion.files / "datera").symlink_to(REPO / "datera")
    controller = rendered(minion, "datera.primary")
    compute = rendered(minion, "datera.compute")
    found = {
        "cinder-volume package": controller["datera-package-cinder-volume-pkg-installed"]["name"],
        "cinder-volume service": controller["datera-package-cinder-volume-service-dead"]["name"],
        "iSCSI packages": compute["datera-iscsi-pkg-installed"]["pkgs"],
    }
    assert found == EXPECTED[family]
    assert compute["datera-iscsi-iscsid-running"]["name"] == "iscsid"
    assert compute["datera-iscsi-multipathd-running"]["name"] == "multipathd"
