"""Import the formula's Salt modules by path, for unit tests (no installed package needed)."""

import importlib
import importlib.util
import sys

from tests.support.paths import REPO


def load(kind, name):
    """Import ``<repo>/_<kind>/<name>.py`` as module ``datera_formula_<kind>_<name>``; a
    utils module under its own name (``datera_api``), as the formula's modules import it
    (``tests.support.paths`` puts ``_utils`` on ``sys.path``)."""
    if kind == "utils":
        return importlib.import_module(name)
    module_name = f"datera_formula_{kind}_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, REPO / f"_{kind}" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


_SALT_FUNCTIONS = {}


def salt_functions(tmp_dir):
    """Salt's own execution functions (``cmd.run_all`` ...), from a real minion loader with
    its cache under ``tmp_dir``: for unit-testing a formula module over the real thing."""
    if not _SALT_FUNCTIONS:
        import salt.config
        import salt.loader

        opts = salt.config.minion_config(None)
        dirs = {key: str(tmp_dir / key) for key in ("cachedir", "pki_dir", "extension_modules")}
        opts.update(dirs, file_client="local", log_file=str(tmp_dir / "minion.log"))
        opts["grains"] = salt.loader.grains(opts)
        _SALT_FUNCTIONS.update(salt.loader.minion_mods(opts))
    return _SALT_FUNCTIONS


def masterless_overrides(pillar_root):
    """Config overrides for a masterless salt-minion that loads the formula's modules from
    the repository and its pillar from ``pillar_root``."""
    return {
        "file_client": "local",
        "pillar_roots": {"base": [str(pillar_root)]},
        "module_dirs": [str(REPO / "_modules")],
        "states_dirs": [str(REPO / "_states")],
        "utils_dirs": [str(REPO / "_utils")],
    }
