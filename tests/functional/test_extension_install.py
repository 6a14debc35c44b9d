"""
``pip install .`` makes the formula's modules loadable by Salt as an extension, and where
the extension is installed the orchestration's refresh step does not sync copies over it.
"""

import hashlib
import json
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.support.datera_sim import DateraSimulator
from tests.support.paths import REPO

LOADER_DIRS = ("_modules", "_states", "_utils", "_pillar", "_runners")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The formula pip-installed (no deps) into a directory of its own."""
    tmp_path = tmp_path_factory.mktemp("extension")
    source = tmp_path / "source"  # a copy, so the build leaves the working tree clean
    for name in LOADER_DIRS:
        shutil.copytree(REPO / name, source / name)
    for name in ("setup.cfg", "setup.py", "pyproject.toml", "FORMULA", "README.rst", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
    subprocess.run([*pip, str(source)], check=True, cwd=tmp_path)
    return target


def salt_call(root, *args, site=None, file_roots=None, pillar=None):
    """``salt-call --local`` with its own config under ``root``; the extension importable
    when ``site`` is given; JSON output decoded."""
    (root / "pillar").mkdir(parents=True, exist_ok=True)
    (root / "pillar" / "top.sls").write_text("base:\n  '*':\n    - p\n")
    (root / "pillar" / "p.sls").write_text(json.dumps(pillar or {}))
    files = file_roots or root / "empty"
    files.mkdir(exist_ok=True)
    (root / "minion").write_text(
        textwrap.dedent(f"""\
        id: extension-check
        file_client: local
        root_dir: {root}
        file_roots: {{base: [{files}]}}
        pillar_roots: {{base: [{root / "pillar"}]}}
        """)
    )
    env = {"PATH": "/usr/bin:/bin", **({"PYTHONPATH": str(site)} if site else {})}
    argv = [sys.executable, "-c", "import salt.scripts; salt.scripts.salt_call()", "--local"]
    proc = subprocess.run(
        [*argv, "-c", str(root), "--out", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)["local"]


def test_pip_install_exposes_modules_through_the_entry_point(site, tmp_path):
    formula_version = re.search(r"^version: (\S+)$", (REPO / "FORMULA").read_text(), re.M)[1]
    assert [p.name for p in site.glob("*.dist-info")] == [
        f"datera_formula-{formula_version}.dist-info"
    ]  # the package's version is FORMULA's
    assert "datera_pillar.validate" in salt_call(
        tmp_path, "sys.list_functions", "datera_pillar", site=site
    )
    assert "datera_conf.managed" in salt_call(
        tmp_path, "sys.list_state_functions", "datera_conf", site=site
    )
    status = salt_call(tmp_path, "datera_install.status", site=site)
    assert status["extension"] == formula_version and status["shadowed"] == []


def test_every_utils_module_is_installed_top_level(site):
    """The modules import the ``_utils`` by name: ``setup.cfg`` lists each as a top-level
    module (``py_modules``), so a new one must be added there."""
    utils = sorted(path.name for path in (REPO / "_utils").glob("*.py"))
    assert utils and sorted(path.name for path in site.glob("*.py")) == utils


def test_the_api_client_loads_from_the_installed_extension(site, tmp_path):
    """Salt's utils loader reads no extension's entry point: where the formula is only
    installed (nothing synced), ``datera`` finds its client (``_utils/datera_api.py``) and
    the masking in the installed package and talks to a cluster with them."""
    password = "Extension-S3cret"
    with DateraSimulator(users={"admin": password}) as sim:
        settings = [f"san_ip={sim.host}", "san_login=admin", f"san_password={password}"]
        settings += [f"port={sim.https_port}", f"ca_bundle={sim.ca_pem_path}"]
        result = salt_call(tmp_path, "datera.login_check", *settings, site=site)
    assert result["logged_in"] is True and result["api_version"] == "v2.2"
    assert result["tls"] == f"verified with CA bundle {sim.ca_pem_path}"


def state_tree(root, modules_from=REPO / "_modules"):
    """A fileserver root as gitfs/file_roots serve the repository: datera/ and the loader
    dirs (``_modules`` from ``modules_from``)."""
    root.mkdir()
    (root / "datera").symlink_to(REPO / "datera")
    for name in ("_states", "_utils"):
        (root / name).symlink_to(REPO / name)
    shutil.copytree(modules_from, root / "_modules")
    return root


def refresh_states(tmp_path, **kwargs):
    """What the orchestration's refresh step would run on a controller (rendered, not run:
    its pillar refresh and module reload wait for a running minion)."""
    pillar = {"datera": {"role": "controller", "backends": {}}}
    return salt_call(tmp_path, "state.show_sls", "datera.refresh", pillar=pillar, **kwargs)


def test_the_refresh_step_syncs_only_where_the_extension_is_not_installed(site, tmp_path):
    files = state_tree(tmp_path / "files")
    assert "datera-sync-modules" in refresh_states(tmp_path, file_roots=files)  # no extension
    salt_call(tmp_path, "saltutil.sync_modules", "refresh=False", file_roots=files)
    assert list(tmp_path.rglob("extmods/modules/datera.py"))  # the minion's synced copy

    installed = refresh_states(tmp_path, file_roots=files, site=site)
    assert not [sid for sid in installed if sid.startswith("datera-sync-")]
    assert "datera-refresh-synced-copy-shadows-extension" not in installed  # same content

    # the fileserver's copy changes (another version on gitfs) and is synced by hand: the
    # synced copy now shadows the extension, and the refresh step says so
    (files / "_modules" / "datera.py").write_text(
        (REPO / "_modules" / "datera.py").read_text() + "# another version\n"
    )
    salt_call(tmp_path, "saltutil.sync_modules", "refresh=False", file_roots=files)
    status = salt_call(tmp_path, "datera_install.status", site=site, file_roots=files)
    assert status["shadowed"] == ["modules/datera.py"]
    warned = refresh_states(tmp_path, file_roots=files, site=site)
    warning = warned["datera-refresh-synced-copy-shadows-extension"]["test"]
    assert any("modules/datera.py" in str(arg) for arg in warning)
    assert not [sid for sid in warned if sid.startswith("datera-sync-")]


def served_files(files):
    """What the orchestration tells the nodes the master serves: every file under the
    loader dirs (``cp.list_master``) with its sha256 (``cp.hash_file``, the default hash)."""
    return {
        str(path.relative_to(files)): hashlib.sha256(path.read_bytes()).hexdigest()
        for kind in ("_modules", "_states", "_utils")
        for path in (files / kind).rglob("*")
        if path.is_file()
    }


def test_the_refresh_step_syncs_only_when_a_sync_would_change_something(tmp_path):
    files = state_tree(tmp_path / "files")
    for kind in ("modules", "states", "utils"):
        salt_call(tmp_path, f"saltutil.sync_{kind}", "refresh=False", file_roots=files)

    def refresh_ids():
        served = {"formula_files": served_files(files), "hash_type": "sha256"}
        pillar = {"datera": {"role": "controller", "backends": {}}}
        pillar["datera_orchestration"] = served
        ret = salt_call(
            tmp_path, "state.show_sls", "datera.refresh", pillar=pillar, file_roots=files
        )
        return {sid for sid in ret if sid.startswith("datera-sync-")}

    assert refresh_ids() == {"datera-sync-up-to-date"}  # the synced copies are the master's

    extmods = next(tmp_path.rglob("extmods"))
    (files / "_modules" / "datera.py").write_text(
        (REPO / "_modules" / "datera.py").read_text() + "# another version\n"
    )
    assert "datera-sync-modules" in refresh_ids()  # the master's copy changed
    salt_call(tmp_path, "saltutil.sync_modules", "refresh=False", file_roots=files)
    assert refresh_ids() == {"datera-sync-up-to-date"}

    (extmods / "states" / "leftover.py").write_text("# a module the master no longer has\n")
    assert "datera-sync-modules" in refresh_ids()  # a sync would remove it
    (extmods / "states" / "leftover.py").unlink()
    (extmods / "utils" / "datera_table.py").unlink()
    assert "datera-sync-modules" in refresh_ids()  # a sync would bring it back


def test_modules_by_pip_and_states_by_file_roots_deploy_a_controller(site, tmp_path):
    """The install story end to end: the extension installed (nothing synced), the state
    tree served from ``datera/`` alone; ``state.apply datera`` configures a controller."""
    password = "Extension-Deploy-S3cret"
    files = tmp_path / "files"
    files.mkdir()
    (files / "datera").symlink_to(REPO / "datera")
    conf = tmp_path / "cinder.conf"
    conf.write_text("[DEFAULT]\nenabled_backends = lvm\n\n[lvm]\nvolume_group = cinder\n")
    with DateraSimulator(users={"admin": password}) as sim:
        backend = {"san_ip": sim.host, "san_login": "admin", "san_password": password}
        backend["api"] = {"port": sim.https_port, "ca_bundle": sim.ca_pem_path}
        pillar = {
            "datera": {
                "role": "controller",
                "cinder": {"conf_file": str(conf), "check_driver": False},
                "iscsi": {"initiator_file": str(tmp_path / "initiatorname.iscsi")},
                "lookup": {"manage_packages": False, "manage_services": False},
                "pacemaker": {"manage": False},
                "backends": {"datera": backend},
            }
        }
        args = ("state.apply", "datera")
        states = salt_call(tmp_path, *args, site=site, file_roots=files, pillar=pillar)
    assert all(s["result"] is True for s in states.values()), states
    assert (
        "[datera]\n" in conf.read_text() and "enabled_backends = lvm,datera\n" in conf.read_text()
    )
    assert password not in json.dumps(states)


def test_a_synced_utils_copy_that_differs_is_reported(site, tmp_path):
    """The extension's ``_utils`` are top-level modules beside its package: a synced copy
    left behind that differs from one is named like a module's."""
    files = tmp_path / "files"
    files.mkdir()
    shutil.copytree(REPO / "_utils", files / "_utils")
    salt_call(tmp_path, "saltutil.sync_utils", "refresh=False", file_roots=files)
    assert salt_call(tmp_path, "datera_install.status", site=site)["shadowed"] == []
    (files / "_utils" / "datera_secrets.py").write_text(
        (REPO / "_utils" / "datera_secrets.py").read_text() + "# another version\n"
    )
    salt_call(tmp_path, "saltutil.sync_utils", "refresh=False", file_roots=files)
    status = salt_call(tmp_path, "datera_install.status", site=site)
    assert status["shadowed"] == ["utils/datera_secrets.py"]
