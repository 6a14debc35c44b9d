"""
The cinder-volume Pacemaker primitive, managed through the CIB with Pacemaker's own CLI.

cinder-volume runs active/passive: one primitive (no clone) that Pacemaker starts on exactly
one controller. This module renders that primitive as CIB XML with deterministic ids, compares
it with what the CIB holds and writes only the difference, scoped to the one resource
(``cibadmin --create`` / ``cibadmin --replace``). Every Pacemaker command runs through
``_run`` (one place).

Where the CIB is: with ``cib_file`` empty, the live cluster; with a path, that file
(every command then runs with ``CIB_file=<path>``, as Pacemaker's tools document) -- how the
tests and offline use work. Arguments left as ``None`` come from the ``datera:pacemaker``
pillar (``datera_pillar.settings``), or the built-in defaults when that module is absent.

Concurrent changes: the CIB's ``admin_epoch``/``epoch`` is read before the resource is read
and again just before writing; if it moved, the resource is read and compared again (once
more at most), so a change someone else made in between is never overwritten blindly.

Restarts: on a live cluster ``crm_resource --restart``. A CIB file has no cluster behind it,
so nothing is restarted there (the restart states report what they decided). Operator-owned
meta attributes (``target-role``, ``is-managed``) are kept when the resource is replaced and
ignored when it is compared, unless the caller sets them explicitly.

:depends: Pacemaker 2.x command-line tools (Debian/Ubuntu ``pacemaker-cli-utils``):
    ``cibadmin``, ``crm_resource``, ``crm_mon``, ``crm_verify``
"""

import difflib
import logging
import os
import re
import shutil
import time
import xml.etree.ElementTree as ET

from salt.exceptions import CommandExecutionError, SaltInvocationError

import datera_schema

log = logging.getLogger(__name__)

__virtualname__ = "datera_cib"

TOOLS = ("cibadmin", "crm_resource", "crm_mon", "crm_verify")
DEFAULT_META = {"resource-stickiness": "100"}
DEFAULT_OPS = (
    {"name": "monitor", "interval": "20s", "timeout": "10s"},
    {"name": "start", "interval": "0s", "timeout": "60s"},
    {"name": "stop", "interval": "0s", "timeout": "60s"},
)
# meta attributes that operators own: kept on replace
PRESERVED_META = ("target-role", "is-managed")
CONSTRAINT_TAGS = ("rsc_location", "rsc_colocation", "rsc_order", "rsc_ticket")
OCF_ROOT = "/usr/lib/ocf"
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
RC_NO_SUCH_OBJECT = 105  # cibadmin/crm_resource: ENXIO, "No such device or address"


def __virtual__():
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        return (
            False,
            f"datera_cib: Pacemaker CLI missing ({', '.join(missing)}); "
            "install pacemaker-cli-utils",
        )
    return __virtualname__


# ---------------------------------------------------------------------------------------------
# settings and the one place tools run


def _settings():
    """``datera:pacemaker`` validated; the schema's defaults where there is no pillar module."""
    if "datera_pillar.settings" not in __salt__:
        return datera_schema.defaults("pacemaker")
    return __salt__["datera_pillar.settings"]()["pacemaker"]


def _pick(key, value):
    return _settings()[key] if value is None else value


def _rid(resource_id):
    """The resource id (pillar default), checked: it goes into XPath expressions."""
    rid = str(_pick("resource_id", resource_id))
    if not _ID.match(rid):
        raise SaltInvocationError(f"resource id {rid!r}: letters, digits, '_', '.', '-' only")
    return rid


def _cib(cib_file):
    """The CIB file path (``''``: the live cluster)."""
    return str(_pick("cib_file", cib_file) or "")


def _run(args, cib_file, ok=(0,)):
    """Run one Pacemaker command (argument list) against the CIB; raise unless rc in ``ok``."""
    env = {"CIB_file": cib_file} if cib_file else {}
    ret = __salt__["cmd.run_all"](
        list(args), env=env, python_shell=False, ignore_retcode=True, output_loglevel="debug"
    )
    if ret["retcode"] not in ok:
        where = f" (CIB_file={cib_file})" if cib_file else ""
        detail = (ret.get("stderr") or ret.get("stdout") or "").strip()
        raise CommandExecutionError(
            f"{' '.join(args)}{where} failed with rc {ret['retcode']}: {detail}"
        )
    return ret


