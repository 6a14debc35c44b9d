"""
Request handling: version, session, tenant, route, schema validation, envelope and paging
(``datera-api-spec.md`` sections 2-8). ``Api.handle`` turns one request into
``(status, body)``; the HTTP server around it is in ``server.py``.
"""

import re
import time
from dataclasses import dataclass, field

from . import schema as api_schema
from .errors import SESSION_MESSAGE, ApiError, bad_request, conflict, invalid, not_found
from .state import ROOT, render

VERSIONS = ("v2.1", "v2.2")
DEFAULT_LIMIT = 100
AI = r"/app_instances/(?P<ai>[^/]+)"
SI = AI + r"/storage_instances/(?P<si>[^/]+)"
VOL = SI + r"/volumes/(?P<vol>[^/]+)"


@dataclass
class Ctx:
    method: str
    version: str
    path: str  # without the version prefix and the query
    tenant: str
    query: dict
    body: object
    m: dict = field(default_factory=dict)
    route: object = None  # schema.Route


class Listing(list):
    """A collection result: the envelope gets list metadata and paging applies."""


def _routes():
    return [
        ("/system", "system"),
        ("/system/network/access_vip", "access_vip"),
        ("/storage_nodes", "storage_nodes"),
        ("/storage_nodes/(?P<id>[^/]+)", "storage_node"),
        ("/tenants", "tenants"),
        ("/tenants/(?P<tpath>.+)", "tenant"),
        ("/access_network_ip_pools", "ip_pools"),
        ("/access_network_ip_pools/(?P<name>[^/]+)", "ip_pool"),
        ("/placement_policies", "placement_policies"),
        ("/placement_policies/(?P<name>[^/]+)", "placement_policy"),
        ("/app_templates", "templates"),
        ("/app_templates/(?P<name>[^/]+)", "template"),
        ("/initiators", "initiators"),
        ("/initiators/(?P<iqn>[^/]+)", "initiator"),
        ("/initiator_groups", "groups"),
        ("/initiator_groups/(?P<name>[^/]+)", "group"),
        ("/initiator_groups/(?P<name>[^/]+)/members", "group_members"),
        ("/app_instances", "ais"),
        (AI, "ai"),
        (AI + "/(?P<mkind>metadata|int_ecosystem_data)", "ai_metadata"),
        (AI + "/snapshots", "ai_snapshots"),
        (AI + r"/snapshots/(?P<ts>[^/]+)", "ai_snapshot"),
        (AI + "/storage_instances", "sis"),
        (SI, "si"),
        (SI + "/acl_policy", "acl"),
        (SI + "/acl_policy/(?P<kind>initiators|initiator_groups)", "acl_members"),
        (SI + "/auth", "auth"),
        (SI + "/volumes", "vols"),
        (VOL, "vol"),
        (VOL + "/performance_policy", "perf"),
        (VOL + "/snapshots", "vol_snapshots"),
        (VOL + r"/snapshots/(?P<ts>[^/]+)", "vol_snapshot"),
    ]


ROUTES = [(re.compile(f"^{rx}$"), name) for rx, name in _routes()]
TENANT_SCOPED = (
    "initiators",
    "initiator",
    "groups",
    "group",
    "group_members",
    "ais",
    "ai",
    "ai_snapshots",
    "ai_snapshot",
    "sis",
    "si",
    "vols",
    "vol",
    "vol_snapshots",
    "vol_snapshot",
)


