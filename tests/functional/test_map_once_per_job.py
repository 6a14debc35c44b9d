"""
map.jinja is built once per job (issue 18): every SLS file of a state run imports it, and
each import used to fetch and render ``defaults.yaml`` and ``osfamilymap.yaml`` again.
A real ``salt-call --local`` renders the primary controller's SLS files from a copy of the
formula whose ``defaults.yaml`` logs each time it is rendered. A minion the formula's
modules never reached gets the map's own error, not a Jinja one.
"""

import json
import shutil
import subprocess

from tests.support.paths import REPO
from tests.support.salt_call import Minion

PILLAR = {
    "role": "primary-controller",
    "backends": {"datera": {"san_ip": "192.0.2.10", "san_login": "admin", "san_password": "x"}},
}
MARK = "datera-test: defaults.yaml rendered"


def test_one_job_renders_the_map_once(tmp_path):
    minion = Minion(tmp_path / "map-once", PILLAR)
    shutil.copytree(REPO / "datera", minion.files / "datera")
    defaults = minion.files / "datera" / "defaults.yaml"
    defaults.write_text(f"{{%- do salt['log.warning']('{MARK}') %}}\n" + defaults.read_text())
    proc = subprocess.run(
        minion.argv("state.show_sls", "datera.primary", "--log-level=warning"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rendered = json.loads(proc.stdout)["local"]
    importing = {
        decl["__sls__"]
        for decl in rendered.values()
        if "map.jinja" in (minion.files / (decl["__sls__"].replace(".", "/") + ".sls")).read_text()
    }
    assert len(importing) >= 5, importing  # the map is imported by many files in this job
    assert (proc.stdout + proc.stderr).count(MARK) == 1
    assert rendered["datera-config-cinder-conf-managed"]["datera_conf"][0]["name"] == (
        "/etc/cinder/cinder.conf"
    )


def test_a_minion_without_the_modules_is_told_to_sync(tmp_path):
    minion = Minion(
        tmp_path / "no-modules",
        PILLAR,
        config_extra={"module_dirs": [], "states_dirs": [], "utils_dirs": []},
    )
    shutil.copytree(REPO / "datera", minion.files / "datera")
    proc = subprocess.run(
        minion.argv("state.show_sls", "datera.config"), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert "the datera formula's modules are not on this minion yet: run saltutil.sync_all" in (
        proc.stdout + proc.stderr
    )