def _xpath_of(resource_id):
    return f"/cib/configuration/resources//*[@id='{resource_id}']"


def _query_xpath(xpath, cib_file):
    ret = _run(["cibadmin", "--query", "--xpath", xpath], cib_file, ok=(0, RC_NO_SUCH_OBJECT))
    return None if ret["retcode"] == RC_NO_SUCH_OBJECT else ret["stdout"]


def _query(resource_id, cib_file):
    return _query_xpath(_xpath_of(resource_id), cib_file)


def _references(resource_id, cib_file):
    """Constraints that name the resource (they would keep it from being deleted)."""
    attrs = " or ".join(f"@{a}='{resource_id}'" for a in ("rsc", "with-rsc", "first", "then"))
    xml = _query_xpath(f"/cib/configuration/constraints/*[{attrs}]", cib_file)
    if xml is None:
        return []
    found = ET.fromstring(f"<found>{xml}</found>")  # one element, or several in <xpath-query>
    return [el for el in found.iter() if el.tag in CONSTRAINT_TAGS]


def _epochs(cib):
    """``(admin_epoch, epoch)`` of a ``<cib>`` element: they move on every configuration
    change."""
    return int(cib.get("admin_epoch", 0)), int(cib.get("epoch", 0))


def _version(cib_file):
    """The CIB's epochs now, from its top element alone."""
    out = _run(["cibadmin", "--query", "--xpath", "/cib", "--no-children"], cib_file)["stdout"]
    return _epochs(ET.fromstring(out))


def _snapshot(resource_id, cib_file):
    """``(epochs, the resource's element or None)`` from one query of the whole CIB: the
    resource as it was at those epochs (each Pacemaker tool run costs ~20 ms of CPU)."""
    cib = ET.fromstring(_run(["cibadmin", "--query"], cib_file)["stdout"])
    return _epochs(cib), cib.find(f"configuration/resources//*[@id='{resource_id}']")


def _write(action, element, cib_file, scope="resources"):
    xml = ET.tostring(element, encoding="unicode")
    _run(["cibadmin", f"--{action}", "--scope", scope, "--xml-text", xml], cib_file)


# ---------------------------------------------------------------------------------------------
# rendering and comparing (pure XML)


def _split_agent(agent):
    parts = str(agent).split(":")
    if parts[0] == "ocf" and len(parts) == 3 and all(parts):
        return {"class": "ocf", "provider": parts[1], "type": parts[2]}
    if parts[0] != "ocf" and len(parts) == 2 and all(parts):
        return {"class": parts[0], "type": parts[1]}
    raise SaltInvocationError(
        f"agent {agent!r}: expected <class>:<type> (systemd:cinder-volume) "
        "or ocf:<provider>:<type> (ocf:fuel:cinder-volume)"
    )


def _value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _nvset(parent, tag, set_id, values):
    if not values:
        return
    nvset = ET.SubElement(parent, tag, {"id": set_id})
    for name in sorted(values):
        attrs = {"id": f"{set_id}-{name}", "name": name, "value": _value(values[name])}
        ET.SubElement(nvset, "nvpair", attrs)


def _build(resource_id, agent, params, meta, ops):
    prim = ET.Element("primitive", {"id": resource_id, **_split_agent(agent)})
    _nvset(prim, "instance_attributes", f"{resource_id}-instance_attributes", params)
    _nvset(prim, "meta_attributes", f"{resource_id}-meta_attributes", meta)
    operations = ET.SubElement(prim, "operations")
    for op in ops:
        attrs = {"id": f"{resource_id}-{op['name']}-interval-{op['interval']}"}
        attrs.update((key, _value(val)) for key, val in op.items())
        ET.SubElement(operations, "op", attrs)
    return prim


def _desired(resource_id, agent, params, meta, ops):
    resource_id = _rid(resource_id)
    agent = _pick("agent", agent)
    params = _pick("params", params) or {}
    meta = dict(DEFAULT_META, **(meta or {}))
    return _build(resource_id, agent, params, meta, list(ops or DEFAULT_OPS))


