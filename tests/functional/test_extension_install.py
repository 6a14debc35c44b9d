"""`pip install .` makes the formula's modules loadable by Salt as an extension."""

import re
import shutil
import subprocess
import sys
import textwrap

from tests.support.paths import REPO


def test_pip_install_exposes_modules_through_the_entry_point(tmp_path):
    source = tmp_path / "source"  # a copy, so the build leaves the working tree clean
    for name in ("_modules", "_states", "_utils", "_pillar", "_runners"):
        shutil.copytree(REPO / name, source / name)
    for name in ("setup.cfg", "setup.py", "pyproject.toml", "FORMULA", "README.rst", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        cwd=tmp_path,
    )
    formula_version = re.search(r"^version: (\S+)$", (REPO / "FORMULA").read_text(), re.M)[1]
    assert [p.name for p in target.glob("*.dist-info")] == [
        f"datera_formula-{formula_version}.dist-info"
    ]  # the package's version is FORMULA's
    config = tmp_path / "conf"
    config.mkdir()
    (config / "minion").write_text(
        textwrap.dedent(f"""\
        id: extension-check
        file_client: local
        root_dir: {tmp_path}
        file_roots: {{base: [{tmp_path / "empty"}]}}
        pillar_roots: {{base: [{tmp_path / "empty"}]}}
        """)
    )
    (tmp_path / "empty").mkdir()
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    salt_call = [
        sys.executable,
        "-c",
        "import salt.scripts; salt.scripts.salt_call()",
        "--local",
        "-c",
        str(config),
        "--out",
        "json",
    ]
    modules = subprocess.run(
        salt_call + ["sys.list_functions", "datera_pillar"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"datera_pillar.validate"' in modules.stdout
    states = subprocess.run(
        salt_call + ["sys.list_state_functions", "datera_conf"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"datera_conf.managed"' in states.stdout
