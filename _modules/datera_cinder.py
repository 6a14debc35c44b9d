"""
The local cinder installation: the checks a controller runs before the formula configures
it, its cinder-volume processes, and ``cinder-manage`` (Cinder's own tool on the database:
service records, moving volumes between hosts) for taking over a cloud.

The Datera driver of cinder imports Datera's SDK (``dfs-sdk``); its newest release, 1.2.27,
subclasses ``collections.Mapping``, which Python 3.10 removed, so the driver cannot load on
a modern Python and cinder-volume dies at start. The pre-flight says so, with the fix,
before anything is changed.

:depends: nothing beyond Salt
"""

import logging
import os
import shlex

import psutil
from salt.exceptions import CommandExecutionError

log = logging.getLogger(__name__)

__virtualname__ = "datera_cinder"

DRIVER_MODULE = "cinder.volume.drivers.datera.datera_iscsi"
CINDER_VOLUME = "/usr/bin/cinder-volume"


def __virtual__():
    return __virtualname__


def interpreter(python=None):
    """
    The Python that runs cinder-volume: ``python`` if given, else the interpreter named in
    ``/usr/bin/cinder-volume``'s first line, else ``python3``.

    CLI Example:

    .. code-block:: bash

        salt 'ctl*' datera_cinder.interpreter
    """
    if python:
        return python
    try:
        with open(CINDER_VOLUME, encoding="utf-8") as handle:
            first = handle.readline().strip()
        if first.startswith("#!"):
            return first[2:].split()[0]
    except OSError:
        pass
    return "python3"


def _explain(python, stderr):
    last = (stderr.strip().splitlines() or ["no output"])[-1]
    if "collections' has no attribute 'Mapping'" in stderr:
        return (
            f"cinder's Datera driver cannot load with {python}: dfs-sdk (1.2.27 is the newest) "
            "uses collections.Mapping, removed in Python 3.10, so cinder-volume would die at "
            "start. Fix: in dfs_sdk/base.py of that interpreter replace `collections.Mapping` "
            "with `collections.abc.Mapping` (and `import collections.abc`), or run cinder on "
            "Python 3.9 or older"
        )
    if "No module named 'dfs_sdk'" in stderr:
        return f"dfs-sdk is not installed for {python}: install it (pip install dfs-sdk)"
    if "No module named 'cinder" in stderr:
        return f"cinder is not installed for {python}: install the cinder-volume package first"
    return f"cinder's Datera driver cannot be imported with {python}: {last}"


def driver_check(python=None):
    """
    Import cinder's Datera driver with the interpreter that runs cinder-volume.

    Returns ``{"python": ..., "driver": ..., "importable": True}`` or raises with the cause
    and the fix.

    python
        The interpreter to check (default: see ``datera_cinder.interpreter``).

    CLI Example:

    .. code-block:: bash

        salt 'ctl*' datera_cinder.driver_check
    """
    python = interpreter(python)
    try:
        proc = __salt__["cmd.run_all"](
            [python, "-W", "ignore", "-c", f"import {DRIVER_MODULE}"],
            python_shell=False,
            ignore_retcode=True,
            timeout=120,
            env={"PYTHONDONTWRITEBYTECODE": "1"},
            output_loglevel="quiet",
        )
    except CommandExecutionError as err:
        reason = str(err).rpartition("reason: ")[2]
        raise CommandExecutionError(f"cannot run {python}: {reason}") from None
    if proc["retcode"] != 0:
        raise CommandExecutionError(_explain(python, proc["stderr"] or proc["stdout"]))
    return {"python": python, "driver": DRIVER_MODULE, "importable": True}


# --- this node's cinder-volume processes ---------------------------------------------------


def _mount_namespace(pid):
    try:
        return os.stat(f"/proc/{pid}/ns/mnt").st_ino
    except OSError:
        return None


def processes(program="cinder-volume"):
    """
    This node's running ``program`` processes (the interpreter running a script of that
    name counts; processes of other mount namespaces, i.e. containers, do not), oldest
    first: ``[{"pid", "started" (epoch seconds), "cmdline"}]``.

    CLI Example:

    .. code-block:: bash

        salt 'node-5*' datera_cinder.processes
    """
    ours = _mount_namespace("self")
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "create_time"]):
        cmdline = proc.info["cmdline"] or []
        if not any(os.path.basename(arg) == program for arg in cmdline[:2]):
            continue
        if _mount_namespace(proc.info["pid"]) != ours:
            continue
        found.append(
            {"pid": proc.info["pid"], "started": proc.info["create_time"], "cmdline": cmdline}
        )
    return sorted(found, key=lambda p: p["started"])


# --- cinder-manage -------------------------------------------------------------------------


def _cinder_manage(*args):
    settings = __salt__["datera_pillar.settings"]()
    command = shlex.split(settings["takeover"]["cinder_manage"]) + list(args)
    try:
        proc = __salt__["cmd.run_all"](
            command, python_shell=False, ignore_retcode=True, timeout=300
        )
    except CommandExecutionError as err:
        reason = str(err).rpartition("reason: ")[2]
        raise CommandExecutionError(f"cannot run {command[0]}: {reason}") from None
    if proc["retcode"] != 0:
        last = ((proc["stderr"] or proc["stdout"]).strip().splitlines() or ["no output"])[-1]
        raise CommandExecutionError(
            f"{shlex.join(command)} failed (exit {proc['retcode']}): {last} "
            "(datera:takeover:cinder_manage names the command)"
        )
    return proc["stdout"]


def services(binary="cinder-volume"):
    """
    Cinder's service records of ``binary``, as ``cinder-manage service list`` prints them:
    ``[{"binary", "host", "zone", "status", "up"}]``.

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_cinder.services
    """
    rows = []
    for line in _cinder_manage("service", "list").splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5 and fields[0] == binary:
            rows.append(
                {
                    "binary": fields[0],
                    "host": fields[1],
                    "zone": fields[2],
                    "status": fields[3],
                    "up": fields[4] == ":-)",
                }
            )
    return rows


def remove_service(host, binary="cinder-volume"):
    """
    Delete the service record of ``binary`` on ``host`` from Cinder's database
    (``cinder-manage service remove``), e.g. the old per-node cinder-volume after a
    takeover.

    CLI Example:

    .. code-block:: bash

        salt 'node-5*' datera_cinder.remove_service node-5@datera
    """
    return _cinder_manage("service", "remove", binary, host).strip()


def update_host(current, new):
    """
    Move every volume Cinder has on host ``current`` (``host@backend#pool``) to ``new``
    (``cinder-manage volume update_host``), then point the volumes at the services of their
    hosts (``cinder-manage volume update_service``).

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_cinder.update_host node-5@datera#DEFAULT cinder@datera#datera
    """
    _cinder_manage("volume", "update_host", "--currenthost", current, "--newhost", new)
    update_service()
    return {"old": current, "new": new}


def update_service():
    """
    Point every volume at the cinder-volume service of its host (``cinder-manage volume
    update_service``), e.g. to finish an ``update_host`` that stopped half way.

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_cinder.update_service
    """
    _cinder_manage("volume", "update_service")
    return True
