"""
Every malformed pillar of the corpus, given to the real states through Salt's loader:
each fails naming the key, and cinder.conf and the CIB stay byte-identical.
"""

import subprocess

import pytest

from tests.support.paths import CINDER_SAMPLE
from tests.unit.test_datera_pillar import MALFORMED, with_change


@pytest.fixture(scope="module")
def empty_cib(tmp_path_factory):
    path = tmp_path_factory.mktemp("cib") / "cib.xml"
    path.write_text(subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True).stdout)
    return path


@pytest.mark.parametrize(
    ("path", "value", "message"), MALFORMED, ids=[":".join(p) + f"={v!r}" for p, v, _ in MALFORMED]
)
def test_malformed_pillar_fails_and_changes_nothing(
    path, value, message, tmp_path, empty_cib, loaders, set_pillar
):
    conf = tmp_path / "cinder.conf"
    conf.write_bytes(CINDER_SAMPLE.read_bytes())
    cib = tmp_path / "cib.xml"
    cib.write_bytes(empty_cib.read_bytes())
    pillar = with_change(path, value)
    for section, key, where in (("cinder", "conf_file", conf), ("pacemaker", "cib_file", cib)):
        if isinstance(pillar.setdefault(section, {}), dict):
            pillar[section].setdefault(key, str(where))
    set_pillar(pillar)

    conf_ret = loaders.states.datera_conf.managed(name=str(conf))
    cib_ret = loaders.states.datera_cib.resource_present(name="p_cinder-volume", cib_file=str(cib))
    assert conf_ret.result is False and message in conf_ret.comment
    assert cib_ret.result is False and message in cib_ret.comment
    assert conf.read_bytes() == CINDER_SAMPLE.read_bytes()
    assert cib.read_bytes() == empty_cib.read_bytes()
