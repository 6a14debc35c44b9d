"""
The formula's release table (``datera_schema.RELEASES``) against what each release's cinder
defines, as read from its sdist (``tests/fixtures/cinder-datera-options.json``, written by
``tests/support/cinder_release_matrix.py``): for every release the pillar accepts, the
driver path and every option the formula may write exist in that release's cinder, with
the type the pillar validates them as.
"""

import json

import pytest

from tests.support.cinder_release_matrix import GENERIC, SERIES, TABLE
from tests.support.loaders import load

datera_schema = load("utils", "datera_schema")
MATRIX = json.loads(TABLE.read_text())["releases"]
VERIFIED = [name for name, spec in datera_schema.RELEASES.items() if not spec["unverified"]]
# Always written, whatever the pillar sets: in each backend's section, and in [DEFAULT].
ALWAYS = ("volume_driver", "volume_backend_name", "san_ip", "san_login", "san_password")
SHARED_HOST = ("backend_host", "host", "enabled_backends")
TYPES = {"int": "IntOpt", "bool": "BoolOpt", "str": "StrOpt", "float": "FloatOpt"}


def defined(release):
    row = MATRIX[release]
    return {**row["generic_options"], **row["datera_options"]}


def written(release):
    """Every option the formula may write for ``release``."""
    spec = datera_schema.RELEASES[release]
    names = set(ALWAYS) | set(SHARED_HOST) | set(spec["fixed"]) | spec["options"]
    return names | ({spec["replicas"]} if spec["replicas"] else set())


def test_every_release_with_an_sdist_is_verified_and_only_those_are_not():
    assert set(MATRIX) == set(SERIES) == set(VERIFIED)
    unverified = set(datera_schema.RELEASES) - set(VERIFIED)
    assert unverified == {"liberty", "mitaka", "newton"}
    for name in unverified:
        assert "no cinder sdist" in datera_schema.RELEASES[name]["unverified"]
    assert set(datera_schema.RELEASE_ALIASES.values()) <= set(datera_schema.RELEASES)


@pytest.mark.parametrize("release", VERIFIED)
def test_driver_path_and_options_exist_in_the_release(release):
    spec = datera_schema.RELEASES[release]
    assert MATRIX[release]["driver"] == [spec["driver"]]
    options = defined(release)
    assert sorted(written(release) - set(options)) == []
    for name, kind in datera_schema.DRIVER_OPTIONS.items():
        if name in spec["options"]:
            assert options[name]["type"] == TYPES[spec["kinds"].get(name, kind)], name
    if spec["replicas"] == "datera_volume_type_defaults":
        assert options["datera_volume_type_defaults"]["type"] == "DictOpt"


@pytest.mark.parametrize("release", VERIFIED)
def test_every_driver_option_the_release_has_is_accepted(release):
    """The table forbids no option the release defines (it is exact, not just safe)."""
    options = defined(release)
    spec = datera_schema.RELEASES[release]
    assert spec["options"] == {name for name in datera_schema.DRIVER_OPTIONS if name in options}


def test_the_matrix_covers_every_generic_option():
    for release, row in MATRIX.items():
        assert set(row["generic_options"]) == set(GENERIC), release
