"""
Taking over a cloud the old Fuel plugin (fuel-plugin-datera-cinder) configured: the
volumes it left under its per-node hosts move to the controllers' shared host.

The old plugin ran the Datera driver in each ``cinder``-role node's own cinder-volume, so
Cinder has its volumes under hosts like ``node-5@datera#DEFAULT``. Once the formula's
one cinder-volume serves the cluster as ``<shared host>@<backend>#<volume_backend_name>``,
no service answers for the old hosts. A volume belongs to the cluster when the cluster
holds an app instance whose name carries the volume's id (how cinder's driver finds it);
Cinder's own tool moves a host's volumes (``cinder-manage volume update_host``), and only
for hosts that no running cinder-volume serves any more, then points them at the shared
host's service (``update_service``). A move under way is recorded in the primary's Salt
cache until the last ``update_service`` is done, so a run stopped between the two (the
volumes on the new host, their service the old one's) is finished by the next run, although
nothing is left for it to move.

:depends: the ``datera`` (Datera API), ``datera_volume_type`` (Cinder API) and
    ``datera_cinder`` (cinder-manage) execution modules
"""

import json
import logging
import os

import salt.utils.atomicfile
from salt.exceptions import CommandExecutionError

import datera_openstack

log = logging.getLogger(__name__)

__virtualname__ = "datera_takeover"
PAGE = 500


def __virtual__():
    return __virtualname__


def _moving_record():
    return os.path.join(__opts__["cachedir"], "datera-takeover-moving.json")


def _unfinished():
    """The old hosts of a move that stopped before its last ``update_service``."""
    try:
        with open(_moving_record(), encoding="utf-8") as record:
            return json.load(record)["hosts"]
    except FileNotFoundError:
        return []


def _cinder():
    pillar = __salt__["datera_pillar.settings"](reveal=True)["keystone"]
    return datera_openstack.cinder(pillar, None, __context__)


def _volumes(cinder):
    """Every volume of every project, with its host (admin view), page by page."""
    volumes, marker = [], None
    while True:
        path = f"/volumes/detail?all_tenants=1&limit={PAGE}"
        page = (cinder.call("GET", path + (f"&marker={marker}" if marker else "")) or {}).get(
            "volumes", []
        )
        volumes += page
        if len(page) < PAGE:
            return volumes
        marker = page[-1]["id"]


def _host(volume):
    return volume.get("os-vol-host-attr:host")


def _row(volume, on_array):
    return {
        "id": volume["id"],
        "name": volume.get("name") or "",
        "status": volume.get("status"),
        "host": _host(volume),
        "type": volume.get("volume_type"),
        "on_cluster": on_array,
    }


def _type_problems(rows, backend):
    """Volume types of the moving volumes that select another ``volume_backend_name`` than
    the one the backend reports: the scheduler would refuse them (extend, retype...)."""
    wanted = backend["volume_backend_name"]
    types = {t["name"]: t for t in __salt__["datera_volume_type.list_types"]()}
    problems = []
    for name in sorted({row["type"] for row in rows if row["type"]}):
        selects = (types.get(name) or {}).get("extra_specs", {}).get("volume_backend_name")
        if selects is not None and selects != wanted:
            problems.append(
                f"volume type {name!r} of moving volumes selects volume_backend_name="
                f"{selects}, but backend {backend['name']} reports {wanted}: set "
                f"datera:backends:{backend['name']}:volume_backend_name: {selects}"
            )
    return problems


def _served(cinder, hosts):
    """The hosts (pool part left out) a cinder-volume reports as up."""
    body = cinder.call("GET", "/os-services?binary=cinder-volume") or {}
    up = {s["host"] for s in body.get("services", []) if s.get("state") == "up"}
    return sorted(host for host in hosts if host.split("#")[0] in up)


def plan(backend=None):
    """
    What a takeover moves for one Datera backend: the volumes the cluster holds that Cinder
    has under another host than the shared one (and any other volume on those hosts, which
    moves with them), the hosts a running cinder-volume still serves (not moved until it
    stops), the problems that stop the move, and the old hosts of a move that stopped before
    its volumes were pointed at the shared host's service (``unfinished``). Changes nothing.

    Returns ``{"backend", "new_host", "hosts", "served", "volumes", "problems",
    "unfinished"}``.

    backend
        The backend (cinder.conf section); may be omitted when pillar has only one.

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_takeover.plan
    """
    conf = __salt__["datera_pillar.backend"](backend)
    shared = __salt__["datera_pillar.settings"]()["cinder"]["shared_host"]
    new_host = f"{shared}@{conf['name']}#{conf['volume_backend_name']}"
    names = [ai["name"] for ai in __salt__["datera.app_instances"](backend=conf["name"])]
    cinder = _cinder()
    volumes = [v for v in _volumes(cinder) if _host(v) and _host(v) != new_host]
    moving = [v for v in volumes if any(v["id"] in name for name in names)]
    hosts = sorted({_host(v) for v in moving})
    rows = [_row(v, v in moving) for v in volumes if _host(v) in hosts]
    return {
        "backend": conf["name"],
        "new_host": new_host,
        "hosts": hosts,
        "served": _served(cinder, hosts),
        "volumes": sorted(rows, key=lambda r: (r["host"], r["name"], r["id"])),
        "problems": _type_problems(rows, conf),
        "unfinished": _unfinished(),
    }


def move(backend=None, found=None):
    """
    Move the volumes :func:`plan` finds to the shared host, one old host at a time, and
    only the hosts no running cinder-volume serves; the volume types must match (else
    nothing moves); finish a move that stopped before its last ``update_service``. Returns
    ``{"new_host", "moved": {old host: [volume ids]}, "served": [hosts left], "finished":
    [old hosts of the stopped move]}``.

    backend
        The backend (cinder.conf section); may be omitted when pillar has only one.

    found
        The plan to carry out, as :func:`plan` returned it just before (the state passes
        the one it shows, so Cinder's volumes and the cluster are listed once); made here
        when omitted.

    CLI Example:

    .. code-block:: bash

        salt 'ctl01*' datera_takeover.move
    """
    found = found or plan(backend)
    if found["problems"]:
        raise CommandExecutionError("; ".join(found["problems"]))
    moving = [host for host in found["hosts"] if host not in found["served"]]
    record = _moving_record()
    if moving:  # written whole or not at all: a run killed here leaves no half record
        with salt.utils.atomicfile.atomic_open(record, "w") as out:
            json.dump({"hosts": sorted(set(moving + found["unfinished"]))}, out)
    moved = {}
    for host in moving:  # update_host, then update_service
        __salt__["datera_cinder.update_host"](host, found["new_host"])
        moved[host] = [row["id"] for row in found["volumes"] if row["host"] == host]
        log.info("datera_takeover: moved %d volume(s) from %s", len(moved[host]), host)
    if found["unfinished"] and not moving:
        __salt__["datera_cinder.update_service"]()
    if os.path.exists(record):
        os.remove(record)
    return {
        "new_host": found["new_host"],
        "moved": moved,
        "served": found["served"],
        "finished": found["unfinished"],
    }
