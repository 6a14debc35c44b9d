"""The pre-flight check of cinder's Datera driver, against the real cinder 29.0.0."""

import os
import stat

import pytest
from salt.exceptions import CommandExecutionError

from tests.fidelity.cinder_venv import PYTHON
from tests.support.loaders import load, salt_functions

pytestmark = pytest.mark.fidelity

datera_cinder = load("modules", "datera_cinder")


@pytest.fixture(autouse=True)
def real_cmd_run_all(tmp_path_factory, monkeypatch):
    """The module runs the interpreter through Salt's own ``cmd.run_all``."""
    functions = salt_functions(tmp_path_factory.mktemp("salt"))
    monkeypatch.setattr(datera_cinder, "__salt__", functions, raising=False)


def test_real_cinder_on_python_3_11_is_refused_with_the_fix():
    assert os.path.exists(PYTHON), f"{PYTHON} missing: run bash tests/setup.sh"
    with pytest.raises(CommandExecutionError) as err:
        datera_cinder.driver_check(PYTHON)
    message = str(err.value)
    assert "collections.Mapping" in message and "collections.abc.Mapping" in message
    assert PYTHON in message


def test_the_fixed_interpreter_passes(tmp_path):
    """The fix the message names (collections.abc), applied through a sitecustomize."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import collections, collections.abc\n"
        "collections.Mapping = collections.abc.Mapping\n"
        "collections.MutableMapping = collections.abc.MutableMapping\n"
    )
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={shim} exec {PYTHON} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    found = datera_cinder.driver_check(str(wrapper))
    assert found == {
        "python": str(wrapper),
        "importable": True,
        "driver": "cinder.volume.drivers.datera.datera_iscsi",
    }


def test_missing_interpreter_or_cinder_is_named(tmp_path):
    with pytest.raises(CommandExecutionError, match="cannot run /nonexistent/python"):
        datera_cinder.driver_check("/nonexistent/python")
    with pytest.raises(CommandExecutionError, match="cinder is not installed"):
        datera_cinder.driver_check("python3")
