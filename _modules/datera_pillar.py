"""
The formula's pillar: the ``datera`` pillar tree validated, defaults filled, secrets masked.

Every other module asks ``datera_pillar.settings`` or ``datera_pillar.backend`` instead of
reading pillar itself, so a typo or a wrong type is reported once, naming the key, before
any file or CIB is touched. The keys, their types, ranges and defaults are one table, the
schema in ``_utils/datera_schema.py``.

:depends: nothing beyond Salt
"""

import copy
import json
import logging
import os

from salt.exceptions import CommandExecutionError

import datera_schema
import datera_secrets

log = logging.getLogger(__name__)

__virtualname__ = "datera_pillar"


def _normalise(raw):
    """
    Validate a raw ``datera`` pillar dict and return it normalised, defaults filled.

    Raises ``CommandExecutionError`` listing every problem, each naming its pillar key.
    """
    return datera_schema.normalise(raw)


def __virtual__():
    return __virtualname__


def _is_secret(key):
    return datera_secrets.is_secret(key)


def _resolve_secrets(settings_dict, path=("datera",)):
    """Secrets given as ``sdb://<profile>/<key>`` URIs (Vault, a keyring, a file ... through
    Salt's sdb) replaced by what the profile holds, on the minion, when a module needs them.
    A URI that gives nothing is an error naming the key (never the value)."""
    out = {}
    for key, value in settings_dict.items():
        where = (*path, key)
        if isinstance(value, dict):
            value = _resolve_secrets(value, where)
        elif _is_secret(key) and isinstance(value, str) and value.startswith("sdb://"):
            resolved = __salt__["sdb.get"](value)
            if not isinstance(resolved, str) or not resolved or resolved == value:
                raise CommandExecutionError(
                    f"{':'.join(where)}: {value} gives no value (is the sdb profile configured "
                    "on this minion, and the key set?)"
                )
            value = resolved
        out[key] = value
    return out


def settings(reveal=False):
    """
    Return the whole ``datera`` pillar, validated, with every default filled in.

    Fails, naming each bad key, when the pillar is invalid.

    reveal
        Secrets are shown as ``******`` unless this is ``True`` (for other modules); then a
        secret given as an ``sdb://`` URI is looked up.

    CLI Example:

    .. code-block:: bash

        salt '*' datera_pillar.settings
    """
    # __pillar__, not pillar.get: Salt 3008 masks pillar.get's values outside renderers.
    result = _normalised_once(__pillar__.get("datera", {}))
    return _resolve_secrets(result) if reveal else datera_secrets.mask_tree(result)


def _normalised_once(raw):
    """``_normalise(raw)``, worked out once per job for the same pillar: a state run renders
    map.jinja once per SLS file, each time asking for the settings (``__context__`` lives as
    long as the job's loader; a changed pillar is a new key)."""
    key = _pillar_key(raw)
    cache = __context__.setdefault("datera_pillar.normalised", {})
    if key not in cache:
        cache.clear()  # one pillar per job, or the latest after a refresh
        cache[key] = _normalise(raw)
    return copy.deepcopy(cache[key])


def _pillar_key(raw):
    return json.dumps(raw, sort_keys=True, default=repr)


def job_map(mapdata=None):
    """
    The map ``map.jinja`` built in this job, or ``None`` before it built one; given
    ``mapdata``, keep it for the rest of the job and return it.

    A state run renders map.jinja once per SLS file that imports it, and each render would
    fetch ``defaults.yaml`` and ``osfamilymap.yaml`` from the master again and merge them;
    the map is built once instead. It lives as long as the job's loader (``__context__``),
    for the same ``datera`` pillar (a changed pillar builds it afresh). Secrets in it are
    masked, as in ``settings``. Each caller gets its own copy.

    mapdata
        The map just built (a dict).

    CLI Example:

    .. code-block:: bash

        salt '*' datera_pillar.job_map
    """
    key = _pillar_key(__pillar__.get("datera", {}))
    if mapdata is not None:
        __context__["datera_pillar.map"] = (key, copy.deepcopy(mapdata))
        return mapdata
    kept_key, kept = __context__.get("datera_pillar.map", (None, None))
    return copy.deepcopy(kept) if kept_key == key else None


def validate():
    """
    Check the ``datera`` pillar and return ``True``, or fail listing every bad key.

    CLI Example:

    .. code-block:: bash

        salt '*' datera_pillar.validate
    """
    settings()
    return True


def backend(name=None, reveal=False):
    """
    Return one backend's settings (connection details included), validated.

    name
        The backend (cinder.conf section) name. May be omitted when exactly one backend
        is present.

    reveal
        Secrets are shown as ``******`` unless this is ``True`` (for other modules).

    CLI Example:

    .. code-block:: bash

        salt '*' datera_pillar.backend datera
    """
    backends = settings(reveal=reveal)["backends"]
    present = {k: v for k, v in backends.items() if v["ensure"] == "present"}
    if name is None:
        if len(present) != 1:
            raise CommandExecutionError(
                "datera:backends: name the backend to use, present ones: "
                + (", ".join(sorted(present)) or "none")
            )
        return next(iter(present.values()))
    if name not in present:
        raise CommandExecutionError(f"datera:backends:{name}: no such backend present in pillar")
    return present[name]


def ocf_paths(agent, ocf_dir):
    """
    Where an OCF agent's script goes, and the OCF root Pacemaker is given.

    agent
        ``ocf:<provider>:<type>``, ``systemd:<unit>`` or ``lsb:<script>``
        (``datera:pacemaker:agent``).

    ocf_dir
        The directory of the OCF resource agents (``datera:lookup:ocf_dir``, e.g.
        ``/usr/lib/ocf/resource.d``).

    Returns ``{"script": "<ocf_dir>/<provider>/<type>" or "" (not an OCF agent),
    "ocf_root": <ocf_dir> without its trailing "/resource.d">}``.

    CLI Example:

    .. code-block:: bash

        salt-call datera_pillar.ocf_paths ocf:datera:cinder-volume /usr/lib/ocf/resource.d
    """
    agent_class, provider, agent_type = datera_schema.split_agent(agent)
    ocf_dir = str(ocf_dir).rstrip("/")
    script = os.path.join(ocf_dir, provider, agent_type) if agent_class == "ocf" else ""
    root = ocf_dir[: -len("/resource.d")] if ocf_dir.endswith("/resource.d") else ocf_dir
    return {"script": script, "ocf_root": root}
