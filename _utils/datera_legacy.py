"""
What the old Fuel plugin (fuel-plugin-datera-cinder) left in a node's cinder.conf, and
how it is taken out.

The plugin configured cinder's Datera driver on each node with Fuel's ``cinder`` role, for
that node's own cinder-volume (a plain distribution service, host = the node's name):

- multibackend mode: ``[DEFAULT] enabled_backends = datera,`` and a ``[datera]`` section
  holding ``volume_driver``, ``san_ip``, ``san_login``, ``san_password``, ... -- Cinder's
  host for its volumes is ``<node>@datera``;
- single-backend mode: the same options in ``[DEFAULT]`` (no ``enabled_backends``) --
  the host is ``<node>``.

A backend is the old plugin's when its ``volume_driver`` is one of cinder's Datera
drivers; where the file names several backends, only the Datera ones go, and
``enabled_backends`` keeps the others. Works on ``datera_ini`` documents.

Pure Python with no Salt dunders: loaded by Salt as a utils module, imported directly by
the unit tests.
"""

DRIVER_PACKAGE = "cinder.volume.drivers.datera"
# what the plugin wrote into [DEFAULT] in single-backend mode, besides the san_*/datera_* ones
_DEFAULT_KEYS = ("volume_driver", "volume_backend_name")
_DEFAULT_PREFIXES = ("san_", "datera_")


def _split_list(value):
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _is_datera(driver):
    return bool(driver) and driver.strip().startswith(DRIVER_PACKAGE)


def find(doc, hostname):
    """
    The Datera backends this cinder.conf serves outside the formula: a list of
    ``{"section", "host", "volume_backend_name", "san_ip"}``, ``host`` being Cinder's host
    for the backend's volumes (``node-5@datera``, or ``node-5`` in single-backend mode),
    the pool part left out. ``hostname`` is the node's name (cinder's default ``host``).
    """
    default_host = doc.get("DEFAULT", "host") or hostname
    enabled = _split_list(doc.get("DEFAULT", "enabled_backends"))
    found = []
    if enabled:
        for name in enabled:
            if _is_datera(doc.get(name, "volume_driver")):
                host = doc.get(name, "backend_host") or default_host
                found.append(_backend(doc, name, f"{host}@{name}"))
    elif _is_datera(doc.get("DEFAULT", "volume_driver")):
        found.append(_backend(doc, "DEFAULT", default_host))
    return found


def _backend(doc, section, host):
    return {
        "section": section,
        "host": host,
        "volume_backend_name": doc.get(section, "volume_backend_name"),
        "san_ip": doc.get(section, "san_ip"),
    }


def remove(doc, found):
    """Take the backends :func:`find` returned out of ``doc``: their sections and their
    ``enabled_backends`` entries (the others kept, in order), or in single-backend mode
    the driver's options in ``[DEFAULT]``. Returns what changed, for the state's output."""
    changes = {}
    sections = [backend["section"] for backend in found if backend["section"] != "DEFAULT"]
    if sections:
        current = doc.get("DEFAULT", "enabled_backends")
        kept = [name for name in _split_list(current) if name not in sections]
        if kept:
            doc.set("DEFAULT", "enabled_backends", ",".join(kept))
        else:
            doc.remove("DEFAULT", "enabled_backends")
        changes["DEFAULT"] = {"enabled_backends": {"old": current, "new": ",".join(kept) or None}}
        for name in sections:
            doc.remove_section(name)
            changes[name] = "section removed"
    if any(backend["section"] == "DEFAULT" for backend in found):
        removed = sorted(
            key
            for key in doc.keys("DEFAULT")
            if key in _DEFAULT_KEYS or key.startswith(_DEFAULT_PREFIXES)
        )
        for key in removed:
            doc.remove("DEFAULT", key)
        changes.setdefault("DEFAULT", {})["removed"] = removed
    return changes


def other_backends(doc):
    """The backends cinder-volume still serves from this file: ``enabled_backends``, or
    the one in ``[DEFAULT]`` when a ``volume_driver`` is set there."""
    enabled = _split_list(doc.get("DEFAULT", "enabled_backends"))
    if enabled:
        return enabled
    return ["DEFAULT"] if doc.get("DEFAULT", "volume_driver") else []