def _strip(element):
    """A copy without whitespace text, attributes sorted, nvpairs/ops in a stable order."""
    copy = ET.Element(element.tag, dict(sorted(element.attrib.items())))
    children = [_strip(child) for child in element]
    if element.tag in ("instance_attributes", "meta_attributes", "utilization"):
        children.sort(key=lambda c: (c.get("name") or "", c.get("id") or ""))
    elif element.tag == "operations":
        children.sort(key=lambda c: (c.get("name") or "", c.get("interval") or ""))
    copy.extend(children)
    if element.text and element.text.strip():
        copy.text = element.text.strip()
    return copy


def _preserved(current, desired):
    """``[(set_id, nvpair)]`` of operator-owned meta nvpairs the desired XML does not set."""
    wanted = {nv.get("name") for nv in desired.iterfind("meta_attributes/nvpair")}
    out = []
    for nvset in current.iterfind("meta_attributes"):
        for nvpair in nvset.iterfind("nvpair"):
            if nvpair.get("name") in PRESERVED_META and nvpair.get("name") not in wanted:
                out.append((nvset.get("id"), nvpair))
    return out


def _without_preserved(current, desired):
    current = _strip(current)
    drop = {id(nv) for _, nv in _preserved(current, desired)}
    for nvset in list(current.iterfind("meta_attributes")):
        for nvpair in list(nvset):
            if id(nvpair) in drop:
                nvset.remove(nvpair)
        if not len(nvset):
            current.remove(nvset)
    return current


def _carry_over(current, desired):
    """The desired element plus the operator-owned meta nvpairs of the current one."""
    out = _strip(desired)
    for set_id, nvpair in _preserved(current, desired):
        nvset = out.find(f"meta_attributes[@id='{set_id}']")
        if nvset is None:
            nvset = ET.Element("meta_attributes", {"id": set_id})
            out.insert(len(out.findall("instance_attributes")), nvset)
        nvset.append(_strip(nvpair))
    return out


def _pretty(element):
    if element is None:
        return ""
    element = _strip(element)
    ET.indent(element, space="  ")
    return ET.tostring(element, encoding="unicode") + "\n"


def _unified(current, desired, resource_id):
    old = _pretty(_without_preserved(current, desired) if current is not None else None)
    new = _pretty(desired)
    lines = difflib.unified_diff(
        old.splitlines(True),
        new.splitlines(True),
        fromfile=f"{resource_id} (CIB)" if current is not None else "/dev/null",
        tofile=f"{resource_id} (desired)",
    )
    return "".join(lines)


def _current(resource_id, cib_file):
    xml = _query(resource_id, cib_file)
    return None if xml is None else ET.fromstring(xml)


# ---------------------------------------------------------------------------------------------
# public functions


def check_agent(agent=None, ocf_root=None):
    """
    Check that the resource agent can be used here; raise naming what is missing.

    Only OCF agents are checked (the script must exist and be executable at
    ``<ocf_root>/resource.d/<provider>/<type>``); ``systemd:``/``lsb:`` agents pass.

    agent
        ``systemd:cinder-volume`` or ``ocf:<provider>:<type>`` (pillar default).
    ocf_root
        The OCF root (default ``$OCF_ROOT`` or ``/usr/lib/ocf``).

    CLI Example:

    .. code-block:: bash

        salt 'ctl*' datera_cib.check_agent ocf:fuel:cinder-volume
    """
    agent = _pick("agent", agent)
    parts = _split_agent(agent)
    if parts["class"] != "ocf":
        return True
    root = ocf_root or os.environ.get("OCF_ROOT") or OCF_ROOT
    path = os.path.join(root, "resource.d", parts["provider"], parts["type"])
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise CommandExecutionError(
            f"resource agent {agent} is not installed: {path} is missing or not executable "
            "(install the OCF script there first, or use agent systemd:cinder-volume)"
        )
    return True


def resource_xml(resource_id=None, cib_file=None):
    """
    Return the CIB's XML of the resource, or ``None`` when there is none.

    resource_id
        The resource id (pillar default ``p_cinder-volume``).
    cib_file
        A CIB file to read instead of the live cluster (pillar default ``''``: live).

    CLI Example:

    .. code-block:: bash

        salt 'ctl1' datera_cib.resource_xml p_cinder-volume
    """
    return _query(_rid(resource_id), _cib(cib_file))


