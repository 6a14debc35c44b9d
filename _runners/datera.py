"""
Runner: is every controller still configured as pillar says?

``salt-run datera.drift`` asks each controller to compare its cinder.conf with pillar, and
the primary controller to dry-run the cluster-wide states (the Pacemaker resource, the
Cinder volume types) with ``test=True`` (nothing is changed); it prints what differs,
secrets masked, and exits non-zero on drift, so it can run from cron or CI. Run
``salt-run saltutil.sync_runners`` once after installing the formula from file_roots/gitfs.
"""

import contextlib
import logging

import salt.client
import salt.exceptions
import salt.fileclient
import salt.utils.files
import salt.utils.yaml

import datera_table

log = logging.getLogger(__name__)

__virtualname__ = "datera"

TARGETS = "salt://datera/targets.yaml"  # the same file deploy.sls reads
CLUSTER_SLS = "datera.pacemaker.resource,datera.volume_types"


def __virtual__():
    return __virtualname__


def _targets():
    """The compound targets by role (``primary``, ``controllers``, ``others``), from the
    formula's state tree as the master serves it."""
    with salt.fileclient.FSClient(__opts__) as client:
        path = client.cache_file(TARGETS)
    if not path:
        raise salt.exceptions.CommandExecutionError(
            f"{TARGETS} is not served by this master: is the formula's state tree in "
            "file_roots / gitfs?"
        )
    with salt.utils.files.fopen(path) as handle:
        return salt.utils.yaml.safe_load(handle)


@contextlib.contextmanager
def _asking_controllers(tgt, tgt_type, timeout, fun, arg=()):
    """A local client, the role targets, and each controller's full return of ``fun``
    (``tgt``: which minions, default every controller by pillar role), while the client is
    open for more questions."""
    targets = _targets()
    with salt.client.get_local_client(mopts=__opts__) as client:
        returns = client.cmd(
            tgt or targets["controllers"],
            fun,
            list(arg),
            tgt_type=tgt_type,
            timeout=timeout,
            full_return=True,
        )
        yield client, targets, returns


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
        sls = str(state.get("__sls__", ""))
        kind = "pacemaker" if sls.startswith("datera.pacemaker") else "volume types"
        if state.get("result") is False:
            kind = "error"
        found.setdefault(kind, {})[str(state.get("name"))] = state.get("comment")
    return found