class Api:
    """
    ``versions``: the API versions this cluster serves (a subset of ``VERSIONS``, the ones the
    simulator implements). ``validate_responses``: every successful answer's ``data`` is checked
    against the product's ``returnParamSchema`` for its route and operation (the entity, or
    each item of a collection); one that does not conform is a 500 naming the violations.
    """

    def __init__(self, state, versions=VERSIONS, validate_responses=True):
        unknown = set(versions) - set(VERSIONS)
        if unknown:
            raise ValueError(f"versions {sorted(unknown)} are not simulated (only {VERSIONS})")
        self.state = state
        self.versions = tuple(versions)
        self.validate_responses = validate_responses

    def serves(self, version):
        """Whether the cluster serves ``version``: configured to, and simulated (``VERSIONS``)."""
        return version in self.versions and version in VERSIONS

    # --- entry point --------------------------------------------------------------------------

    def handle(self, method, version, path, query, headers, body):
        """``(status, body)`` for one request (an ``ApiError`` becomes its error answer)."""
        started = time.monotonic()
        try:
            if not self.serves(version):
                raise ApiError(
                    404,
                    "InvalidRouteError",
                    f"UnsupportedVersionError: API version {version} is not supported",
                )
            if path == "/login" and method == "PUT":
                return 200, self._login(version, body)
            key = headers.get("Auth-Token")
            with self.state.lock:
                if not self.state.session(key):
                    raise ApiError(401, "InvalidSessionKeyError", SESSION_MESSAGE)
                if path == "/logout" and method == "PUT":
                    self.state.sessions.pop(key, None)
                    return 200, {}
                tenant = _tenant(headers.get("tenant"))
                ctx = Ctx(method, version, path, tenant, query, body)
                envelope = self._envelope(ctx, self._dispatch(ctx), started)
                if self.validate_responses:
                    self._check_response(ctx, envelope)
                return 200, envelope
        except ApiError as exc:
            return exc.status, exc.body()

    def _login(self, version, body):
        body = {} if body is None else body
        route = api_schema.api_schema(version).match("/login")
        errors = api_schema.ApiSchema.errors(route.bodies["update"], body, mask=True)
        if errors:
            raise invalid("Validation failed for PUT /login", errors)
        with self.state.lock:
            key = self.state.login(body["name"], body["password"])
        return {"key": key, "version": version}

    def _dispatch(self, ctx):
        if ctx.path == "/api" and ctx.method == "GET":
            return _Raw(api_schema.served_schema(ctx.version))
        route = api_schema.api_schema(ctx.version).match(ctx.path)
        if route is None:
            raise ApiError(404, "InvalidRouteError", f"No route {ctx.method} {ctx.path}")
        op = api_schema.METHOD_OPS.get(ctx.method)
        if route.bodies and op not in route.bodies:
            raise ApiError(405, "InvalidRequestError", f"{ctx.method} not allowed on {route.route}")
        ctx.route = route
        self._validate(ctx, route.bodies.get(op))
        for regex, name in ROUTES:
            match = regex.match(ctx.path)
            if match:
                ctx.m = match.groupdict()
                handler = getattr(self, f"{name}_{ctx.method.lower()}", None)
                if handler is not None:
                    if name in TENANT_SCOPED:
                        self.state.ais(ctx.tenant)  # 404 for an unknown tenant
                    return handler(ctx)
                break
        if ctx.method == "GET":
            raise not_found(ctx.path)
        raise ApiError(405, "InvalidRequestError", f"{ctx.method} {ctx.path} is not simulated")

    def _validate(self, ctx, validator):
        if ctx.method == "GET":
            document = {k: _number(v) for k, v in ctx.query.items()}
        else:
            document = {} if ctx.body is None else ctx.body
            ctx.body = document
        if validator is None:
            if ctx.method != "GET" and not isinstance(document, dict):
                raise invalid("The request body must be a JSON object")
            return
        errors = api_schema.ApiSchema.errors(validator, document)
        if errors:
            raise invalid(f"Validation failed for {ctx.method} {ctx.path}", errors)

    def _check_response(self, ctx, envelope):
        validator = ctx.route.returns.get(api_schema.METHOD_OPS[ctx.method]) if ctx.route else None
        if validator is None:
            return
        data = envelope["data"]
        items = enumerate(data) if isinstance(data, list) else [(None, data)]
        errors = []
        for i, item in items:
            root = "data" if i is None else f"data/{i}"
            errors += api_schema.ApiSchema.errors(validator, item, root=root)
        if errors:
            raise ApiError(
                500,
                "InternalError",
                f"Simulator bug: the {ctx.method} {ctx.path} answer violates the returnParamSchema"
                f" of {api_schema.METHOD_OPS[ctx.method]} {ctx.route.route}",
                errors,
            )

    # --- envelope and paging ------------------------------------------------------------------

    def _envelope(self, ctx, result, started):
        if isinstance(result, _Raw):
            if ctx.version == "v2.1":
                return result.body
            result = result.body
        envelope = {"tenant": ctx.tenant, "path": ctx.path, "version": ctx.version}
        if ctx.version != "v2.1":
            envelope["request_time"] = int((time.monotonic() - started) * 1000)
        if isinstance(result, Listing):
            items, meta = self._page(ctx, result)
            envelope["data"] = [self._show(ctx, i) for i in items]
            envelope["metadata"] = meta
        else:
            shown = self._show(ctx, result)
            if isinstance(shown, dict) and isinstance(shown.get("path"), str):
                envelope["path"] = shown["path"]
            envelope["data"] = shown
        return envelope

    @staticmethod
    def _show(ctx, item):
        shown = render(item)
        if isinstance(item, dict) and "_tenant" in item:
            shown["tenant"] = item["_tenant"] or ROOT
        return shown

    def _page(self, ctx, items):
        items = [i for i in items if _matches(i, ctx.query.get("filter"))]
        if ctx.query.get("sort"):
            key = ctx.query["sort"].lstrip("-")
            items.sort(key=lambda i: str(i.get(key, "")), reverse=ctx.query["sort"][0] == "-")
        total = len(items)
        limit = int(ctx.query.get("limit", DEFAULT_LIMIT))
        if ctx.version == "v2.1":
            return items[:limit], {"total": total}
        offset = int(ctx.query.get("offset", 0))
        page = items[offset : offset + limit]
        meta = {"offset": offset, "limit": limit, "request_count": len(page), "total_count": total}
        return page, meta

    # --- system -------------------------------------------------------------------------------

    def system_get(self, ctx):
        return self.state.system

    def system_put(self, ctx):
        self.state.system.update(ctx.body)
        return self.state.system

    def access_vip_get(self, ctx):
        pool = self.state.ip_pools["default"]
        return {"path": ctx.path, "network_paths": pool["network_paths"]}

    def storage_nodes_get(self, ctx):
        return Listing(self.state.storage_nodes)

    def storage_node_get(self, ctx):
        for node in self.state.storage_nodes:
            if node["uuid"] == ctx.m["id"]:
                return node
        raise not_found(ctx.path)

    # --- tenants ------------------------------------------------------------------------------

    def tenants_get(self, ctx):
        return Listing(self.state.tenants.values())

    def tenants_post(self, ctx):
        return self.state.create_tenant(ctx.body)

    def tenant_get(self, ctx):
        return self.state.tenant("/" + ctx.m["tpath"].strip("/"))

    def tenant_put(self, ctx):
        tenant = self.tenant_get(ctx)
        tenant.update(ctx.body)
        return tenant

    def tenant_delete(self, ctx):
        return self.state.delete_tenant("/" + ctx.m["tpath"].strip("/"))

    # --- global tables ------------------------------------------------------------------------

    def _named(self, table, ctx):
        if ctx.m["name"] not in table:
            raise not_found(ctx.path)
        return table[ctx.m["name"]]

    def ip_pools_get(self, ctx):
        return Listing(self.state.ip_pools.values())

    def ip_pools_post(self, ctx):
        b = ctx.body
        return self.state.add_ip_pool(b["name"], b.get("network_paths"), b.get("descr"))

    def ip_pool_get(self, ctx):
        return self._named(self.state.ip_pools, ctx)

    def ip_pool_put(self, ctx):
        pool = self._named(self.state.ip_pools, ctx)
        pool.update(ctx.body)
        return pool

    def ip_pool_delete(self, ctx):
        self._named(self.state.ip_pools, ctx)
        if ctx.m["name"] == "default":
            raise invalid("The default access network ip pool cannot be deleted")
        return self.state.ip_pools.pop(ctx.m["name"])

    def placement_policies_get(self, ctx):
        return Listing(self.state.placement_policies.values())

    def placement_policies_post(self, ctx):
        name = ctx.body["name"]
        if name in self.state.placement_policies:
            raise conflict(f"Placement policy {name} already exists")
        policy = {"path": f"/placement_policies/{name}", "descr": "", **ctx.body}
        self.state.placement_policies[name] = policy
        return policy

    def placement_policy_get(self, ctx):
        return self._named(self.state.placement_policies, ctx)

    def placement_policy_delete(self, ctx):
        self._named(self.state.placement_policies, ctx)
        return self.state.placement_policies.pop(ctx.m["name"])

    def templates_get(self, ctx):
        return Listing(self.state.app_templates.values())

    def templates_post(self, ctx):
        name = ctx.body["name"]
        if name in self.state.app_templates:
            raise conflict(f"App template {name} already exists")
        tmpl = {
            "path": f"/app_templates/{name}",
            "descr": "",
            "storage_templates": [],
            "snapshot_policies": [],
            "app_instances": [],
            **ctx.body,
        }
        self.state.app_templates[name] = tmpl
        return tmpl

    def template_get(self, ctx):
        return self._named(self.state.app_templates, ctx)

    def template_put(self, ctx):
        tmpl = self._named(self.state.app_templates, ctx)
        tmpl.update(ctx.body)
        return tmpl

    def template_delete(self, ctx):
        self._named(self.state.app_templates, ctx)
        return self.state.app_templates.pop(ctx.m["name"])

    # --- initiators and groups (per tenant) ---------------------------------------------------

    def _inits(self, ctx):
        return self.state._scoped(self.state.initiators, ctx.tenant)

    def _groups(self, ctx):
        return self.state._scoped(self.state.initiator_groups, ctx.tenant)

    def initiators_get(self, ctx):
        return Listing(self._inits(ctx).values())

    def initiators_post(self, ctx):
        inits, iqn = self._inits(ctx), ctx.body["id"]
        if iqn in inits:
            raise conflict(f"Initiator {iqn} already exists")
        inits[iqn] = {
            "path": f"/initiators/{iqn}",
            "id": iqn,
            "name": ctx.body["name"],
            "_tenant": ctx.tenant,
        }
        return inits[iqn]

    def initiator_get(self, ctx):
        inits = self._inits(ctx)
        if ctx.m["iqn"] not in inits:
            raise not_found(ctx.path)
        return inits[ctx.m["iqn"]]

    def initiator_put(self, ctx):
        init = self.initiator_get(ctx)
        init.update(ctx.body)
        return init

    def initiator_delete(self, ctx):
        self.initiator_get(ctx)
        return self._inits(ctx).pop(ctx.m["iqn"])

    def groups_get(self, ctx):
        return Listing(self._groups(ctx).values())

    def groups_post(self, ctx):
        groups, name = self._groups(ctx), ctx.body["name"]
        if name in groups:
            raise conflict(f"Initiator group {name} already exists")
        members = self._members(ctx, ctx.body.get("members") or [])
        groups[name] = {
            "path": f"/initiator_groups/{name}",
            "name": name,
            "members": members,
            "_tenant": ctx.tenant,
        }
        return groups[name]

    def _members(self, ctx, refs):
        for ref in refs:
            self.state._find_initiator(ctx.tenant, ref["path"])
        return [{"path": ref["path"]} for ref in refs]

    def group_get(self, ctx):
        return self._named(self._groups(ctx), ctx)

    def group_put(self, ctx):
        group = self.group_get(ctx)
        if "members" in ctx.body:
            group["members"] = self._members(ctx, ctx.body["members"])
        return group

    def group_delete(self, ctx):
        self.group_get(ctx)
        return self._groups(ctx).pop(ctx.m["name"])

    def group_members_get(self, ctx):
        return Listing(self.group_get(ctx)["members"])

    def group_members_put(self, ctx):
        group = self.group_get(ctx)
        group["members"] = _add_remove(group["members"], ctx.body, self._members(ctx, [ctx.body]))
        return group

    # --- app instances ------------------------------------------------------------------------

    def _ai(self, ctx):
        return self.state.ai(ctx.tenant, ctx.m["ai"], f"/app_instances/{ctx.m['ai']}")

    def ais_get(self, ctx):
        return Listing(self.state.ais(ctx.tenant).values())

    def ais_post(self, ctx):
        return self.state.create_ai(ctx.tenant, ctx.body)

    def ai_get(self, ctx):
        return self._ai(ctx)

    def ai_put(self, ctx):
        return self.state.update_ai(ctx.tenant, self._ai(ctx), ctx.body)

    def ai_delete(self, ctx):
        return self.state.delete_ai(ctx.tenant, self._ai(ctx), ctx.body)

    def ai_metadata_get(self, ctx):
        return self._ai(ctx)["_metadata"]

    def ai_metadata_put(self, ctx):
        meta = self._ai(ctx)["_metadata"]
        new = ctx.body.get("data") if ctx.m["mkind"] == "int_ecosystem_data" else ctx.body
        if not isinstance(new, dict):
            raise invalid("Metadata must be an object")
        meta.update(new)
        return meta

    def ai_snapshots_get(self, ctx):
        return Listing(self.state.read_snapshot(s) for s in self._ai(ctx)["snapshots"])

    def ai_snapshots_post(self, ctx):
        return self.state.add_snapshot(self._ai(ctx), ctx.body, ctx.tenant)

    def ai_snapshot_get(self, ctx):
        snap = self.state.snapshot(self._ai(ctx), ctx.m["ts"], ctx.path)
        return self.state.read_snapshot(snap)

    def ai_snapshot_delete(self, ctx):
        return self._delete_snapshot(self._ai(ctx), ctx)

    def _delete_snapshot(self, owner, ctx):
        snap = self.state.snapshot(owner, ctx.m["ts"], ctx.path)
        owner["snapshots"].remove(snap)
        return snap

    # --- storage instances --------------------------------------------------------------------

    def _si(self, ctx):
        ai = self._ai(ctx)
        return self.state.si(ai, ctx.m["si"], f"{ai['path']}/storage_instances")

    def sis_get(self, ctx):
        return Listing(self._ai(ctx)["storage_instances"])

    def sis_post(self, ctx):
        return self.state._add_si(self._ai(ctx), ctx.body)

    def si_get(self, ctx):
        return self._si(ctx)

    def si_put(self, ctx):
        return self.state.update_si(self._si(ctx), ctx.body)

    def si_delete(self, ctx):
        ai, si = self._ai(ctx), self._si(ctx)
        if si["admin_state"] == "online" and not ctx.body.get("force"):
            raise invalid(f"Storage instance {si['name']} must be offline before it is deleted")
        ai["storage_instances"].remove(si)
        return si

    def acl_get(self, ctx):
        return self._si(ctx)["acl_policy"]

    def acl_put(self, ctx):
        return self.state.set_acl(self._si(ctx), ctx.body)

    def acl_members_get(self, ctx):
        return Listing(self._si(ctx)["acl_policy"][ctx.m["kind"]])

    def acl_members_put(self, ctx):
        si = self._si(ctx)
        acl = si["acl_policy"]
        current = [{"path": r["path"]} for r in acl[ctx.m["kind"]]]
        wanted = _add_remove(current, ctx.body, [{"path": ctx.body["path"]}])
        return self.state.set_acl(si, {ctx.m["kind"]: [{"path": r["path"]} for r in wanted]})

    def auth_get(self, ctx):
        return self._si(ctx)["auth"]

    def auth_put(self, ctx):
        return self.state.set_auth(self._si(ctx), ctx.body)

    # --- volumes ------------------------------------------------------------------------------

    def _vol(self, ctx):
        si = self._si(ctx)
        return self.state.volume(si, ctx.m["vol"], f"{si['path']}/volumes")

    def vols_get(self, ctx):
        return Listing(self._si(ctx)["volumes"])

    def vols_post(self, ctx):
        return self.state.add_volume(self._si(ctx), ctx.body)

    def vol_get(self, ctx):
        return self._vol(ctx)

    def vol_put(self, ctx):
        return self.state.update_volume(self._si(ctx), self._vol(ctx), ctx.body)

    def vol_delete(self, ctx):
        si, vol = self._si(ctx), self._vol(ctx)
        if si["admin_state"] == "online":
            raise invalid(f"Volume {vol['name']} must be offline before it is deleted")
        si["volumes"].remove(vol)
        return vol

    def perf_get(self, ctx):
        vol = self._vol(ctx)
        if "performance_policy" not in vol:
            raise not_found(ctx.path)
        return vol["performance_policy"]

    def perf_post(self, ctx):
        vol = self._vol(ctx)
        if "performance_policy" in vol:
            raise conflict(f"{ctx.path} already exists")
        vol["performance_policy"] = {"path": f"{vol['path']}/performance_policy", **ctx.body}
        return vol["performance_policy"]

    def perf_put(self, ctx):
        policy = self.perf_get(ctx)
        policy.update(ctx.body)
        return policy

    def perf_delete(self, ctx):
        self.perf_get(ctx)
        return self._vol(ctx).pop("performance_policy")

    def vol_snapshots_get(self, ctx):
        return Listing(self.state.read_snapshot(s) for s in self._vol(ctx)["snapshots"])

    def vol_snapshots_post(self, ctx):
        return self.state.add_snapshot(self._vol(ctx), ctx.body, ctx.tenant)

    def vol_snapshot_get(self, ctx):
        snap = self.state.snapshot(self._vol(ctx), ctx.m["ts"], ctx.path)
        return self.state.read_snapshot(snap)

    def vol_snapshot_delete(self, ctx):
        return self._delete_snapshot(self._vol(ctx), ctx)


