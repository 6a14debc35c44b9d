"""
Checks of the cinder installation a controller runs, before the formula configures it.

The Datera driver of cinder imports Datera's SDK (``dfs-sdk``); its newest release, 1.2.27,
subclasses ``collections.Mapping``, which Python 3.10 removed, so the driver cannot load on
a modern Python and cinder-volume dies at start. The pre-flight says so, with the fix,
before anything is changed.

:depends: nothing beyond Salt
"""

import logging

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