def render_primitive(resource_id=None, agent=None, params=None, meta=None, ops=None):
    """
    Return the desired primitive's XML (deterministic ids, sorted attributes).

    resource_id
        Resource id (pillar default ``p_cinder-volume``).
    agent
        ``systemd:cinder-volume``, ``ocf:fuel:cinder-volume``, ``ocf:openstack:cinder-volume``.
    params
        Instance attributes (dict), e.g. ``{"amqp_server_port": 5673, "multibackend": true}``.
    meta
        Meta attributes merged over ``resource-stickiness=100``.
    ops
        List of operations (dicts with ``name``, ``interval``, ``timeout``); default monitor
        every 20s (timeout 10s), start and stop with timeout 60s.

    CLI Example:

    .. code-block:: bash

        salt 'ctl1' datera_cib.render_primitive agent=ocf:fuel:cinder-volume \
            params='{amqp_server_port: 5673}'
    """
    return _pretty(_desired(resource_id, agent, params, meta, ops))


def diff(resource_id=None, agent=None, params=None, meta=None, ops=None, cib_file=None):
    """
    Return the unified diff from the CIB's resource to the desired one (``''``: no change).

    Operator-owned meta attributes (the restart record, ``target-role``, ``is-managed``) are
    not compared unless ``meta`` sets them. Arguments as in ``render_primitive``.

    CLI Example:

    .. code-block:: bash

        salt 'ctl1' datera_cib.diff params='{amqp_server_port: 5673}'
    """
    desired = _desired(resource_id, agent, params, meta, ops)
    rid = desired.get("id")
    return _unified(_current(rid, _cib(cib_file)), desired, rid)


def _check_replaceable(current, resource_id):
    if current is not None and current.tag != "primitive":
        raise CommandExecutionError(
            f"{resource_id} exists in the CIB as a <{current.tag}>, not a primitive: "
            "refusing to replace it (remove it by hand first)"
        )


def resource_present(
    resource_id=None, agent=None, params=None, meta=None, ops=None, cib_file=None, ocf_root=None
):
    """
    Create the primitive, or replace it when it differs; otherwise write nothing.

    Returns ``{"action": "created"|"updated"|"unchanged", "diff": <unified diff>,
    "retries": <0|1>}``. The resource and the CIB's epoch are read in one query (a resource
    found as desired costs just that); before a write the epoch is read again, and if it
    moved the resource is read and compared again (once); a second move raises, so a
    concurrent change is never overwritten unseen. Arguments as in ``render_primitive``,
    plus ``cib_file`` and ``ocf_root`` (see ``check_agent``).

    CLI Example:

    .. code-block:: bash

        salt 'ctl1' datera_cib.resource_present agent=systemd:cinder-volume
    """
    cib_file = _cib(cib_file)
    desired = _desired(resource_id, agent, params, meta, ops)
    rid = desired.get("id")
    check_agent(_pick("agent", agent), ocf_root)
    for attempt in range(2):
        before, current = _snapshot(rid, cib_file)
        _check_replaceable(current, rid)
        delta = _unified(current, desired, rid)
        if not delta:
            return {"action": "unchanged", "diff": "", "retries": attempt}
        if _version(cib_file) != before:
            log.warning("datera_cib: CIB changed while %s was compared; reading it again", rid)
            continue
        if current is None:
            _write("create", desired, cib_file)
            return {"action": "created", "diff": delta, "retries": attempt}
        _write("replace", _carry_over(current, desired), cib_file)
        return {"action": "updated", "diff": delta, "retries": attempt}
    raise CommandExecutionError(
        f"the CIB changed twice while {rid} was being compared (someone else is editing it); "
        "nothing written, run again"
    )


def resource_absent(resource_id=None, cib_file=None):
    """
    Delete the primitive if it exists. Returns ``{"action": "deleted"|"absent", "diff"}``.

    Constraints naming it (``rsc``, ``with-rsc``, ``first``, ``then``; e.g. the
    ``cli-prefer-*`` left by ``crm_resource --move``) are deleted first: the CIB schema
    refuses a constraint that points at a missing resource. They are part of the diff.

    CLI Example:

    .. code-block:: bash

        salt 'ctl1' datera_cib.resource_absent p_cinder-volume
    """
    cib_file = _cib(cib_file)
    rid = _rid(resource_id)
    current = _current(rid, cib_file)
    if current is None:
        return {"action": "absent", "diff": ""}
    _check_replaceable(current, rid)
    constraints = _references(rid, cib_file)
    for constraint in constraints:
        _write(
            "delete",
            ET.Element(constraint.tag, {"id": constraint.get("id")}),
            cib_file,
            "constraints",
        )
    _write("delete", ET.Element("primitive", {"id": rid}), cib_file)
    old = "".join(_pretty(el) for el in [current] + constraints).splitlines(True)
    delta = "".join(difflib.unified_diff(old, [], fromfile=f"{rid} (CIB)", tofile="/dev/null"))
    return {"action": "deleted", "diff": delta}


