"""
States for Datera clusters: ``datera.healthy`` checks a cluster before anything changes.

.. versionadded:: 0.1.0

.. code-block:: yaml

    datera-cluster-healthy:
      datera.healthy:
        - backend: datera
        - min_free_gib: 100
        - min_free_percent: 10

:depends: the ``datera`` execution module
"""

import logging

from salt.exceptions import CommandExecutionError, SaltInvocationError

log = logging.getLogger(__name__)

__virtualname__ = "datera"


def __virtual__():
    if "datera.system" not in __salt__:
        return False, "the datera execution module is not loaded (sync _modules first)"
    return __virtualname__


def _threshold(value, what):
    try:
        number = float(value or 0)
    except (TypeError, ValueError):
        raise SaltInvocationError(f"{what} must be a number, got {value!r}") from None
    if number < 0:
        raise SaltInvocationError(f"{what} must not be negative, got {value!r}")
    return number


def _problems(system, min_free_gib, min_free_percent):
    cap = system["capacity"]
    found = []
    if system.get("op_state") != "running":
        found.append(f"op_state is {system.get('op_state')!r}, not 'running'")
    if cap["free_gib"] < min_free_gib:
        found.append(f"free capacity {cap['free_gib']:g} GiB is under {min_free_gib:g} GiB")
    if cap["free_percent"] < min_free_percent:
        found.append(f"free capacity {cap['free_percent']:g} % is under {min_free_percent:g} %")
    return found


def healthy(name, backend=None, min_free_gib=0, min_free_percent=0):
    """
    Fail unless the Datera cluster of ``backend`` is ``running`` and has at least
    ``min_free_gib`` GiB and ``min_free_percent`` percent of its capacity free. Only reads,
    so ``test=True`` gives the same result; never reports changes.

    name
        State ID (free text).
    backend
        Backend name in the ``datera:backends`` pillar (optional with a single backend).
    min_free_gib
        Free capacity needed, in GiB (default 0).
    min_free_percent
        Free capacity needed, in percent of the total (default 0).
    """
    ret = {"name": name, "result": False, "changes": {}, "comment": ""}
    try:
        min_gib = _threshold(min_free_gib, "min_free_gib")
        min_percent = _threshold(min_free_percent, "min_free_percent")
        system = __salt__["datera.system"](backend=backend)
    except (CommandExecutionError, SaltInvocationError) as err:
        ret["comment"] = f"Datera backend {backend or '(default)'}: {err}"
        return ret
    cap = system["capacity"]
    summary = (
        f"Datera cluster {system.get('name')} (backend {system.get('backend') or backend}): "
        f"sw_version {system.get('sw_version')}, op_state {system.get('op_state')}, "
        f"health {system.get('health')}, free {cap['free_gib']:g} GiB of "
        f"{cap['total_gib']:g} GiB ({cap['free_percent']:g} %), TLS {system.get('tls')}"
    )
    comment = [summary]
    comment += [f"WARNING: {warning}" for warning in system.get("warnings") or []]
    problems = _problems(system, min_gib, min_percent)
    comment += [f"Unhealthy: {problem}" for problem in problems]
    ret["result"] = not problems
    ret["comment"] = "\n".join(comment)
    return ret
