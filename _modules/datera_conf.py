"""
Manage the Datera backends in ``cinder.conf``.

Renders each backend's options for the configured OpenStack release, plans the edit with
the byte-preserving INI editor (``_utils/datera_ini.py``), shows it as a unified diff with
secrets masked, and writes it atomically (temp file + rename in the same directory, mode
0640, group ``cinder``, a backup of the previous file kept), under a lock so two runs on
one controller cannot lose an update.

:depends: nothing beyond Salt
"""

import fcntl
import grp
import logging
import os
import socket
import tempfile
from contextlib import contextmanager

from salt.exceptions import CommandExecutionError

import datera_diff
import datera_ini
import datera_legacy
import datera_secrets

log = logging.getLogger(__name__)

__virtualname__ = "datera_conf"


def __virtual__():
    return __virtualname__


# --- rendering: pillar settings -> the options a backend section must hold ---------------


def _value(value):
    """Text for cinder.conf: booleans lowercase, ``$`` escaped (oslo.config substitutes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace("$", "$$")


def _backend_options(backend, driver, shared_host=None):
    """The ordered ``{option: text}`` a present backend's section must hold, for the
    release whose ``driver`` (``datera_pillar``'s settings: ``driver``) is given."""
    options = {
        "volume_driver": driver["driver"],
        "volume_backend_name": backend["volume_backend_name"],
        "san_ip": backend["san_ip"],
        "san_login": backend["san_login"],
        "san_password": backend["san_password"],
    }
    if driver["replicas"] == "datera_volume_type_defaults":
        options["datera_volume_type_defaults"] = f"replica_count:{backend['replica_count']}"
    elif driver["replicas"]:
        options[driver["replicas"]] = backend["replica_count"]
    options.update(driver["fixed"])
    options.update(backend["options"])
    if shared_host:
        options["backend_host"] = shared_host
    return {key: _value(value) for key, value in options.items()}


def _desired(settings):
    """
    What cinder.conf must look like: ``{"sections": {name: options}, "absent": [names],
    "default": {key: value}, "enabled_add": [...], "enabled_remove": [...]}``.
    """
    cinder = settings["cinder"]
    per_backend_host = (
        cinder["shared_host"] if cinder["shared_host_option"] == "backend_host" else None
    )
    if settings["driver"]["unverified"]:
        log.warning(
            "datera_conf: the options written for release %s are unverified: %s",
            settings["release"],
            settings["driver"]["unverified"],
        )
    plan = {"sections": {}, "absent": [], "default": {}}
    for name, backend in settings["backends"].items():
        if backend["ensure"] == "absent":
            plan["absent"].append(name)
        else:
            plan["sections"][name] = _backend_options(backend, settings["driver"], per_backend_host)
    if cinder["shared_host_option"] == "host" and plan["sections"]:
        plan["default"]["host"] = cinder["shared_host"]
    return plan


# --- planning ----------------------------------------------------------------------------


def _mask_value(key, value):
    return datera_secrets.mask_value(key, value)


def _same(current, wanted):
    if current is None:
        return False
    if wanted in ("true", "false"):
        return current.lower() == wanted
    return current == wanted


def _edit(doc, section, key, wanted, changes):
    current = doc.get(section, key)
    if wanted is None:
        if current is not None:
            doc.remove(section, key)
            changes.setdefault(section, {})[key] = {"old": _mask_value(key, current), "new": None}
    elif not _same(current, wanted):
        doc.set(section, key, wanted)
        changes.setdefault(section, {})[key] = {
            "old": _mask_value(key, current),
            "new": _mask_value(key, wanted),
        }


def _parse(text, path):
    try:
        return datera_ini.parse(text)
    except ValueError as err:  # datera_ini.ParseError: where oslo.config refuses the file
        raise CommandExecutionError(
            f"{path}: cinder (oslo.config) cannot read this file, so the formula does not "
            f"edit it: {err}"
        ) from None


def _enabled_backends(doc, plan, changes, path):
    """Keep every backend ``[DEFAULT] enabled_backends`` names, add the present Datera ones
    and drop the absent ones. Adding to a value that spans lines adds a continuation line
    and keeps the others as they are."""
    current = doc.get("DEFAULT", "enabled_backends")
    if current is not None and "$" in current:
        raise CommandExecutionError(
            f"{path}: [DEFAULT] enabled_backends = {current!r} uses oslo.config's "
            "$-substitution, so the formula cannot tell which backends it names; write "
            "them out and run again"
        )
    enabled = datera_ini.split_list(current)
    kept = [b for b in enabled if b not in plan["absent"]]
    added = [b for b in plan["sections"] if b not in kept]
    if kept == enabled and not added:
        return
    if kept == enabled and doc.lines_of("DEFAULT", "enabled_backends") > 1:
        comma = "" if current.rstrip().endswith(",") else ","
        doc.extend("DEFAULT", "enabled_backends", comma + ",".join(added))
        new = doc.get("DEFAULT", "enabled_backends")
        changes.setdefault("DEFAULT", {})["enabled_backends"] = {"old": current, "new": new}
        return
    _edit(doc, "DEFAULT", "enabled_backends", ",".join(kept + added) or None, changes)


def _edit_text(text, plan, path="cinder.conf"):
    """Apply a :func:`_desired` plan to INI text; return ``(new_text, changes)``.

    Reads the text as cinder's oslo.config does (``_utils/datera_ini.py``); a text it
    refuses is refused here too, naming ``path`` and the line."""
    doc = _parse(text, path)
    changes = {}
    for name in plan["absent"]:
        if doc.named(name):
            doc.remove_section(name)
            changes[name] = "section removed"
    for name, options in plan["sections"].items():
        for key in sorted(doc.keys(name) - set(options)):
            _edit(doc, name, key, None, changes)
        for key, wanted in options.items():
            _edit(doc, name, key, wanted, changes)
    _enabled_backends(doc, plan, changes, path)
    for key, value in plan["default"].items():
        _edit(doc, "DEFAULT", key, value, changes)
    return doc.text(), changes


def _masked_diff(old_text, new_text, path):
    split = datera_ini.split_lines
    lines = datera_diff.unified(split(old_text), split(new_text), path, 2)
    return datera_secrets.mask_diff(lines)


# --- file I/O ----------------------------------------------------------------------------


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return ""
    except OSError as err:
        raise CommandExecutionError(f"cannot read {path}: {err.strerror}") from None


@contextmanager
def _locked(path):
    directory, base = os.path.split(path)
    if not os.path.isdir(directory):
        raise CommandExecutionError(f"{directory} does not exist: is cinder installed?")
    lock_path = os.path.join(directory, f".{base}.datera-lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as err:
        raise CommandExecutionError(f"cannot lock {path}: {err.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _ownership(group):
    try:
        gid = grp.getgrnam(group).gr_gid if group else -1
    except KeyError:
        gid = -1
    uid = 0 if os.geteuid() == 0 else -1
    return uid, gid


def _atomic_write(path, text, mode, group):
    """Write ``text`` to ``path`` through a private temp file renamed into place."""
    directory = os.path.dirname(path)
    uid, gid = _ownership(group)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
        with os.fdopen(fd, "wb") as handle:
            os.fchown(handle.fileno(), uid, gid)
            os.fchmod(handle.fileno(), mode)
            handle.write(text.encode("utf-8", "surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise CommandExecutionError(
            f"cannot write {path}: {err.strerror}; the previous file is unchanged"
        ) from None
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _remove_stale_temp_files(path):
    """Temp files a killed run left behind (called under the lock: no writer is active)."""
    directory = os.path.dirname(path)
    copies = (_backup_path(path), _legacy_copy_path(path))
    for base in (os.path.basename(path), *map(os.path.basename, copies)):
        for name in os.listdir(directory):
            if name.startswith(f".{base}.") and len(name) == len(base) + 10:
                os.unlink(os.path.join(directory, name))


def _rewrite(path, cinder, edit):
    """Under the lock: read ``path``, ``edit(old)`` → ``(new, changes, copies)``; when
    something changed, write the old text to each path in ``copies``, then ``new`` to
    ``path``, each atomically. Returns ``(old, new, changes, copies)``."""
    mode = int(str(cinder["mode"]), 8)
    with _locked(path):
        _remove_stale_temp_files(path)
        old = _read(path)
        new, changes, copies = edit(old)
        if changes:
            for copy in copies:
                _atomic_write(copy, old, mode, cinder["group"])
            _atomic_write(path, new, mode, cinder["group"])
    return old, new, changes, copies


def _backup_path(conf_file):
    return f"{conf_file}.datera-backup"


# --- public functions --------------------------------------------------------------------


def _settings_and_path(conf_file):
    settings = __salt__["datera_pillar.settings"](reveal=True)
    return settings, conf_file or settings["cinder"]["conf_file"]


def _cinder(conf_file):
    """``datera:cinder`` (no secret in it, none revealed) with ``conf_file`` set to the file
    to work on."""
    cinder = dict(__salt__["datera_pillar.settings"]()["cinder"])
    if conf_file:
        cinder["conf_file"] = conf_file
    return cinder


def render(backend=None):
    """
    Show the options the formula writes for each backend, secrets masked.

    backend
        Only this backend (section name).

    CLI Example:

    .. code-block:: bash

        salt '*' datera_conf.render
    """
    settings, _ = _settings_and_path(None)
    sections = _desired(settings)["sections"]
    if backend is not None:
        sections = {backend: sections.get(backend, {})}
    return {
        name: {key: _mask_value(key, value) for key, value in options.items()}
        for name, options in sections.items()
    }


def check(conf_file=None):
    """
    Compare cinder.conf with pillar without changing anything.

    conf_file
        The cinder.conf to check (default: ``datera:cinder:conf_file``).

    Returns ``{"in_sync": bool, "changes": {section: {key: {old, new}}}, "diff": str}``,
    secrets masked.

    CLI Example:

    .. code-block:: bash

        salt '*' datera_conf.check
    """
    settings, path = _settings_and_path(conf_file)
    old = _read(path)
    new, changes = _edit_text(old, _desired(settings), path)
    return {"in_sync": not changes, "changes": changes, "diff": _masked_diff(old, new, path)}


def apply(conf_file=None):
    """
    Make cinder.conf hold the Datera backends from pillar; write only if something differs.

    Returns ``{"changes": ..., "diff": ..., "backup": path or None}``, secrets masked.

    conf_file
        The cinder.conf to manage (default: ``datera:cinder:conf_file``).

    CLI Example:

    .. code-block:: bash

        salt '*' datera_conf.apply
    """
    settings, path = _settings_and_path(conf_file)
    cinder = settings["cinder"]
    backup = _backup_path(path)

    def edit(old):
        new, changes = _edit_text(old, _desired(settings), path)
        return new, changes, [backup] if cinder["backup"] and old else []

    old, new, changes, copies = _rewrite(path, cinder, edit)
    if not changes:
        return {"changes": {}, "diff": "", "backup": None}
    log.info("datera_conf: updated %s (%s)", path, ", ".join(sorted(changes)))
    return {
        "changes": changes,
        "diff": _masked_diff(old, new, path),
        "backup": copies[0] if copies else None,
    }


# --- what the old Fuel plugin left (taking a cloud over) -------------------------------------


def _legacy_copy_path(conf_file):
    return f"{conf_file}.datera-legacy"


def _legacy_edit(text, path):
    """``(new_text, backends found, changes)``: ``text`` without the old plugin's backends."""
    doc = _parse(text, path)
    found = datera_legacy.find(doc, socket.gethostname())
    changes = datera_legacy.remove(doc, found) if found else {}
    return doc, found, changes


def legacy(conf_file=None):
    """
    Show what the old Fuel plugin (fuel-plugin-datera-cinder) left in this node's
    cinder.conf: the Datera backends its own cinder-volume serves (``serving``: section,
    Cinder host, ``volume_backend_name``, ``san_ip``), the ones already taken out
    (``retired``, read from the copy of the file as the plugin left it), the backends
    left after taking them out (``left``), and that edit (``changes``, ``diff``; secrets
    masked). Changes nothing.

    conf_file
        The cinder.conf to read (default: ``datera:cinder:conf_file``).

    CLI Example:

    .. code-block:: bash

        salt 'node-5*' datera_conf.legacy
    """
    path = _cinder(conf_file)["conf_file"]
    old = _read(path)
    doc, serving, changes = _legacy_edit(old, path)
    copy_path = _legacy_copy_path(path)
    retired = []
    if os.path.exists(copy_path):
        _, before, _ = _legacy_edit(_read(copy_path), copy_path)
        hosts = {backend["host"] for backend in serving}
        retired = [backend for backend in before if backend["host"] not in hosts]
    return {
        "serving": serving,
        "retired": retired,
        "left": datera_legacy.other_backends(doc),
        "changes": changes,
        "diff": _masked_diff(old, doc.text(), path),
        "copy": copy_path if os.path.exists(copy_path) else None,
    }


def retire_legacy(conf_file=None):
    """
    Take the old Fuel plugin's Datera backends out of this node's cinder.conf (their
    sections and ``enabled_backends`` entries, or the driver's options in ``[DEFAULT]``;
    every other backend and line kept). Before the first edit the file is copied, as the
    plugin left it, to ``<conf_file>.datera-legacy`` (never overwritten: the way back).

    Returns ``{"changes", "diff", "copy"}``, secrets masked; no changes when there is
    nothing left to take out.

    conf_file
        The cinder.conf to edit (default: ``datera:cinder:conf_file``).

    CLI Example:

    .. code-block:: bash

        salt 'node-5*' datera_conf.retire_legacy
    """
    cinder = _cinder(conf_file)
    path = cinder["conf_file"]
    copy_path = _legacy_copy_path(path)

    def edit(old):
        doc, _, changes = _legacy_edit(old, path)
        return doc.text(), changes, [] if os.path.exists(copy_path) else [copy_path]

    old, new, changes, _ = _rewrite(path, cinder, edit)
    if not changes:
        return {"changes": {}, "diff": "", "copy": None}
    log.info("datera_conf: took the old plugin's Datera backend out of %s", path)
    return {"changes": changes, "diff": _masked_diff(old, new, path), "copy": copy_path}
