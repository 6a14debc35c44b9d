"""
Where this minion's copy of the formula's modules comes from.

The modules reach a minion one of two ways: ``pip install`` of the formula (a Salt extension,
found through its ``salt.loader`` entry point) or ``saltutil.sync_*`` from the master's
fileserver (copied into the minion's ``extension_modules`` directory). Salt's loader looks in
``extension_modules`` first, so a synced copy shadows the installed extension: where the
extension is installed, the orchestration does not sync, and warns when an older sync left
copies behind that differ from it. (The extension's ``_utils`` are top-level modules, which
the modules import by name: a synced copy of one is left behind, and differs, all the same.)
"""

import filecmp
import importlib.metadata
import importlib.util
import os

import salt.utils.hashutils

KINDS = ("modules", "states", "utils")
# what saltutil.sync_* copies from the master's _<kind>/ (salt.utils.extmods.sync)
SYNCED_SUFFIXES = (".py", ".pyx", ".so", ".zip")
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


def _installed_files():
    """The extension's module files by kind, as a sync names them (``"modules/datera.py"``:
    its path); its ``_utils`` are top-level modules (``datera_api.py``), beside the package."""
    found = {}
    for file in importlib.metadata.files(DISTRIBUTION) or ():
        *where, name = file.parts
        kind = where[1] if len(where) == 2 and where[0] == PACKAGE else None
        kind = kind or ("utils" if not where else None)
        if kind in KINDS and name.endswith(".py") and name != "__init__.py":
            found[f"{kind}/{name}"] = str(file.locate())
    return found


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
        for name, installed in sorted(_installed_files().items()):
            synced = os.path.join(__opts__["extension_modules"], name)
            if os.path.isfile(synced) and not filecmp.cmp(synced, installed, shallow=False):
                shadowed.append(name)
    return {"extension": version, "extension_dir": package_dir, "shadowed": shadowed}


def _synced_files():
    """The modules in this minion's ``extension_modules/<kind>`` (``"modules/datera.py"``;
    not the loader's compiled caches)."""
    root = __opts__["extension_modules"]
    found = set()
    for kind in KINDS:
        for where, _, names in os.walk(os.path.join(root, kind)):
            found.update(
                os.path.relpath(os.path.join(where, name), root)
                for name in names
                if name.endswith(SYNCED_SUFFIXES)
            )
    return found


def synced(files, hash_type="sha256"):
    """
    Whether ``saltutil.sync_modules``, ``sync_states`` and ``sync_utils`` would change
    nothing on this minion: its ``extension_modules`` holds exactly the master's files of
    those kinds, with the same content, and no other file (a sync would remove it). The
    orchestration asks this before syncing, since a sync asks the master about every file.

    files
        The master's files and their hashes, as ``cp.list_master`` and ``cp.hash_file``
        name them: ``{"_modules/datera.py": "<hash>", ...}``.

    hash_type
        The hash the master made them with (its ``hash_type``).

    CLI Example:

    .. code-block:: bash

        salt '*' datera_install.synced '{"_modules/datera.py": "9f86d0..."}'
    """
    wanted = {
        path[1:]: digest
        for path, digest in files.items()
        if path.split("/", 1)[0][1:] in KINDS and path.endswith(SYNCED_SUFFIXES)
    }
    if _synced_files() != set(wanted):
        return False
    root = __opts__["extension_modules"]
    return all(
        salt.utils.hashutils.get_hash(os.path.join(root, path), hash_type) == digest
        for path, digest in wanted.items()
    )
