"""Import the formula's Salt modules by path, for unit tests (no installed package needed)."""

import importlib.util
import sys

from tests.support.paths import REPO


def load(kind, name):
    """Import ``<repo>/_<kind>/<name>.py`` as module ``datera_formula_<kind>_<name>``."""
    module_name = f"datera_formula_{kind}_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, REPO / f"_{kind}" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
