"""
The ``/vX/api`` endpoint schema: what the simulator serves, validates request bodies with
(``bodyParamSchema``) and, unless told otherwise, checks its own answers against
(``returnParamSchema``).

v2.1 is the product's own dump (``tests/fixtures/datera/api_endpoint_21.txt``), served as is.
v2.2 is derived from it with the additions real v2.2 clients (cinder 29 on product 3.3) send,
all but ``offset`` forbidden in v2.1 through ``additionalProperties: false`` [I]:

- ``offset`` on every collection read that takes ``limit`` (v2.2 paging);
- ``template_override`` on app_instance create (cinder looks for it in this schema);
- ``placement_policy`` on volume create (inside app_instance create) and on volume update;
- ``force`` on initiator create (cinder's DAT-15931 workaround; v2.1 rejects it);
- the routes ``/app_instances/:id/int_ecosystem_data`` and ``/placement_policies[/:name]``.

Answers. Every operation of the dump that has a ``returnParamSchema`` names its ``entity``, and
all operations on one entity carry the same schema; an answer's ``data`` (or each item of a
collection) must conform to it, contained entities (``containment``: an app instance's
storage instances, their volumes, snapshots, ...) to their own entity's schema. The schema
is read as the product's own answers (``test_api_21_*.txt``) satisfy it, which is looser in
four places only:

- a reference (``{"path"}`` with no other property allowed) also carries ``resolved_path``
  and ``resolved_tenant``, and an unset one reads ``""`` (an app instance's ``app_template``);
- ``descr`` and ``*_user_name`` read ``""`` when unset, whatever their ``pattern``;
- CHAP secrets (``*_pswd``) read ``(hidden)``;
- a snapshot's ``utc_ts`` is its ID, ``"<sec>.<nsec>"`` (the snapshot collections' key, the
  format the dump's ``restore_point`` asks for; cinder's driver ``float()``s it), where the
  schema says integer milliseconds.

v2.2 answers are checked with the same schemas, the only ones the dump has; the v2.2 routes
added above have none, so their answers go unchecked. The envelope around ``data`` is not part
of any schema (v2.2's adds ``request_time`` and paging ``metadata``; ``api.Api._envelope``).
"""

import copy
import json
import re
from functools import lru_cache

import jsonschema

from tests.support.paths import DATERA_FIXTURES

FIXTURE = DATERA_FIXTURES / "api_endpoint_21.txt"
METHOD_OPS = {"GET": "read", "POST": "create", "PUT": "update", "DELETE": "delete"}
RESOLVED = ("resolved_path", "resolved_tenant")
HIDDEN = "(hidden)"
SNAPSHOT_ID = r"^[0-9]+\.[0-9]{9}$"
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


def _entities(schema):
    """Each entity's ``returnParamSchema`` (every operation that names an entity returns it)."""
    found = {}
    for ops in schema.values():
        for spec in ops.values() if isinstance(ops, dict) else ():
            returned = spec.get("returnParamSchema") if isinstance(spec, dict) else None
            if isinstance(returned, dict) and spec.get("entity"):
                found.setdefault(spec["entity"], returned)
    return found


def _as_returned(node, entities):
    """A ``returnParamSchema`` as the product's own answers satisfy it (module docstring)."""
    if isinstance(node, list):
        return [_as_returned(v, entities) for v in node]
    if not isinstance(node, dict):
        return node
    contained = node.get("containment")
    if isinstance(contained, dict):
        entity = contained.get("entity")
        item = {"$ref": f"#/definitions/{entity}"} if entity in entities else {}
        return {"type": "array", "items": item} if contained.get("isCollection") else item
    node = {key: _as_returned(value, entities) for key, value in node.items()}
    props = node.get("properties")
    if not isinstance(props, dict):
        return node
    reference = "path" in props and node.get("additionalProperties") is False
    for key, value in props.items():
        if key == "descr" or key.endswith("_user_name") or (reference and key == "path"):
            props[key] = {"anyOf": [value, {"enum": [""]}]}
        elif key.endswith("pswd"):
            props[key] = {"anyOf": [value, {"enum": [HIDDEN]}]}
        elif key == "utc_ts":
            props[key] = {"type": "string", "pattern": SNAPSHOT_ID}
    if reference:
        for key in RESOLVED:
            props.setdefault(key, {"type": "string"})
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


class Route:
    """One route of a version's schema: per operation, the validator of the request body and
    that of the answer's entity (None where the schema gives none)."""

    def __init__(self, route, ops, definitions):
        self.route = route
        self.regex = _route_regex(route)
        self.literal = sum(1 for s in route.split("/") if s and not s.startswith(":"))
        self.bodies, self.returns = {}, {}
        for op, spec in ops.items():
            spec = spec if isinstance(spec, dict) else {}
            body = spec.get("bodyParamSchema")
            self.bodies[op] = (
                jsonschema.Draft4Validator(_sanitize(body)) if isinstance(body, dict) else None
            )
            entity = spec.get("entity") if spec.get("returnParamSchema") else None
            self.returns[op] = (
                jsonschema.Draft4Validator(
                    {"$ref": f"#/definitions/{entity}", "definitions": definitions}
                )
                if entity
                else None
            )


class ApiSchema:
    """Routes of one version's schema and their validators."""

    def __init__(self, version):
        self.version = version
        schema = served_schema(version)
        entities = _entities(schema)
        definitions = {
            name: _as_returned(_sanitize(returned), entities) for name, returned in entities.items()
        }
        self.routes = [
            Route(route, ops, definitions) for route, ops in schema.items() if isinstance(ops, dict)
        ]
        self.routes.sort(key=lambda r: -r.literal)

    def match(self, path):
        """The ``Route`` of a request path without the version prefix, or None."""
        for route in self.routes:
            if route.regex.match(path):
                return route
        return None

    @staticmethod
    def errors(validator, document, mask=False, root=None):
        """Human-readable validation errors, empty when ``document`` is valid. ``mask`` keeps
        the offending values (a password) out of them; ``root`` prefixes the places named."""
        found = []
        for err in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
            parts = [root] if root else []
            where = "/".join(str(p) for p in [*parts, *err.path]) or "(body)"
            message = err.message.replace(repr(err.instance), "******") if mask else err.message
            found.append(f"{where}: {message}")
        return found


@lru_cache(maxsize=4)
def api_schema(version):
    return ApiSchema(version)
