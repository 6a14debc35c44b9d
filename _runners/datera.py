"""
Runner: is every controller still configured as pillar says?

``salt-run datera.drift`` asks each controller to compare its cinder.conf with pillar, and
the primary controller to dry-run the cluster-wide states (the Pacemaker resource, the
Cinder volume types) with ``test=True`` (nothing is changed); it prints what differs,
secrets masked, and exits non-zero on drift, so it can run from cron or CI. Run
``salt-run saltutil.sync_runners`` once after installing the formula from file_roots/gitfs.
"""

import logging

import salt.client

log = logging.getLogger(__name__)

__virtualname__ = "datera"

CONTROLLERS = "I@datera:role:primary-controller or I@datera:role:controller"
PRIMARY = "I@datera:role:primary-controller"
CLUSTER_SLS = "datera.pacemaker.resource,datera.volume_types"


def __virtual__():
    return __virtualname__


def _summarise(minion_return):
    """One controller's ``datera_conf.check`` return -> ``"in sync"`` or what differs."""
    if not isinstance(minion_return, dict) or "in_sync" not in minion_return:
        return {"error": str(minion_return)}
    if minion_return["in_sync"]:
        return "in sync"
    return {"cinder.conf": minion_return["changes"]}


def _cluster_drift(states):
    """The primary's ``state.sls ... test=True`` return -> what would change, by kind."""
    if not isinstance(states, dict):
        return {"error": str(states)}
    found = {}
    for state in states.values():
        if not isinstance(state, dict) or state.get("result") is True and not state.get("changes"):
            continue
        kind = "pacemaker" if state.get("__id__", "").startswith("datera-pacemaker") else None
        kind = kind or "volume types"
        if state.get("result") is False:
            kind = "error"
        found.setdefault(kind, {})[str(state.get("name"))] = state.get("comment")
    return found


def drift(tgt=CONTROLLERS, tgt_type="compound", timeout=60, cluster=True):
    """
    Compare every controller's cinder.conf (Datera sections, enabled_backends, shared host)
    with pillar and, on the primary controller, the Pacemaker resource and the volume types
    (``cluster=False`` skips those). Exits non-zero when anything differs or a controller
    does not answer.

    tgt
        Which minions to check (default: every controller by pillar role).

    CLI Example:

    .. code-block:: bash

        salt-run datera.drift
    """
    with salt.client.get_local_client(mopts=__opts__) as client:
        returns = client.cmd(
            tgt, "datera_conf.check", tgt_type=tgt_type, timeout=timeout, full_return=True
        )
        primary = {}
        if cluster:
            primary = client.cmd(
                PRIMARY,
                "state.sls",
                [CLUSTER_SLS],
                tgt_type="compound",
                kwarg={"test": True},
                timeout=timeout,
                full_return=True,
            )
    report = {}
    for minion_id, ret in sorted(returns.items()):
        if ret.get("retcode", 0) != 0:
            report[minion_id] = {"error": str(ret.get("ret"))}
        else:
            report[minion_id] = _summarise(ret.get("ret"))
        extra = _cluster_drift(primary[minion_id]["ret"]) if minion_id in primary else {}
        if extra:
            conf = report[minion_id]
            report[minion_id] = dict({} if conf == "in sync" else conf, **extra)
    drifted = sorted(m for m, state in report.items() if state != "in sync")
    return {
        "retcode": 1 if drifted or not report else 0,  # salt-run's exit code
        "controllers": report,
        "summary": f"{len(report) - len(drifted)} in sync, drift on: "
        + (", ".join(drifted) or "none")
        if report
        else "no controller answered",
    }
