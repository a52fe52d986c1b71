"""Validators built from the vendors' official API specs, with `$ref` resolution.

Used by the emulator tests (responses must match the documented 200 schemas) and reusable by
connector tests (the request bodies we send must match the documented request schemas).
Needs the test extras (jsonschema, openapi-schema-validator, referencing).

Where a spec is known to lag or contradict the live service, a small documented erratum is
applied (see ``ERRATA``); pass ``errata=False`` to validate against the document verbatim.

The documents live in the repository, in ``spec_files/`` next to this module (see its
README for their sources and licences): the vendors' files cut down to the paths in ``USED``
and the definitions those reference, so a fresh clone runs the spec tests. A test that
needs another path: add it to ``USED`` and regenerate from the full documents with
``python -m connectors.testing.specs /path/to/full/specs``. ``COMMUNITY_SPECS_DIR`` points
the validators at another folder of the same layout (the full documents, say).
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

__all__ = ["ERRATA", "SPECS_DIR", "USED", "load_spec", "request_validator", "response_validator",
           "trim"]

SPECS_DIR = Path(os.environ.get("COMMUNITY_SPECS_DIR", Path(__file__).resolve().parent / "spec_files"))

#: The documented paths the tests validate against, per vendored document.
USED: dict[str, tuple[str, ...]] = {
    "discourse/openapi.json": (
        "/admin/users/list/{flag}.json", "/categories.json", "/groups/{id}/members.json",
        "/groups/{name}.json", "/groups/{name}/members.json", "/posts.json",
        "/t/external_id/{external_id}.json", "/topics/private-messages-sent/{username}.json"),
    "slack/web-api-openapi-v2.json": (
        "/auth.test", "/chat.postMessage", "/conversations.history", "/conversations.info",
        "/conversations.list", "/conversations.replies", "/users.info", "/users.list",
        "/users.lookupByEmail"),
    "hubspot/associations-v4.json": (
        "/crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}",),
    "hubspot/companies-v3.json": ("/crm/v3/objects/companies", "/crm/v3/objects/companies/batch/update"),
    "hubspot/contacts-v3.json": ("/crm/v3/objects/contacts",),
    "hubspot/lists-v3.json": ("/crm/v3/lists/{listId}/memberships", "/crm/v3/lists/{listId}/memberships/add"),
    "hubspot/properties-v3.json": (
        "/crm/v3/properties/{objectType}", "/crm/v3/properties/{objectType}/groups",
        "/crm/v3/properties/{objectType}/groups/{groupName}", "/crm/v3/properties/{objectType}/{propertyName}"),
    "hubspot/sequences-v4.json": (
        "/automation/v4/sequences", "/automation/v4/sequences/enrollments",
        "/automation/v4/sequences/enrollments/contact/{contactId}"),
    "hubspot/tasks-v3.json": (
        "/crm/v3/objects/tasks", "/crm/v3/objects/tasks/batch/read", "/crm/v3/objects/tasks/batch/upsert",
        "/crm/v3/objects/tasks/search", "/crm/v3/objects/tasks/{taskId}"),
}
FILES = {service: [f for f in USED if f.startswith(f"{service}/")]
         for service in ("discourse", "slack", "hubspot")}


def _discourse(spec: dict) -> None:
    post = spec["paths"]["/posts.json"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["latest_posts"]["items"]["properties"]
    # Real Discourse serialises the integer column; the document says string.
    post["reply_to_post_number"] = {"type": ["integer", "null"]}
    # Real Discourse includes the count of public actions (likes) in each summary entry.
    post["actions_summary"]["items"]["properties"]["count"] = {"type": "integer"}
    # discourse-solved adds this to every post; the core document knows no plugins.
    post["accepted_answer"] = {"type": "boolean"}


def _slack(spec: dict) -> None:
    history = spec["paths"]["/conversations.history"]["get"]["responses"]["200"]["schema"]
    # Cursor pagination (2018) is missing from the document; an empty channel returns [].
    history["properties"]["response_metadata"] = {
        "type": "object", "properties": {"next_cursor": {"type": "string"}}}
    history["properties"]["messages"].pop("minItems", None)
    # Message metadata (2022) post-dates the document (last changed 2021).
    spec["definitions"]["objs_message"]["properties"]["metadata"] = {
        "type": "object", "required": ["event_type", "event_payload"],
        "properties": {"event_type": {"type": "string"}, "event_payload": {"type": "object"}}}


def _hubspot(spec: dict) -> None:
    # HubSpot answers null for a requested property without a value; the document says string.
    for schema in spec.get("components", {}).get("schemas", {}).values():
        props = schema.get("properties", {}).get("properties")
        if props and props.get("additionalProperties", {}).get("type") == "string":
            props["additionalProperties"] = {**props["additionalProperties"], "nullable": True}


ERRATA: dict[str, Callable[[dict], None]] = {
    "discourse": _discourse, "slack": _slack, "hubspot": _hubspot}


@lru_cache(maxsize=None)
def _load(relative: str) -> dict:
    return json.loads((SPECS_DIR / relative).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def load_spec(service: str, path: str, errata: bool = True) -> tuple[str, dict]:
    """The spec document (file name, contents) that describes ``path`` for ``service``."""
    for relative in FILES[service]:
        spec = _load(relative)
        if path in spec.get("paths", {}):
            if errata:
                spec = copy.deepcopy(spec)
                ERRATA[service](spec)
            return relative, spec
    raise KeyError(f"{service}: no spec describes {path}")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _locate(spec: dict, pointer: list[str]) -> list[str]:
    """Walk ``pointer``, following `$ref`'d response/request objects on the way."""
    tokens: list[str] = []
    node: Any = spec
    for index, token in enumerate(pointer):
        node = node[token]
        tokens.append(token)
        if index < len(pointer) - 1 and isinstance(node, dict) and "$ref" in node:
            tokens = [t.replace("~1", "/").replace("~0", "~") for t in node["$ref"][2:].split("/")]
            node = spec
            for part in tokens:
                node = node[part]
    return tokens


