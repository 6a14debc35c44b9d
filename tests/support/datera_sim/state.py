"""
The simulated cluster's objects and the rules the real array enforces on them.

Everything is plain dicts in the API's own shape (``path`` included); keys starting with ``_``
are internal and never rendered. App instances, initiators and initiator groups belong to a
tenant (the ``tenant`` header); system, tenants, ip pools, templates and placement policies are
global (``datera-api-spec.md`` section 4). Rules marked [I] in the spec are choices:

- a new app instance is ``offline``; online makes its storage instances ``available`` with
  ``access.ips`` from the ip pool, offline empties them;
- deleting an online app instance without ``force`` is 422; so is shrinking a volume,
  lowering its replica count, or restoring while online;
- duplicates (app instance name in a tenant, tenant, initiator, group, pool, template,
  snapshot uuid, performance policy) are 409; unknown references in a body are 422;
- a new snapshot answers ``creating`` to its POST and to the next ``snapshot_pending_reads``
  reads, then ``available``.
"""

import copy
import ipaddress
import secrets
import threading
import time
import uuid

from tests.support import secrets as handed_out

from .errors import ApiError, conflict, invalid, not_found

GIB = 2**30
ROOT = "/root"
IQN_PREFIX = "iqn.2013-05.com.daterainc:tc:01:sn:"
POOL_PREFIX = "/access_network_ip_pools/"


