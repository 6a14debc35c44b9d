"""
States: taking over a cloud the old Fuel plugin (fuel-plugin-datera-cinder) configured.

On each node the plugin configured (``datera:role: legacy``), after
``datera_conf.legacy_absent`` took its Datera backend out of cinder.conf:

.. code-block:: yaml

    datera-legacy-service:
      datera_takeover.service_retired:
        - name: cinder-volume
        - conf_file: /etc/cinder/cinder.conf

    datera-legacy-service-records:
      datera_takeover.service_records_absent:
        - name: /etc/cinder/cinder.conf

On the primary controller, once no old service runs:

.. code-block:: yaml

    datera-takeover-datera-volumes-moved:
      datera_takeover.volumes_moved:
        - name: datera
"""

import os

from salt.exceptions import CommandExecutionError

import datera_state
import datera_table

__virtualname__ = "datera_takeover"


def __virtual__():
    if "datera_takeover.plan" not in __salt__:
        return False, "the datera_takeover execution module is not loaded"
    return __virtualname__


def _stale(conf_file):
    """The service's processes started before cinder.conf last changed."""
    written = os.stat(conf_file).st_mtime
    return [p["pid"] for p in __salt__["datera_cinder.processes"]() if p["started"] < written]


def _stop(name):
    """Stop and disable the distribution's service; no process of it may be left."""
    changes = {}
    if __salt__["service.status"](name):
        __salt__["service.stop"](name)
        changes["stopped"] = True
    if __salt__["service.enabled"](name):
        __salt__["service.disable"](name)
        changes["disabled"] = True
    left = [p["pid"] for p in __salt__["datera_cinder.processes"]()]
    if left:
        raise CommandExecutionError(f"{name} still runs after it was stopped: pids {left}")
    return changes


def _restart(name, conf_file):
    """Running, and not older than cinder.conf: it serves the other backends only."""
    if not __salt__["service.status"](name):
        __salt__["service.start"](name)
        return {"started": True}
    stale = _stale(conf_file)
    if stale:
        __salt__["service.restart"](name)
        return {"restarted": True, "stale_pids": stale}
    return {}


def service_retired(name, conf_file):
    """
    The node's own cinder-volume (the distribution's service ``name``) no longer serves
    the old plugin's Datera backend: stopped and disabled when cinder.conf names no other
    backend, else running and started after cinder.conf last changed (restarted when it is
    older, e.g. after a run that was interrupted between the edit and the restart).

    name
        The service (``datera:lookup:service:cinder_volume``).

    conf_file
        The node's cinder.conf.
    """
    ret = datera_state.ret(name)
    try:
        found = __salt__["datera_conf.legacy"](conf_file=conf_file)
        if __opts__["test"]:
            if found["serving"]:
                what = "restarted" if found["left"] else "stopped and disabled"
                ret.update(result=None, changes={name: what})
                ret["comment"] = f"{name} would be {what} (it serves the old Datera backend)"
            else:
                ret["comment"] = f"{name} does not serve the old plugin's Datera backend"
            return ret
        if found["serving"]:
            raise CommandExecutionError(f"{conf_file} still holds the old plugin's backend")
        changes = _restart(name, conf_file) if found["left"] else _stop(name)
    except datera_state.ERRORS as err:
        ret.update(result=False, comment=str(err))
        return ret
    ret["changes"] = {name: changes} if changes else {}
    left = ", ".join(found["left"])
    ret["comment"] = f"{name} serves {left}" if left else f"{name} stopped and disabled"
    return ret


def service_records_absent(name):
    """
    Cinder's records of the old per-node cinder-volume services of the Datera backend
    (``node-5@datera``) are gone (``cinder-manage service remove``), so ``openstack volume
    service list`` stops showing them down and the takeover can tell that no old service
    serves the volumes. The hosts are read from cinder.conf or, once the backend was taken
    out, from the copy kept as the old plugin left it.

    name
        The node's cinder.conf.
    """
    ret = datera_state.ret(name)
    try:
        found = __salt__["datera_conf.legacy"](conf_file=name)
        hosts = [backend["host"] for backend in found["serving"] + found["retired"]]
        records = {s["host"] for s in __salt__["datera_cinder.services"]()} if hosts else set()
        gone = [host for host in hosts if host in records]
        if gone and __opts__["test"]:
            ret.update(result=None, changes={"removed": gone})
            ret["comment"] = "would remove the cinder-volume records of " + ", ".join(gone)
            return ret
        for host in gone:
            __salt__["datera_cinder.remove_service"](host)
    except datera_state.ERRORS as err:
        ret.update(result=False, comment=str(err))
        return ret
    if gone:
        ret["changes"] = {"removed": gone}
        ret["comment"] = "removed the cinder-volume records of " + ", ".join(gone)
    else:
        ret["comment"] = "no cinder-volume record of the old Datera backend"
    return ret


def _table(rows):
    """The moving volumes, as ``openstack volume list --long`` shows them."""
    header = ("ID", "Name", "Status", "Type", "Host", "On the cluster")
    cells = [
        (
            r["id"],
            r["name"],
            r["status"],
            r["type"] or "",
            r["host"],
            "yes" if r["on_cluster"] else "no",
        )
        for r in rows
    ]
    return datera_table.boxed(header, cells)


def _would_move(ret, found, table):
    """``ret`` of a dry run: what the move would do."""
    waits = [f"{h} is served now (it moves once that stops)" for h in found["served"]]
    ret.update(result=False if found["problems"] else None)
    if found["hosts"]:
        ret["changes"]["move"] = {h: found["new_host"] for h in found["hosts"]}
        moving = [f"would move {len(found['volumes'])} volume(s) to {found['new_host']}:", table]
    else:
        moving = []
    if found["unfinished"]:
        ret["changes"]["service"] = found["unfinished"]
        moving.append(_finishing(found, "would point"))
    ret["comment"] = "\n".join(moving + found["problems"] + waits)
    return ret


def _finishing(found, verb):
    hosts = ", ".join(found["unfinished"])
    return f"{verb} the volumes moved from {hosts} at the service of {found['new_host']}"


@datera_state.failing_on_errors
def volumes_moved(name):
    """
    The volumes this Datera cluster holds that Cinder had under the old plugin's per-node
    hosts are under the shared host, so the one cinder-volume Pacemaker runs manages them.
    A host still served by a running cinder-volume is left (the state fails naming it);
    a move that stopped half way is finished; in ``test=True`` the plan is shown: every
    volume that would move.

    name
        The backend (cinder.conf section).
    """
    ret = datera_state.ret(name)
    found = __salt__["datera_takeover.plan"](backend=name)
    if not found["hosts"] and not found["unfinished"]:
        ret["comment"] = f"no volume of {name} under another host than {found['new_host']}"
        return ret
    table = _table(found["volumes"])
    if __opts__["test"]:
        return _would_move(ret, found, table)
    done = __salt__["datera_takeover.move"](backend=name, found=found)
    lines = [f"moved to {done['new_host']}:", table] if done["moved"] else []
    if done["moved"]:
        ret["changes"]["moved"] = {h: done["new_host"] for h in done["moved"]}
    if done["finished"]:
        ret["changes"]["service"] = done["finished"]
        lines.append(_finishing(found, "pointed"))
    if done["served"]:
        ret["result"] = False
        lines.append(
            "not moved, a cinder-volume still serves: "
            + ", ".join(done["served"])
            + " (give that node datera:role legacy, or stop it, and run again)"
        )
    ret["comment"] = "\n".join(lines)
    return ret
