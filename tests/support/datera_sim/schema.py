"""
The ``/vX/api`` endpoint schema: what the simulator serves and validates request bodies with.

v2.1 is the product's own dump (``tests/fixtures/datera/api_endpoint_21.txt``), served as is.
v2.2 is derived from it with the additions real v2.2 clients (cinder 29 on product 3.3) send
and that the v2.1 schema forbids through ``additionalProperties: false`` [I]:

- ``offset`` on every collection read (v2.2 paging);
- ``template_override`` on app_instance create (cinder looks for it in this schema);
- ``placement_policy`` (and ``performance_policy``) on volume create, ``placement_policy`` on
  volume update;
- ``force`` on initiator create (cinder's DAT-15931 workaround; v2.1 rejects it);
- the routes ``/app_instances/:id/int_ecosystem_data`` and ``/placement_policies[/:name]``.
"""

import copy
import json
import re
from functools import lru_cache

import jsonschema

from tests.support.paths import DATERA_FIXTURES

FIXTURE = DATERA_FIXTURES / "api_endpoint_21.txt"
METHOD_OPS = {"GET": "read", "POST": "create", "PUT": "update", "DELETE": "delete"}
_REF = {
    "type": "object",
    "properties": {"path": {"type": "string", "pattern": r"(^(\/)$)|(^(\/[^\/]+)+$)"}},
    "additionalProperties": False,
    "required": ["path"],
}


@lru_cache(maxsize=1)
def _raw_21_text():
    return FIXTURE.read_text()


def served_schema(version):
    """The body ``GET /<version>/api`` returns (a fresh copy)."""
    schema = json.loads(_raw_21_text())
    if version == "v2.1":
        return schema
    return _make_22(schema)


def _make_22(schema):
    schema["version"] = "v2.2"
    for ops in schema.values():
        read = ops.get("read") if isinstance(ops, dict) else None
        props = ((read or {}).get("bodyParamSchema") or {}).get("properties") or {}
        if "limit" in props:
            props["offset"] = {"type": "integer", "minimum": 0, "descr": "Paging offset"}
    create = schema["/app_instances"]["create"]["bodyParamSchema"]["properties"]
    create["template_override"] = {
        "type": "object",
        "descr": "Override attributes of the template (storage_instances keyed by name)",
    }
    vol = create["storage_instances"]["items"]["properties"]["volumes"]["items"]["properties"]
    vol["placement_policy"] = copy.deepcopy(_REF)
    vol["performance_policy"] = copy.deepcopy(
        schema[
            "/app_instances/:id/storage_instances/:storage_instance_name/volumes/:volume_name"
            "/performance_policy"
        ]["create"]["bodyParamSchema"]
    )
    vol_update = schema[
        "/app_instances/:id/storage_instances/:storage_instance_name/volumes/:volume_name"
    ]["update"]["bodyParamSchema"]["properties"]
    vol_update["placement_policy"] = copy.deepcopy(_REF)
    schema["/initiators"]["create"]["bodyParamSchema"]["properties"]["force"] = {
        "type": "boolean",
        "descr": "Create the initiator even if it exists in another tenant",
    }
    obj = {"type": "object"}
    schema["/app_instances/:id/int_ecosystem_data"] = {
        "read": {"op": "read", "path": "/app_instances/:id/int_ecosystem_data"},
        "update": {
            "op": "update",
            "path": "/app_instances/:id/int_ecosystem_data",
            "bodyParamSchema": {
                "type": "object",
                "properties": {"data": obj},
                "required": ["data"],
                "additionalProperties": False,
            },
        },
    }
    name = {"type": "string", "pattern": r"^[a-zA-Z_][a-zA-Z0-9_\-\.]{2,63}$"}
    schema["/placement_policies"] = {
        "read": {"op": "read", "path": "/placement_policies"},
        "create": {
            "op": "create",
            "path": "/placement_policies",
            "bodyParamSchema": {
                "type": "object",
                "properties": {"name": name, "descr": {"type": ["string", "null"]}, "max": {}},
                "required": ["name"],
            },
        },
    }
    schema["/placement_policies/:name"] = {
        "read": {"op": "read", "path": "/placement_policies/:name"},
        "delete": {"op": "delete", "path": "/placement_policies/:name"},
    }
    return schema


def _sanitize(node):
    """Make the product's schema valid JSON Schema (draft 4) without changing its meaning."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "required" and value == []:
                continue  # the product writes [] for "nothing required"
            if key == "pattern" and not isinstance(value, str):
                continue
            out[key] = _sanitize(value)
        return out
    if isinstance(node, list):
        return [_sanitize(v) for v in node]
    return node


def _route_regex(route):
    parts = []
    for seg in route.strip("/").split("/"):
        if seg.startswith(":"):
            name, _, custom = seg[1:].partition("(")
            parts.append(f"(?P<{name}>[^/]+)")
            if custom:  # /tenants/:tenant_path(<regex>) takes the rest of the path
                parts[-1] = rf"(?P<{name}>[A-Za-z0-9_-]+(?:/[.A-Za-z0-9_-]+)*)"
                break
        else:
            parts.append(re.escape(seg))
    return re.compile("^/" + "/".join(parts) + "$")


class ApiSchema:
    """Routes of one version's schema and their body validators."""

    def __init__(self, version):
        self.version = version
        self.routes = []
        for route, ops in served_schema(version).items():
            if not isinstance(ops, dict):
                continue
            literal = sum(1 for s in route.split("/") if s and not s.startswith(":"))
            validators = {}
            for op, spec in ops.items():
                body = spec.get("bodyParamSchema") if isinstance(spec, dict) else None
                validators[op] = (
                    jsonschema.Draft4Validator(_sanitize(body)) if isinstance(body, dict) else None
                )
            self.routes.append((literal, route, _route_regex(route), validators))
        self.routes.sort(key=lambda r: -r[0])

    def match(self, path):
        """``(route, validators)`` for a request path without the version prefix, or None."""
        for _literal, route, regex, validators in self.routes:
            if regex.match(path):
                return route, validators
        return None

    @staticmethod
    def errors(validator, document):
        """Human-readable validation errors, empty when ``document`` is valid."""
        found = []
        for err in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in err.path) or "(body)"
            found.append(f"{where}: {err.message}")
        return found


@lru_cache(maxsize=4)
def api_schema(version):
    return ApiSchema(version)
