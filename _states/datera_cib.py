"""
States: the cinder-volume Pacemaker primitive (through the ``datera_cib`` execution module).

.. code-block:: yaml

    # primary controller: create or converge the one primitive
    p_cinder-volume:
      datera_cib.resource_present:
        - agent: ocf:fuel:cinder-volume
        - params:
            amqp_server_port: 5673
            multibackend: true

    # other controllers: it must exist (waits up to wait_timeout seconds)
    p_cinder-volume-exists:
      datera_cib.resource_exists:
        - name: p_cinder-volume
        - wait_timeout: 60

    # restart through Pacemaker when this node's configuration changed and cinder-volume
    # runs here (elsewhere, or not running: it reads the new file when it starts)
    restart-cinder-volume:
      datera_cib.restarted:
        - name: p_cinder-volume
        - only_where_running: true
        - onchanges:
          - datera_conf: cinder-conf

    # a node that got the OCF agent after the resource existed: probe it again there
    p_cinder-volume-reprobed:
      datera_cib.reprobed:
        - name: p_cinder-volume
        - onchanges:
          - file: ocf-agent

Every state takes ``cib_file``: empty for the live cluster, a path to work on a CIB file.
"""

import os

import datera_state

__virtualname__ = "datera_cib"


def __virtual__():
    if "datera_cib.resource_present" not in __salt__:
        return False, "the datera_cib execution module is not loaded"
    return __virtualname__


@datera_state.failing_on_errors
def resource_present(
    name,
    agent=None,
    params=None,
    meta=None,
    ops=None,
    cib_file=None,
    ocf_root=None,
    agent_from_formula=False,
):
    """
    The primitive ``name`` exists and matches: created, or replaced when it differs.

    name
        Resource id (``p_cinder-volume``).
    agent
        ``systemd:cinder-volume`` (default), ``ocf:fuel:cinder-volume`` or
        ``ocf:openstack:cinder-volume``; an OCF agent must be installed under
        ``<ocf_root>/resource.d/<provider>/<type>``, else the state fails.
    params
        Instance attributes (``amqp_server_port``, ``multibackend``, ...).
    meta
        Meta attributes over ``resource-stickiness: 100``.
    ops
        Operations (default monitor 20s/10s, start 60s, stop 60s).
    cib_file
        A CIB file instead of the live cluster.
    ocf_root
        Where OCF agents live (default ``$OCF_ROOT`` or ``/usr/lib/ocf``).
    agent_from_formula
        The formula installs that OCF agent before this state (``datera.pacemaker.agent``):
        a dry run, which installs nothing, does not fail on its absence.

    With ``test=True`` the XML diff is in ``changes`` and nothing is written.
    """
    ret = datera_state.ret(name)
    args = {"agent": agent, "params": params, "meta": meta, "ops": ops, "cib_file": cib_file}
    if not (__opts__["test"] and agent_from_formula):
        __salt__["datera_cib.check_agent"](agent, ocf_root)
    if __opts__["test"]:
        delta = __salt__["datera_cib.diff"](name, **args)
        if not delta:
            ret["comment"] = f"{name} is in the desired state"
            return ret
        verb = "created" if delta.startswith("--- /dev/null") else "updated"
        ret.update(result=None, changes={"diff": delta}, comment=f"{name} would be {verb}")
        return ret
    done = __salt__["datera_cib.resource_present"](name, ocf_root=ocf_root, **args)
    if done["action"] == "unchanged":
        ret["comment"] = f"{name} is in the desired state"
        return ret
    ret["changes"] = {"diff": done["diff"]}
    ret["comment"] = f"{name} {done['action']}"
    if done["retries"]:
        ret["comment"] += " (the CIB changed meanwhile; compared again before writing)"
    return ret


@datera_state.failing_on_errors
def resource_absent(name, cib_file=None):
    """
    The primitive ``name`` is not configured.

    name
        Resource id.
    cib_file
        A CIB file instead of the live cluster.
    """
    ret = datera_state.ret(name)
    current = __salt__["datera_cib.resource_xml"](name, cib_file)
    if current is None:
        ret["comment"] = f"{name} is absent"
        return ret
    if __opts__["test"]:
        ret.update(result=None, changes={"deleted": name}, comment=f"{name} would be deleted")
        return ret
    done = __salt__["datera_cib.resource_absent"](name, cib_file)
    ret["changes"] = {"deleted": name, "diff": done["diff"]}
    ret["comment"] = f"{name} deleted"
    return ret