class _Raw:
    def __init__(self, body):
        self.body = body


def _tenant(header):
    value = (header or ROOT).strip()
    if value == "all":
        return ROOT
    value = "/" + value.strip("/")
    return value if value.startswith(ROOT) else ROOT + value


def _number(value):
    return int(value) if re.fullmatch(r"-?\d+", value or "") else value


_MATCH = re.compile(r"^match\((?P<attr>\w+),(?P<rx>.*)\)$")
_EQ = re.compile(r"^(?P<attr>\w+)=(?P<value>.*)$")


def _matches(item, rql):
    if not rql:
        return True
    found = _MATCH.match(rql)
    if found:
        try:
            return re.search(found["rx"], str(item.get(found["attr"], ""))) is not None
        except re.error as exc:
            raise bad_request(f"Bad filter {rql!r}: {exc}") from exc
    found = _EQ.match(rql)
    if found:
        return str(item.get(found["attr"], "")) == found["value"]
    raise bad_request(f"Unsupported filter {rql!r}")


def _add_remove(current, body, resolved):
    paths = [r["path"] for r in current]
    if body["op"] == "add":
        return current if body["path"] in paths else current + resolved
    if body["op"] == "remove":
        return [r for r in current if r["path"] != body["path"]]
    raise invalid(f"op must be add or remove, not {body['op']!r}")