def render(obj):
    """A deep copy without internal (``_``) keys."""
    if isinstance(obj, dict):
        return {k: render(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [render(v) for v in obj]
    return obj


def _ref(path, tenant=ROOT):
    return {"path": path, "resolved_path": path, "resolved_tenant": tenant}


def _hidden_auth(path, auth=None):
    auth = auth or {}
    return {
        "path": path,
        "type": auth.get("type", "none"),
        "initiator_user_name": auth.get("initiator_user_name", ""),
        "initiator_pswd": "(hidden)",
        "target_user_name": auth.get("target_user_name", ""),
        "target_pswd": "(hidden)",
    }


class State:
    """In-memory cluster. Callers hold ``lock`` (the server does, per request)."""

    def __init__(self, users=None, access_networks=("172.28.41.0/24", "172.29.41.0/24")):
        self.lock = threading.RLock()
        self.users = dict(users or {"admin": "password"})
        self.sessions = {}  # key -> {"user", "expires"}
        self.session_ttl = 900.0  # seconds; the SDK README says keys live 15 minutes
        self.snapshot_pending_reads = 0
        self.storage_nodes = [
            {
                "path": f"/storage_nodes/{node}",
                "uuid": node,
                "name": f"node-{i}",
                "op_state": "online",
                "health": "ok",
            }
            for i, node in enumerate(
                ("75f2cae4-5c77-45ed-8b4e-b46e7236a8eb", "90340b4c-615c-45af-9dd4-fa2a45173a31"), 1
            )
        ]
        self.system = {
            "path": "/system",
            "name": "datera-sim",
            "uuid": str(uuid.uuid4()),
            "sw_version": "3.3.5",
            "build_version": "sim-3.3.5",
            "health": "ok",
            "op_state": "running",
            "total_capacity": 10 * 1024 * GIB,
            "available_capacity": 9 * 1024 * GIB,
            "total_provisioned_capacity": 0,
            "all_flash_total_capacity": 0,
            "all_flash_available_capacity": 0,
            "all_flash_provisioned_capacity": 0,
            "hybrid_total_capacity": 10 * 1024 * GIB,
            "hybrid_available_capacity": 9 * 1024 * GIB,
            "hybrid_provisioned_capacity": 0,
            "compression_enabled": False,
            "compression_ratio": "1.0",
            "l3_enabled": False,
            "callhome_enabled": False,
            "uptime": 123456,
            "timezone": "UTC",
            "causes": [],
            "access_interface_aggr_type": "single",
            "internal_interface_aggr_type": "single",
            "interface_aggregation_mode": "active-backup",
            "ntp_servers": [],
        }
        self.tenants = {ROOT: self._tenant_entity(ROOT, "root", None, None)}
        paths = [
            {
                "name": f"access_{i}",
                "netmask": ipaddress.ip_network(net).prefixlen,
                "vlan": 0,
                "start_ip": str(ipaddress.ip_network(net).network_address + 10),
                "range": 200,
                "mtu": 1500,
            }
            for i, net in enumerate(access_networks, 1)
        ]
        self.ip_pools = {}
        self.add_ip_pool("default", paths)
        self.placement_policies = {
            "default": {"path": "/placement_policies/default", "name": "default", "descr": ""}
        }
        self.app_templates = {}
        self.app_instances = {}  # tenant -> {id: ai}
        self.initiators = {}  # tenant -> {iqn: initiator}
        self.initiator_groups = {}  # tenant -> {name: group}
        self._ip_cursor = 0
        self._last_ts = 0

    # --- sessions -----------------------------------------------------------------------------

    def login(self, name, password):
        if name not in self.users or self.users[name] != password:
            raise ApiError(401, "AuthFailedError", "Authentication failed: bad name or password")
        key = handed_out.issued(secrets.token_hex(16))
        self.sessions[key] = {"user": name, "expires": time.monotonic() + self.session_ttl}
        return key

    def session(self, key):
        found = self.sessions.get(key or "")
        if not found or found["expires"] < time.monotonic():
            self.sessions.pop(key or "", None)
            return None
        return found

    # --- tenants ------------------------------------------------------------------------------

    @staticmethod
    def _tenant_entity(path, name, descr, parent):
        tenant = {"path": path, "name": name, "descr": descr, "subtenants": []}
        if parent is not None:
            tenant["parent_path"] = parent
        return tenant

    def tenant(self, path):
        if path not in self.tenants:
            raise not_found(f"/tenants{path}")
        return self.tenants[path]

    def create_tenant(self, body):
        parent = body.get("parent_path") or ROOT
        if parent not in self.tenants:
            raise invalid(f"parent_path {parent} is not a tenant")
        path = f"{parent.rstrip('/')}/{body['name']}"
        if body["name"] == "root" or path in self.tenants:
            raise conflict(f"Tenant {path} already exists")
        self.tenants[path] = self._tenant_entity(path, body["name"], body.get("descr"), parent)
        self.tenants[parent]["subtenants"].append({"path": path})
        return self.tenants[path]

    def delete_tenant(self, path):
        tenant = self.tenant(path)
        if path == ROOT or tenant["subtenants"] or self.app_instances.get(path):
            raise invalid(f"Tenant {path} is not empty")
        del self.tenants[path]
        parent = self.tenants[tenant["parent_path"]]
        parent["subtenants"] = [s for s in parent["subtenants"] if s["path"] != path]
        return tenant

    def _scoped(self, table, tenant):
        if tenant not in self.tenants:
            raise not_found(f"/tenants{tenant}")
        return table.setdefault(tenant, {})

    # --- ip pools, templates, placement policies ----------------------------------------------

    def add_ip_pool(self, name, network_paths, descr=""):
        if name in self.ip_pools:
            raise conflict(f"Access network ip pool {name} already exists")
        self.ip_pools[name] = {
            "path": POOL_PREFIX + name,
            "name": name,
            "descr": descr or "",
            "network_paths": [dict(p) for p in network_paths or []],
        }
        return self.ip_pools[name]

    def _allocate_ips(self, pool_path):
        pool = self.ip_pools.get(pool_path.rsplit("/", 1)[-1]) or self.ip_pools["default"]
        self._ip_cursor += 1
        ips = []
        for npath in pool["network_paths"]:
            if npath.get("start_ip"):
                offset = self._ip_cursor % max(int(npath.get("range", 1)), 1)
                ips.append(str(ipaddress.ip_address(npath["start_ip"]) + offset))
        return ips

    def check_ref(self, ref, prefix, table, what):
        path = (ref or {}).get("path", "")
        name = path[len(prefix) :] if path.startswith(prefix) else None
        if name not in table:
            raise invalid(f"{what} {path!r} does not exist")
        return table[name]

    # --- app instances ------------------------------------------------------------------------

    def ais(self, tenant):
        return self._scoped(self.app_instances, tenant)

    def ai(self, tenant, key, path):
        table = self.ais(tenant)
        if key in table:
            return table[key]
        for found in table.values():
            if found["name"] == key:
                return found
        raise not_found(path)

    def create_ai(self, tenant, body):
        table = self.ais(tenant)
        if any(a["name"] == body["name"] for a in table.values()):
            raise conflict(f"App instance {body['name']} already exists in tenant {tenant}")
        ai_id = str(uuid.uuid4())
        path = f"/app_instances/{ai_id}"
        ai = {
            "path": path,
            "id": ai_id,
            "name": body["name"],
            "uuid": body.get("uuid") or "00000000-0000-0000-0000-000000000000",
            "descr": body.get("descr") or "",
            "health": "ok",
            "admin_state": "offline",
            "create_mode": body.get("create_mode", "normal"),
            "access_control_mode": body.get("access_control_mode", "deny_all"),
            "deployment_state": "deployed",
            "causes": [],
            "app_template": {"path": "", "resolved_path": "", "resolved_tenant": ""},
            "storage_instances": [],
            "snapshots": [],
            "snapshot_policies": list(body.get("snapshot_policies") or []),
            "_metadata": {},
            "_tenant": tenant,
        }
        for si_body in self._si_bodies(tenant, body):
            self._add_si(ai, si_body)
        table[ai_id] = ai
        return ai

    def _si_bodies(self, tenant, body):
        """Storage-instance create bodies for any of the create forms."""
        sources = [k for k in ("clone_src", "clone_volume_src", "clone_snapshot_src") if k in body]
        if body.get("app_template"):
            sources.append("app_template")
        if len(sources) > 1 or (sources and body.get("storage_instances")):
            raise invalid("Only one of storage_instances, app_template or a clone source")
        if not sources:
            return body.get("storage_instances") or []
        kind = sources[0]
        if kind == "app_template":
            tmpl = self.check_ref(body["app_template"], "/app_templates/", self.app_templates, "")
            return self._from_template(tmpl, body.get("template_override") or {})
        src = self.resolve(tenant, body[kind]["path"])
        if kind == "clone_src":
            return [self._copy_si(si) for si in src["storage_instances"]]
        if kind == "clone_snapshot_src":
            if "utc_ts" not in src:
                raise invalid(f"{body[kind]['path']} is not a snapshot")
            src = src["_volume"]
        if "replica_count" not in src:
            raise invalid(f"{body[kind]['path']} is not a volume")
        return [{"name": "storage-1", "volumes": [self._copy_vol(src, "volume-1")]}]

    @staticmethod
    def _copy_vol(vol, name=None):
        keep = ("size", "replica_count", "placement_mode")
        return {"name": name or vol["name"], **{k: vol[k] for k in keep}}

    def _copy_si(self, si):
        return {
            "name": si["name"],
            "ip_pool": {"path": si["ip_pool"]["path"]},
            "volumes": [self._copy_vol(v) for v in si["volumes"]],
        }

    def _from_template(self, tmpl, override):
        over = override.get("storage_instances") or {}
        sis = []
        for st in tmpl.get("storage_templates", []):
            vols = []
            for vt in st.get("volume_templates", []):
                vol = {k: vt[k] for k in ("name", "size", "replica_count") if k in vt}
                vol.setdefault("replica_count", 3)
                size = (over.get(st["name"], {}).get("volumes", {}).get(vt["name"]) or {}).get(
                    "size"
                )
                if size is not None:
                    vol["size"] = int(size)
                vols.append(vol)
            pool = st.get("ip_pool") or {"path": POOL_PREFIX + "default"}
            if isinstance(pool, str):
                pool = {"path": pool}
            sis.append({"name": st["name"], "ip_pool": pool, "volumes": vols})
        return sis

    def _add_si(self, ai, body):
        name = body["name"]
        if any(s["name"] == name for s in ai["storage_instances"]):
            raise conflict(f"Storage instance {name} already exists")
        pool = body.get("ip_pool") or {"path": POOL_PREFIX + "default"}
        self.check_ref(pool, POOL_PREFIX, self.ip_pools, "Access network ip pool")
        path = f"{ai['path']}/storage_instances/{name}"
        si = {
            "path": path,
            "name": name,
            "uuid": str(uuid.uuid4()),
            "health": "ok",
            "admin_state": body.get("admin_state", ai["admin_state"]),
            "op_state": "unavailable",
            "deployment_state": "deployed",
            "causes": [],
            "access_control_mode": body.get("access_control_mode", ai["access_control_mode"]),
            "acl_policy": {"path": path + "/acl_policy", "initiators": [], "initiator_groups": []},
            "ip_pool": _ref(pool["path"]),
            "access": {
                "path": path + "/access",
                "ips": [],
                "iqn": IQN_PREFIX + secrets.token_hex(8),
            },
            "auth": _hidden_auth(path + "/auth"),
            "active_initiators": [],
            "active_storage_nodes": [{"path": self.storage_nodes[0]["path"]}],
            "volumes": [],
            "_tenant": ai.get("_tenant"),
        }
        for vol_body in body.get("volumes") or []:
            self.add_volume(si, vol_body)
        ai["storage_instances"].append(si)
        self.set_si_state(si, si["admin_state"])
        return si

    def set_si_state(self, si, admin_state):
        si["admin_state"] = admin_state
        online = admin_state == "online"
        si["op_state"] = "available" if online else "unavailable"
        if online and not si["access"]["ips"]:
            si["access"]["ips"] = self._allocate_ips(si["ip_pool"]["path"])
        elif not online:
            si["access"]["ips"] = []
        for vol in si["volumes"]:
            vol["op_state"] = "available" if online else "unavailable"

    def update_ai(self, tenant, ai, body):
        if "name" in body and body["name"] != ai["name"]:
            if any(a["name"] == body["name"] for a in self.ais(tenant).values()):
                raise conflict(f"App instance {body['name']} already exists in tenant {tenant}")
            ai["name"] = body["name"]
        if "descr" in body:
            ai["descr"] = body["descr"] or ""
        if "restore_point" in body:
            if ai["admin_state"] == "online":
                raise invalid("App instance must be offline to restore")
            ai["restore_point"] = body["restore_point"]
        for si_body in body.get("storage_instances") or []:
            si = self.si(ai, si_body.get("name"), f"{ai['path']}/storage_instances")
            self.update_si(si, {k: v for k, v in si_body.items() if k != "name"})
        if body.get("snapshot_policies") is not None:
            ai["snapshot_policies"] = list(body["snapshot_policies"])
        if "admin_state" in body:
            ai["admin_state"] = body["admin_state"]
            for si in ai["storage_instances"]:
                self.set_si_state(si, body["admin_state"])
        return ai

    def delete_ai(self, tenant, ai, body):
        if ai["admin_state"] == "online" and not body.get("force"):
            raise invalid(f"App instance {ai['name']} must be offline before it is deleted")
        del self.ais(tenant)[ai["id"]]
        ai["admin_state"] = "offline"
        return ai

    # --- storage instances, volumes -----------------------------------------------------------

    @staticmethod
    def si(ai, name, path):
        for si in ai["storage_instances"]:
            if si["name"] == name:
                return si
        raise not_found(f"{path}/{name}")

    def update_si(self, si, body):
        if "ip_pool" in body:
            self.check_ref(body["ip_pool"], POOL_PREFIX, self.ip_pools, "Access network ip pool")
            si["ip_pool"] = _ref(body["ip_pool"]["path"])
            si["access"]["ips"] = []
        if "access_control_mode" in body:
            si["access_control_mode"] = body["access_control_mode"]
        if "acl_policy" in body:
            self.set_acl(si, body["acl_policy"])
        if "auth" in body:
            self.set_auth(si, body["auth"])
        for vol_body in body.get("volumes") or []:
            vol = self.volume(si, vol_body.get("name"), f"{si['path']}/volumes")
            self.update_volume(si, vol, {k: v for k, v in vol_body.items() if k != "name"})
        self.set_si_state(si, body.get("admin_state", si["admin_state"]))
        return si

    def set_acl(self, si, body):
        tenant = si.get("_tenant") or ROOT
        acl = si["acl_policy"]
        for key, table in (("initiators", self.initiators), ("initiator_groups", None)):
            if key not in body:
                continue
            for ref in body[key]:  # each must exist (in this tenant or /root)
                if table is not None:
                    self._find_initiator(tenant, ref["path"])
                else:
                    self._find_group(tenant, ref["path"])
            acl[key] = [{"path": ref["path"]} for ref in body[key]]  # read back as {path}
        return acl

    def _find_initiator(self, tenant, path):
        iqn = path.rsplit("/", 1)[-1]
        for owner in (tenant, ROOT):
            if path.startswith("/initiators/") and iqn in self.initiators.get(owner, {}):
                return owner
        raise invalid(f"Initiator {path!r} does not exist")

    def _find_group(self, tenant, path):
        name = path.rsplit("/", 1)[-1]
        for owner in (tenant, ROOT):
            if path.startswith("/initiator_groups/") and name in self.initiator_groups.get(
                owner, {}
            ):
                return owner
        raise invalid(f"Initiator group {path!r} does not exist")

    def set_auth(self, si, body):
        secret = dict(si.get("_auth") or {})
        secret.update(body)
        if secret.get("type") in ("chap", "mchap") and not secret.get("target_user_name"):
            raise invalid("CHAP needs target_user_name and target_pswd")
        si["_auth"] = secret
        si["auth"] = _hidden_auth(si["path"] + "/auth", secret)
        return si["auth"]

    def add_volume(self, si, body):
        name = body["name"]
        if any(v["name"] == name for v in si["volumes"]):
            raise conflict(f"Volume {name} already exists")
        policy = body.get("placement_policy") or {"path": "/placement_policies/default"}
        self.check_ref(policy, "/placement_policies/", self.placement_policies, "Placement policy")
        path = f"{si['path']}/volumes/{name}"
        vol = {
            "path": path,
            "name": name,
            "uuid": str(uuid.uuid4()),
            "size": body["size"],
            "capacity_in_use": 0,
            "replica_count": body.get("replica_count", 3),
            "placement_mode": body.get("placement_mode", "hybrid"),
            "placement_policy": _ref(policy["path"]),
            "op_state": "unavailable",
            "availability_state": "available",
            "health": "ok",
            "deployment_state": "deployed",
            "causes": [],
            "active_storage_nodes": [{"path": n["path"]} for n in self.storage_nodes],
            "snapshots": [],
            "snapshot_policies": list(body.get("snapshot_policies") or []),
            "effective_size": 0,
            "exclusive_size": 0,
            "logical_size": 0,
            "physical_size": 0,
        }
        if body.get("performance_policy"):
            vol["performance_policy"] = {
                "path": path + "/performance_policy",
                **body["performance_policy"],
            }
        si["volumes"].append(vol)
        return vol

    @staticmethod
    def volume(si, name, path):
        for vol in si["volumes"]:
            if vol["name"] == name:
                return vol
        raise not_found(f"{path}/{name}")

    def update_volume(self, si, vol, body):
        if "size" in body and body["size"] != vol["size"]:
            if body["size"] < vol["size"]:
                raise invalid(f"Volume size can only grow ({vol['size']} -> {body['size']} GiB)")
            vol["size"] = body["size"]
        if "replica_count" in body:
            if body["replica_count"] < vol["replica_count"]:
                raise invalid("replica_count can only be increased")
            vol["replica_count"] = body["replica_count"]
        if "placement_mode" in body:
            vol["placement_mode"] = body["placement_mode"]
        if "placement_policy" in body:
            self.check_ref(
                body["placement_policy"],
                "/placement_policies/",
                self.placement_policies,
                "Placement policy",
            )
            vol["placement_policy"] = _ref(body["placement_policy"]["path"])
        if "restore_point" in body:
            if si["admin_state"] == "online":
                raise invalid("The app instance must be offline to restore a volume")
            if not any(s["utc_ts"] == body["restore_point"] for s in vol["snapshots"]):
                raise invalid(f"No snapshot {body['restore_point']} to restore")
            vol["restore_point"] = body["restore_point"]
        return vol

    # --- snapshots ----------------------------------------------------------------------------

    def _timestamp(self):
        now = max(time.time_ns(), self._last_ts + 1)
        self._last_ts = now
        return f"{now // 10**9}.{now % 10**9:09d}"

    def add_snapshot(self, owner, body, tenant):
        snap_uuid = (body or {}).get("uuid") or str(uuid.uuid4())
        for ai in self.ais(tenant).values():
            for found in self._all_snapshots(ai):
                if found["uuid"] == snap_uuid:
                    raise conflict(f"Snapshot with uuid {snap_uuid} already exists")
        stamp = self._timestamp()
        snap = {
            "path": f"{owner['path']}/snapshots/{stamp}",
            "timestamp": stamp,
            "utc_ts": stamp,
            "uuid": snap_uuid,
            "op_state": "creating",
            "_pending": self.snapshot_pending_reads,
            "_volume": owner,
        }
        owner["snapshots"].append(snap)
        return snap

    @staticmethod
    def _all_snapshots(ai):
        yield from ai["snapshots"]
        for si in ai["storage_instances"]:
            for vol in si["volumes"]:
                yield from vol["snapshots"]

    @staticmethod
    def read_snapshot(snap):
        """A read of a snapshot advances it towards ``available``."""
        if snap["_pending"] > 0:
            snap["_pending"] -= 1
            snap["op_state"] = "creating"
        else:
            snap["op_state"] = "available"
        return snap

    @staticmethod
    def snapshot(owner, ts, path):
        for snap in owner["snapshots"]:
            if snap["utc_ts"] == ts:
                return snap
        raise not_found(path)

    # --- path resolution (clone sources) ------------------------------------------------------

    def resolve(self, tenant, path):
        """The app instance, volume or snapshot at ``path`` (404 if there is none)."""
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "app_instances":
            raise not_found(path)
        obj = self.ai(tenant, parts[1], path)
        rest = parts[2:]
        while rest:
            if len(rest) < 2:
                raise not_found(path)
            kind, name, rest = rest[0], rest[1], rest[2:]
            if kind == "storage_instances" and "storage_instances" in obj:
                obj = self.si(obj, name, path)
            elif kind == "volumes" and "volumes" in obj:
                obj = self.volume(obj, name, path)
            elif kind == "snapshots" and "snapshots" in obj:
                obj = self.snapshot(obj, name, path)
            else:
                raise not_found(path)
        return obj

    def snapshot_copy(self):
        """A rendered copy of everything, for assertions."""
        with self.lock:
            return copy.deepcopy(
                render(
                    {
                        "tenants": self.tenants,
                        "app_instances": self.app_instances,
                        "initiators": self.initiators,
                        "initiator_groups": self.initiator_groups,
                    }
                )
            )