@datera_state.failing_on_errors
def resource_exists(name, wait_timeout=None, cib_file=None):
    """
    The primitive ``name`` exists (created by the primary controller): wait for it, bounded.

    name
        Resource id.
    wait_timeout
        Seconds to wait (pillar ``datera:pacemaker:wait_timeout``, default 60).
    cib_file
        A CIB file instead of the live cluster.

    With ``test=True`` it only looks once: a missing resource gives ``result None``.
    """
    ret = datera_state.ret(name)
    if __opts__["test"]:
        if __salt__["datera_cib.exists"](name, cib_file):
            ret["comment"] = f"{name} exists"
        else:
            ret["result"] = None
            ret["comment"] = f"{name} does not exist yet; would wait for it"
        return ret
    waited = __salt__["datera_cib.wait_for_resource"](name, wait_timeout, cib_file)
    ret["comment"] = f"{name} exists" + (f" (waited {waited:g}s)" if waited >= 1 else "")
    return ret


def _not_running_here(name, cib_file):
    """Why a restart from this node is not needed, or None when the resource runs here."""
    status = __salt__["datera_cib.cluster_status"](name, cib_file)
    here = __salt__["datera_cib.node_name"]()
    if not status["exists"]:
        return f"{name} does not exist yet: it starts with the new configuration"
    if not status["running_on"]:
        return f"{name} runs on no node: it starts with the new configuration"
    if here not in status["running_on"]:
        where = ", ".join(status["running_on"])
        return (
            f"{name} runs on {where}, not on this node ({here}): nothing to restart here; "
            "this node's configuration is read when cinder-volume starts here"
        )
    return None


def _started_after(name, cib_file, path):
    """Why no restart is needed when the instance here started after ``path`` was written
    (it read the new file), else None. Live cluster only: a CIB file has no real start."""
    if cib_file or not path:
        return None
    try:
        changed = os.stat(path).st_mtime
    except OSError:
        return None
    started = __salt__["datera_cib.started_at"](name, None, cib_file)
    if started is not None and started > changed:
        return (
            f"{name} started here after {path} was written: it already runs with it, "
            "nothing to restart"
        )
    return None


@datera_state.failing_on_errors
def restarted(
    name, cib_file=None, timeout=None, only_where_running=False, unless_started_after=None
):
    """
    Restart the primitive ``name`` once through Pacemaker (use with ``onchanges``).

    On a live cluster ``crm_resource --restart``; a CIB file has no cluster, so nothing is
    restarted there and ``changes`` name the method ``none: ...``. Fails if ``name`` does
    not exist (unless ``only_where_running``).

    name
        Resource id.
    cib_file
        A CIB file instead of the live cluster.
    timeout
        Seconds ``crm_resource --restart`` may take (pillar ``wait_timeout``).
    only_where_running
        Restart only if the resource runs on this node (pillar ``node_name``, else
        ``uname -n``): a changed cinder.conf matters where cinder-volume runs. So an
        orchestration that changes every controller restarts it exactly once, and adding
        a controller restarts nothing.
    unless_started_after
        A file (the node's cinder.conf): no restart when the resource's instance here
        started after the file was last written (live cluster only). A restart through
        Pacemaker may place the resource on another controller whose own file changed in
        the same orchestration; that controller then does not restart it a second time.
    """
    ret = datera_state.ret(name)
    if only_where_running:
        reason = _not_running_here(name, cib_file) or _started_after(
            name, cib_file, unless_started_after
        )
        if reason:
            ret["comment"] = reason
            return ret
    if __opts__["test"]:
        present = __salt__["datera_cib.exists"](name, cib_file)
        ret.update(result=None, changes={"restarted": name})
        ret["comment"] = f"{name} would be restarted through Pacemaker"
        if not present:
            ret["comment"] += " (it does not exist yet: it must be created first)"
        return ret
    done = __salt__["datera_cib.restart"](name, cib_file, timeout)
    ret["changes"] = {"restarted": name, "method": done["method"]}
    ret["comment"] = f"{name} restarted through Pacemaker ({done['method']})"
    return ret


@datera_state.failing_on_errors
def reprobed(name, cib_file=None):
    """
    Pacemaker probes the primitive ``name`` on this node again (use with ``onchanges`` on
    the OCF agent's file): where the agent arrived after the resource existed, the first
    probe answered "not installed" and kept cinder-volume off this node. Nothing to do
    while the resource does not exist (its first probe finds the agent).

    name
        Resource id.
    cib_file
        A CIB file instead of the live cluster (nothing is probed there).
    """
    ret = datera_state.ret(name)
    if not __salt__["datera_cib.exists"](name, cib_file):
        ret["comment"] = f"{name} does not exist yet: its first probe finds the agent"
        return ret
    if __opts__["test"]:
        ret.update(result=None, changes={"reprobed": name})
        ret["comment"] = f"{name} would be probed again on this node"
        return ret
    here = __salt__["datera_cib.node_name"]()
    done = __salt__["datera_cib.reprobe"](name, here, cib_file)
    ret["changes"] = {"reprobed": name, "node": done["node"], "method": done["method"]}
    ret["comment"] = f"{name} probed again on {done['node']} ({done['method']})"
    return ret
