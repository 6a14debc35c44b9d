"""
States for Datera clusters: ``datera.healthy`` checks a cluster before anything changes;
``datera.preflight`` runs every check the formula makes before it changes a node.

.. versionadded:: 0.1.0

.. code-block:: yaml

    datera-cluster-healthy:
      datera.healthy:
        - backend: datera
        - min_free_gib: 100
        - min_free_percent: 10

    datera-preflight:
      datera.preflight:
        - name: pillar, cinder's driver, the Datera clusters

:depends: the ``datera`` execution module
"""

import logging

from salt.exceptions import CommandExecutionError, SaltInvocationError

import datera_state

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
    ret = datera_state.ret(name, result=False)
    try:
        min_gib = _threshold(min_free_gib, "min_free_gib")
        min_percent = _threshold(min_free_percent, "min_free_percent")
        system = __salt__["datera.system"](backend=backend)
    except datera_state.ERRORS as err:
        named = str(err).startswith("Datera backend")  # the client's errors name it already
        ret["comment"] = str(err) if named else f"Datera backend {backend or '(default)'}: {err}"
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


CONTROLLER_ROLES = ("primary-controller", "controller")


def _driver_problem(cinder):
    """Why cinder's Datera driver cannot be imported here, or None (not checked: None)."""
    if not cinder.get("check_driver"):
        return None
    try:
        found = __salt__["datera_cinder.driver_check"](cinder.get("python") or None)
    except CommandExecutionError as err:
        return str(err)
    log.debug("pre-flight: %s imports with %s", found["driver"], found["python"])
    return None


def _legacy_checks():
    """A ``legacy`` node: its cinder.conf reads, and cinder-manage reaches Cinder's database
    (the takeover removes the old service's record with it)."""
    try:
        found = __salt__["datera_conf.legacy"]()
        __salt__["datera_cinder.services"]()
    except datera_state.ERRORS as err:
        return False, [str(err)]
    hosts = ", ".join(backend["host"] for backend in found["serving"])
    if hosts:
        return True, [f"the old plugin's Datera backend is served here as {hosts}"]
    return True, ["no Datera backend of the old plugin is served here"]


def _takeover_checks(settings):
    """The primary with ``takeover:enabled``: what would move, and nothing that would stop
    the move (volume types that would no longer match)."""
    ok, lines = True, []
    for backend, wanted in settings["backends"].items():
        if wanted["ensure"] != "present":
            continue
        try:
            found = __salt__["datera_takeover.plan"](backend=backend)
        except datera_state.ERRORS as err:
            return False, lines + [f"takeover: {err}"]
        moving = len(found["volumes"])
        lines.append(f"takeover: {moving} volume(s) of {backend} to move to {found['new_host']}")
        ok = ok and not found["problems"]
        lines += found["problems"]
    return ok, lines


def _role_checks(settings, name):
    role = settings.get("role")
    if role == "legacy":
        return _legacy_checks()
    if role not in CONTROLLER_ROLES:
        return True, []
    ok, lines = True, []
    problem = _driver_problem(settings["cinder"])
    if problem:
        ok = False
        lines.append(problem)
    for backend, wanted in settings["backends"].items():
        if wanted.get("ensure", "present") == "present":
            health = healthy(f"{name}-{backend}", backend=backend)
            ok = ok and health["result"]
            lines.append(health["comment"])
    if role == "primary-controller" and settings["takeover"]["enabled"]:
        takeover_ok, more = _takeover_checks(settings)
        ok, lines = ok and takeover_ok, lines + more
    return ok, lines


def preflight(name):
    """
    Everything checked before the formula changes anything on this node: the ``datera``
    pillar is valid (each bad key named); on a controller, cinder's Datera driver imports
    (``datera:cinder:check_driver``) and every present Datera backend answers, with the
    configured credentials, as ``healthy`` checks it; on the primary taking over a cloud
    the old Fuel plugin configured, the volumes to move and their volume types; on a
    ``legacy`` node, its cinder.conf and ``cinder-manage``. Only reads: the same in
    ``test=True``. Needs no rendering of the formula's map, so it runs in the job that
    first syncs the formula's modules to a node.

    In the orchestration the later steps pass ``datera_orchestration:preflight_passed``: the
    checks ran in its first step, on every node, and are not repeated.

    name
        State ID (free text).
    """
    ret = datera_state.ret(name)
    try:
        settings = __salt__["datera_pillar.settings"]()
    except datera_state.ERRORS as err:
        ret.update(result=False, comment=str(err))
        return ret
    role = settings.get("role")
    lines = [f"datera pillar is valid (role {role}, release {settings.get('release')})"]
    if __salt__["pillar.get"]("datera_orchestration:preflight_passed", False):
        lines.append("the other checks passed in this orchestration's first step")
    else:
        ret["result"], more = _role_checks(settings, name)
        lines += more
    ret["comment"] = "\n".join(lines)
    return ret