def _validator(service: str, path: str, pointer: list[str], errata: bool) -> Validator:
    relative, spec = load_spec(service, path, errata)
    tokens = _locate(spec, pointer)
    uri = f"urn:spec:{service}:{relative}{':errata' if errata else ''}"
    swagger = "swagger" in spec
    oas31 = str(spec.get("openapi", "")).startswith("3.1")
    resource = Resource.from_contents(spec, default_specification=DRAFT4 if swagger else DRAFT202012)
    registry = Registry().with_resource(uri, resource)
    schema = {"$ref": f"{uri}#/" + "/".join(_escape(t) for t in tokens)}
    cls = Draft4Validator if swagger else OAS31Validator if oas31 else OAS30Validator
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def response_validator(
    service: str, path: str, method: str = "get", status: int | str = 200, *, errata: bool = True
) -> Validator:
    """Validator for the documented ``status`` response body of ``method path``."""
    _, spec = load_spec(service, path, errata)
    if "swagger" in spec:
        pointer = ["paths", path, method.lower(), "responses", str(status), "schema"]
    else:
        pointer = ["paths", path, method.lower(), "responses", str(status), "content",
                   "application/json", "schema"]
    return _validator(service, path, pointer, errata)


def request_validator(
    service: str, path: str, method: str = "post", *, errata: bool = True
) -> Validator:
    """Validator for the documented JSON request body of ``method path`` (OpenAPI 3)."""
    pointer = ["paths", path, method.lower(), "requestBody", "content", "application/json", "schema"]
    return _validator(service, path, pointer, errata)


# -- vendoring: cut the full documents down to what the tests use -----------------------------
def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def trim(spec: dict, paths: tuple[str, ...]) -> dict:
    """``spec`` with only ``paths`` and everything they reference (transitively), unchanged."""
    out = {k: v for k, v in spec.items() if k not in ("paths", "definitions", "components")}
    out["paths"] = {path: spec["paths"][path] for path in paths}
    pending, done = list(_refs(out["paths"])), set()
    while pending:
        ref = pending.pop()
        if ref in done:
            continue
        done.add(ref)
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in ref[2:].split("/")]
        source, target = spec, out
        for token in tokens[:-1]:
            source = source[token]
            target = target.setdefault(token, {})
        target[tokens[-1]] = source[tokens[-1]]
        pending.extend(_refs(source[tokens[-1]]))
    return out


def main(argv: list[str]) -> int:
    """Regenerate ``spec_files/`` from a folder of the full documents."""
    if len(argv) != 1:
        print("usage: python -m connectors.testing.specs /path/to/full/specs", file=sys.stderr)
        return 2
    full, here = Path(argv[0]), Path(__file__).resolve().parent / "spec_files"
    for relative, paths in USED.items():
        spec = json.loads((full / relative).read_text(encoding="utf-8"))
        target = here / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(trim(spec, paths), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        print(f"{relative}: {len(paths)} paths, {target.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