def exists(resource_id=None, cib_file=None):
    """
    Return whether the resource is configured in the CIB.

    CLI Example:

    .. code-block:: bash

        salt 'ctl*' datera_cib.exists p_cinder-volume
    """
    return resource_xml(resource_id, cib_file) is not None


def cluster_status(resource_id=None, cib_file=None):
    """
    Where the resource runs, from ``crm_mon --one-shot --output-as=xml``.

    On a live cluster that is the cluster's view; with a CIB file it is the file's status
    section (empty until something has written one). Returns
    ``{"resource", "exists", "role", "running_on": [node, ...], "nodes": {node: online},
    "fail_counts": {node: count}, "failed_actions": [text, ...]}`` -- the last two as
    ``crm_mon``'s *Migration Summary* and *Failed Resource Actions* show them.

    CLI Example:

    .. code-block:: bash

        salt 'ctl1' datera_cib.cluster_status
    """
    rid = _rid(resource_id)
    out = _run(["crm_mon", "--one-shot", "--output-as=xml"], _cib(cib_file))["stdout"]
    root = ET.fromstring(out)
    nodes = {n.get("name"): n.get("online") == "true" for n in root.iterfind("nodes/node")}
    res = root.find(f".//resources//resource[@id='{rid}']")
    return {
        "resource": rid,
        "exists": res is not None,
        "role": None if res is None else res.get("role"),
        "running_on": [] if res is None else [n.get("name") for n in res.iterfind("node")],
        "nodes": nodes,
        "fail_counts": _fail_counts(root, rid),
        "failed_actions": _failed_actions(root, rid),
    }


def _fail_counts(crm_mon, rid):
    counts = {}
    for node in crm_mon.iterfind("node_history/node"):
        for history in node.iterfind(f"resource_history[@id='{rid}']"):
            if int(history.get("fail-count") or 0):
                counts[node.get("name")] = int(history.get("fail-count"))
    return counts


def _failed_actions(crm_mon, rid):
    """``crm_mon``'s *Failed Resource Actions* lines for the resource."""
    lines = []
    for failure in crm_mon.iterfind("failures/failure"):
        if not failure.get("op_key", "").startswith(f"{rid}_"):
            continue
        interval = int(failure.get("interval") or 0) // 1000
        action = f"{interval}s-interval {failure.get('task')}" if interval else failure.get("task")
        reason = f" ({failure.get('exitreason')})" if failure.get("exitreason") else ""
        lines.append(
            f"{rid} {action} on {failure.get('node')} returned '{failure.get('exitstatus')}'"
            f"{reason} at {failure.get('last-rc-change')}"
        )
    return lines


def node_name():
    """
    This node's name in the cluster: pillar ``datera:pacemaker:node_name``, else the host's
    name (``uname -n``), which is what Pacemaker uses by default.

    CLI Example:

    .. code-block:: bash

        salt 'ctl*' datera_cib.node_name
    """
    return _settings().get("node_name") or __grains__["nodename"]


def started_at(resource_id=None, node=None, cib_file=None):
    """
    When the resource's current instance on ``node`` started (seconds since the epoch), from
    the CIB's status section: its last operation there (``<id>_last_0``) must be a
    successful ``start``; ``None`` otherwise (never started there, stopped, failed).

    node
        A cluster node name (default: this node, see ``node_name``).

    CLI Example:

    .. code-block:: bash

        salt 'ctl*' datera_cib.started_at p_cinder-volume
    """
    rid = _rid(resource_id)
    node = node or node_name()
    if not _ID.match(str(node)):
        raise SaltInvocationError(f"node name {node!r}: letters, digits, '_', '.', '-' only")
    xpath = (
        f"/cib/status/node_state[@uname='{node}']/lrm/lrm_resources"
        f"/lrm_resource[@id='{rid}']/lrm_rsc_op[@id='{rid}_last_0']"
    )
    xml = _query_xpath(xpath, _cib(cib_file))
    if xml is None:
        return None
    op = ET.fromstring(xml)
    if op.get("operation") != "start" or op.get("rc-code") != "0":
        return None
    try:
        return int(op.get("last-rc-change"))
    except (TypeError, ValueError):
        return None