def drift(tgt=None, tgt_type="compound", timeout=60, cluster=True):
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
    with _asking_controllers(tgt, tgt_type, timeout, "datera_conf.check") as asked:
        client, targets, returns = asked
        primary = {}
        if cluster:
            primary = client.cmd(
                targets["primary"],
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


STATUS_FUNCTIONS = ["datera_cib.cluster_status", "datera_cib.node_name", "datera_conf.check"]


def _cluster_view(answers):
    """The cluster as seen by a controller that is itself online in it (a controller cut
    off from the others sees only itself): the first such, by minion id."""
    for minion_id in sorted(answers):
        view, name = (
            answers[minion_id].get("datera_cib.cluster_status"),
            answers[minion_id].get("datera_cib.node_name"),
        )
        if isinstance(view, dict) and view.get("nodes", {}).get(name):
            return minion_id, view
    return None, None


def _conf_state(check):
    if not isinstance(check, dict) or "in_sync" not in check:
        return "error"
    if check["in_sync"]:
        return "in sync"
    return f"differs ({', '.join(sorted(check['changes']))})"


def _rows(answers, controllers, view):
    """One row per controller (by minion id), then cluster nodes that have no minion."""
    nodes = view.get("nodes", {}) if view else {}
    running = set(view.get("running_on", [])) if view else set()
    fails = view.get("fail_counts", {}) if view else {}
    rows, named = [], set()
    for minion_id in sorted(controllers):
        answer = answers.get(minion_id)
        if isinstance(answer, dict):
            name = answer.get("datera_cib.node_name") or minion_id
            conf = _conf_state(answer.get("datera_conf.check"))
        else:  # silent: its node is the one named like it, if the cluster has one
            name = minion_id if minion_id in nodes else "?"
            conf = "no answer"
        named.add(name)
        online = {True: "online", False: "OFFLINE", None: "not a node"}[nodes.get(name)]
        role = "Started" if name in running else "-"
        rows.append((minion_id, name, online, role, fails.get(name, 0), conf))
    for name in sorted(set(nodes) - named):
        online = "online" if nodes[name] else "OFFLINE"
        role = "Started" if name in running else "-"
        rows.append(("-", name, online, role, fails.get(name, 0), "no minion"))
    return rows


def _table(resource, view, seen_from, rows):
    header = ("CONTROLLER", "NODE", "STATE", resource, "FAIL-COUNT", "CINDER.CONF")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    if view is None:
        lines.append(f"{resource}: no controller is online in the cluster (no view)")
    else:
        where = ", ".join(view["running_on"]) or "nowhere"
        state = "Started on " + where if view["running_on"] else "Stopped"
        if not view.get("exists"):
            state = "not configured"
        lines.append(f"Cluster (seen from {seen_from}): {resource} {state}")
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    failed = (view or {}).get("failed_actions") or []
    if failed:
        lines += ["", "Failed Resource Actions:"] + [f"  * {action}" for action in failed]
    return "\n".join(lines)


def _types_table(volume_types):
    """Cinder's volume types as ``openstack volume type list --long`` shows them, without
    the description and with one property a line (a narrower table); or why they could not
    be read."""
    if not isinstance(volume_types, list):
        reason = str(volume_types or "no answer from the primary controller").splitlines()
        return f"Volume types: not read ({reason[-1] if reason else ''})"
    header = ("ID", "Name", "Is Public", "Properties")
    rows = []
    for vtype in volume_types:
        specs = vtype.get("extra_specs") or {}
        props = [f"{k}='{v}'" for k, v in sorted(specs.items())] or [""]
        rows.append((vtype["id"], vtype["name"], str(vtype.get("is_public", True)), props[0]))
        rows += [("", "", "", prop) for prop in props[1:]]
    return "Volume types:\n" + datera_table.boxed(header, rows)


def _volume_types(client, primary, timeout):
    """``datera_volume_type.list_types`` on the primary controller (or why it failed)."""
    returns = client.cmd(primary, "datera_volume_type.list_types", tgt_type="compound",
                         timeout=timeout, full_return=True)  # fmt: skip
    answer = next(iter(returns.values()), {}) if returns else {}
    return answer.get("ret") if answer.get("retcode", 0) == 0 else str(answer.get("ret"))


def status(tgt=None, tgt_type="compound", timeout=30, full=False):
    """
    Where cinder-volume runs, from the live cluster, in a ``crm_mon``-like table: one row
    per controller with its cluster node, whether it is online, where ``p_cinder-volume``
    is Started, and whether its cinder.conf matches pillar; below it Cinder's volume types
    as ``openstack volume type list`` shows them (read on the primary controller). Exits
    non-zero when the resource runs on no node (or on more than one), a controller is
    offline or does not answer, or a cinder.conf differs.

    tgt
        Which minions are the controllers (default: by pillar role).
    full
        Return the data (``view``, ``seen_from``, ``rows``) besides ``retcode`` and ``table``.

    CLI Example:

    .. code-block:: bash

        salt-run datera.status
    """
    functions = (STATUS_FUNCTIONS, [[], [], []])  # three functions, each without arguments
    with _asking_controllers(tgt, tgt_type, timeout, *functions) as asked:
        client, targets, returns = asked
        volume_types = _volume_types(client, targets["primary"], timeout)
    tgt = tgt or targets["controllers"]
    answers = {m: r.get("ret") for m, r in returns.items() if isinstance(r.get("ret"), dict)}
    seen_from, view = _cluster_view(answers)
    # minions targeted but silent still get a row: ask the master who should have answered
    controllers = set(returns) | set(_expected(tgt, tgt_type))
    rows = _rows(answers, controllers, view)
    resource = (view or {}).get("resource") or "p_cinder-volume"
    table = _table(resource, view, seen_from, rows) + "\n\n" + _types_table(volume_types)
    healthy = (
        view is not None
        and len(view["running_on"]) == 1
        and all(r[2] == "online" and r[5] in ("in sync", "no minion") for r in rows)
    )
    out = {"retcode": 0 if healthy else 1, "table": table}  # salt-run's exit code
    if full:
        out.update(view=view, seen_from=seen_from, rows=rows, volume_types=volume_types)
    return out


def _expected(tgt, tgt_type):
    """The minions the target matches by the master's pillar cache (none if not cached)."""
    try:
        import salt.utils.minions

        found = salt.utils.minions.CkMinions(__opts__).check_minions(tgt, tgt_type)
        return found.get("minions", [])
    except Exception:  # a best effort: the minions that answered are listed anyway
        return []
