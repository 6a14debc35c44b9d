"""
Where this minion's copy of the formula's modules comes from.

The modules reach a minion one of two ways: ``pip install`` of the formula (a Salt extension,
found through its ``salt.loader`` entry point) or ``saltutil.sync_*`` from the master's
fileserver (copied into the minion's ``extension_modules`` directory). Salt's loader looks in
``extension_modules`` first, so a synced copy shadows the installed extension: where the
extension is installed, the orchestration does not sync, and warns when an older sync left
copies behind that differ from it.
"""

import filecmp
import importlib.metadata
import importlib.util
import os

KINDS = ("modules", "states", "utils")
DISTRIBUTION = "datera-formula"
PACKAGE = "datera_formula"


def __virtual__():
    return True


def _extension():
    """``(version, package directory)`` of the installed extension, or ``(None, None)``."""
    try:
        version = importlib.metadata.version(DISTRIBUTION)
        spec = importlib.util.find_spec(PACKAGE)
    except (importlib.metadata.PackageNotFoundError, ImportError):
        return None, None
    if spec is None or not spec.submodule_search_locations:
        return None, None
    return version, list(spec.submodule_search_locations)[0]


def _python_files(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(n for n in os.listdir(directory) if n.endswith(".py") and n != "__init__.py")


def status():
    """
    Whether the formula is installed as a Salt extension on this minion, and which of its
    files a ``saltutil.sync_*`` copy in ``extension_modules`` shadows with other content.

    Returns ``{"extension": version or None, "extension_dir": path or None,
    "shadowed": ["modules/datera.py", ...]}``.

    CLI Example:

    .. code-block:: bash

        salt '*' datera_install.status
    """
    version, package_dir = _extension()
    shadowed = []
    if package_dir:
        for kind in KINDS:
            synced_dir = os.path.join(__opts__["extension_modules"], kind)
            for name in _python_files(os.path.join(package_dir, kind)):
                synced = os.path.join(synced_dir, name)
                installed = os.path.join(package_dir, kind, name)
                if os.path.isfile(synced) and not filecmp.cmp(synced, installed, shallow=False):
                    shadowed.append(f"{kind}/{name}")
    return {"extension": version, "extension_dir": package_dir, "shadowed": shadowed}