def restart(resource_id=None, cib_file=None, timeout=None):
    """
    Restart the resource once through Pacemaker: ``crm_resource --restart --resource <id>``
    (waits up to ``timeout`` seconds, pillar ``wait_timeout``). A CIB file has no cluster
    to restart anything: nothing runs. Raises if the resource does not exist. Returns
    ``{"resource", "method"}``.

    CLI Example:

    .. code-block:: bash

        salt 'ctl1' datera_cib.restart p_cinder-volume
    """
    cib_file = _cib(cib_file)
    rid = _rid(resource_id)
    if _current(rid, cib_file) is None:
        raise CommandExecutionError(f"cannot restart {rid}: no such resource in the CIB")
    if cib_file:
        return {"resource": rid, "method": "none: a CIB file has no cluster to restart"}
    timeout = int(_pick("wait_timeout", timeout))
    _run(["crm_resource", "--restart", "--resource", rid, f"--timeout={timeout}s"], "")
    return {"resource": rid, "method": "crm_resource --restart"}


def reprobe(resource_id=None, node=None, cib_file=None):
    """
    Make Pacemaker look again at the resource on ``node`` (default: this node):
    ``crm_resource --refresh --resource <id> --node <node>`` forgets the resource's history
    there, failures included, and probes it afresh. Needed where the OCF agent was installed
    after the resource existed: the first probe found no agent ("not installed") and kept
    the resource off that node. A CIB file has no cluster to probe: nothing runs. Raises if
    the resource does not exist. Returns ``{"resource", "node", "method"}``.

    CLI Example:

    .. code-block:: bash

        salt 'ctl2' datera_cib.reprobe p_cinder-volume
    """
    cib_file = _cib(cib_file)
    rid = _rid(resource_id)
    node = node or node_name()
    if not _ID.match(str(node)):
        raise SaltInvocationError(f"node name {node!r}: letters, digits, '_', '.', '-' only")
    if _current(rid, cib_file) is None:
        raise CommandExecutionError(f"cannot reprobe {rid}: no such resource in the CIB")
    if cib_file:
        return {"resource": rid, "node": node, "method": "none: a CIB file has no cluster"}
    _run(["crm_resource", "--refresh", "--resource", rid, "--node", node], "")
    return {"resource": rid, "node": node, "method": "crm_resource --refresh"}


def wait_for_resource(resource_id=None, timeout=None, cib_file=None, running=False, interval=1):
    """
    Wait (bounded) until the resource exists in the CIB -- and, with ``running``, until it
    runs on some node. Returns the seconds waited; raises when ``timeout`` passes.

    timeout
        Seconds (pillar ``wait_timeout``, default 60).

    CLI Example:

    .. code-block:: bash

        salt 'ctl2' datera_cib.wait_for_resource p_cinder-volume timeout=120
    """
    rid = _rid(resource_id)
    timeout = float(_pick("wait_timeout", timeout))
    start = time.monotonic()
    while True:
        found = exists(rid, cib_file)
        if found and running:
            found = bool(cluster_status(rid, cib_file)["running_on"])
        waited = time.monotonic() - start
        if found:
            return round(waited, 1)
        if waited >= timeout:
            what = "running anywhere" if running and exists(rid, cib_file) else "in the CIB"
            raise CommandExecutionError(
                f"{rid} is not {what} after {timeout:g}s: the primary controller creates it "
                "(datera.primary); check that it ran and succeeded"
            )
        time.sleep(min(interval, max(timeout - waited, 0.05)))


def verify(cib_file=None):
    """
    Check the CIB with ``crm_verify``. Returns ``{"valid": bool, "messages": [...]}``.

    CLI Example:

    .. code-block:: bash

        salt 'ctl1' datera_cib.verify
    """
    cib_file = _cib(cib_file)
    args = ["crm_verify", "--xml-file", cib_file] if cib_file else ["crm_verify", "--live-check"]
    ret = _run(args, "", ok=range(256))
    text = "\n".join(part for part in (ret.get("stdout"), ret.get("stderr")) if part)
    return {"valid": ret["retcode"] == 0, "messages": [ln for ln in text.splitlines() if ln]}
