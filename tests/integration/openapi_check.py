#!/usr/bin/env python3
"""Checks docs/openapi.yaml against the code and against a running coupond.

1. lint: the document's structure (every path has operations, every operation responses
   with descriptions, path parameters declared, unique operationIds, x-roles on every
   operation, security schemes that exist), every $ref resolves, no schema, operation,
   parameter or response has a key OpenAPI does not know (YAML's flow style silently
   splits an unquoted text at a comma into a new key), and every example conforms to its
   schema;
2. routes: the route table in service/http.c and the document name the same operations
   with the same roles;
3. live: for every documented operation, requests with the right certificate (after
   creating fixtures: campaigns, coupons, redemptions, cards) and with the wrong ones;
   each answer's status must be one the document lists for that operation, its content
   type one documented for that status, and a JSON answer must conform to the schema of
   that response (JSON Schema 2020-12, validated by python3-jsonschema), with every field
   in it documented (recursively: unevaluatedProperties false wherever the document does not
   declare an open map), types, required fields, enums, formats and ranges as documented.

Standard library, PyYAML and jsonschema (Debian: python3-yaml, python3-jsonschema). Usage:
  openapi_check.py --spec docs/openapi.yaml [--routes service/http.c]
                   [--base https://127.0.0.1:18743 --certs certs/dev]
Without --base only the static checks run. Exits 1 on any failure.
"""
import argparse
import http.client
import json
import re
import ssl
import sys
import time
import urllib.parse

import jsonschema
import yaml

from openapi_events import run_events

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ROLES = ("terminal", "marketer", "admin")
CERT_OF_ROLE = {"terminal": "terminal-1", "marketer": "marketer", "admin": "admin"}


class Failures:
    def __init__(self):
        self.items = []
        self.repeats = {}

    def add(self, where, what):
        """Records a failure; the same WHAT is printed at most three times."""
        self.items.append(f"{where}: {what}")
        n = self.repeats[what] = self.repeats.get(what, 0) + 1
        if n <= 3:
            print(f"FAIL {where}: {what}", flush=True)
        elif n == 4:
            print(f"FAIL (the same failure again elsewhere; further repeats not shown)", flush=True)


FAIL = Failures()


# ---------------------------------------------------------------------------------------
# $ref resolution and schema validation (the JSON Schema subset the document uses)

def resolve_pointer(doc, ref):
    if not ref.startswith("#/"):
        raise KeyError(f"only local references are supported: {ref}")
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(f"unresolvable reference {ref}")
    return node


def deref(doc, node, seen=None):
    """Follows $ref chains of a node that is only a reference (Example, Response, ...)."""
    seen = seen or set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise KeyError(f"reference cycle at {ref}")
        seen.add(ref)
        node = resolve_pointer(doc, ref)
    return node


DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")

# The formats the document uses that are checked (int32, int64 and binary are not): with
# these patterns, not with jsonschema's own checkers (which need more packages for date-time).
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time")
def _date_time(value):
    return not isinstance(value, str) or DATE_TIME.match(value) is not None


@FORMATS.checks("date")
def _date(value):
    return not isinstance(value, str) or DATE.match(value) is not None


def open_map(doc, schema):
    """True when SCHEMA (through its $ref and allOf members) documents arbitrary keys: its
    additionalProperties is a schema."""
    if not isinstance(schema, dict):
        return False
    if isinstance(schema.get("additionalProperties"), dict):
        return True
    if "$ref" in schema and open_map(doc, resolve_pointer(doc, schema["$ref"])):
        return True
    return any(open_map(doc, sub) for sub in schema.get("allOf", []))


def closed(doc, schema, value_position):
    """A copy of SCHEMA (a part of DOC) in which every schema in a value position (a
    response's or request's schema, a property's, an array's items) also says
    unevaluatedProperties: false: a field that the schema does not document anywhere (its
    $ref, its allOf members, the oneOf branch that matched) is a problem, whatever
    additionalProperties says, unless the schema is an open map (additionalProperties a schema;
    left out explicitly, as python3-jsonschema 4.10 does not count additionalProperties as
    evaluating a field). Schemas in allOf/anyOf/oneOf and $ref targets stay open, so
    composition documents its fields together. An empty schema stays empty (anything goes)."""
    if not isinstance(schema, dict):
        return schema
    s = dict(schema)
    for key in ("properties", "patternProperties"):
        if isinstance(s.get(key), dict):
            s[key] = {name: closed(doc, sub, True) for name, sub in s[key].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(s.get(key), dict):
            s[key] = closed(doc, s[key], True)
    if isinstance(s.get("prefixItems"), list):
        s["prefixItems"] = [closed(doc, sub, True) for sub in s["prefixItems"]]
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(s.get(key), list):
            s[key] = [closed(doc, sub, False) for sub in s[key]]
    for key in ("not", "if", "then", "else"):
        if isinstance(s.get(key), dict):
            s[key] = closed(doc, s[key], False)
    if value_position and s and "unevaluatedProperties" not in s and not open_map(doc, s):
        s["unevaluatedProperties"] = False
    return s


_CLOSED_COMPONENTS = {}


def closed_components(doc):
    """DOC's components with every schema closed as closed() says (made once per document)."""
    key = id(doc)
    if key not in _CLOSED_COMPONENTS:
        comps = dict(doc.get("components") or {})
        comps["schemas"] = {name: closed(doc, sub, False)
                            for name, sub in (comps.get("schemas") or {}).items()}
        _CLOSED_COMPONENTS[key] = (doc, comps)
    return _CLOSED_COMPONENTS[key][1]


def validator_for(doc, schema):
    """A Draft 2020-12 validator of SCHEMA (a part of DOC, closed as a value). DOC's components
    ride along under the key "components" (which JSON Schema ignores), so the document's
    "#/components/..." references resolve within the schema itself, with python3-jsonschema
    4.10 (Debian 12) and later versions alike."""
    root = closed(doc, schema, True)
    root["components"] = closed_components(doc)
    return jsonschema.Draft202012Validator(root, format_checker=FORMATS)


def validate(doc, value, schema, where):
    """Returns a list of problems of VALUE against SCHEMA (JSON Schema 2020-12, the dialect of
    OpenAPI 3.1, by python3-jsonschema), one sentence each, naming where in VALUE. A field that
    fails its own schema is not reported again as unevaluated by the objects above it (a
    failing subschema evaluates nothing, so jsonschema would)."""
    if schema is True or schema == {}:
        return []
    errors = list(validator_for(doc, schema).iter_errors(value))
    causes = [tuple(e.path) for e in errors if e.validator != "unevaluatedProperties"]
    errs = []
    for e in sorted(errors, key=lambda e: [str(p) for p in e.path]):
        here = tuple(e.path)
        if e.validator == "unevaluatedProperties" and any(c[:len(here)] == here for c in causes):
            continue
        at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.path)
        errs.append(f"{where}{at}: {e.message}")
    return errs


# ---------------------------------------------------------------------------------------
# 1. lint

def walk_refs(node, path="#"):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield path, v
            else:
                yield from walk_refs(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_refs(v, f"{path}/{i}")


def operations(doc):
    for template, item in (doc.get("paths") or {}).items():
        item = deref(doc, item)
        for method in METHODS:
            if method in item:
                yield template, method, item[method], item


def media_examples(doc, media):
    """(name, value) of a Media Type Object's example and examples."""
    if "example" in media:
        yield "example", media["example"]
    for name, ex in (media.get("examples") or {}).items():
        ex = deref(doc, ex)
        if "value" in ex:
            yield f"examples/{name}", ex["value"]


SCHEMA_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "prefixItems", "enum",
    "const", "description", "title", "format", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems",
    "maxItems", "uniqueItems", "minProperties", "maxProperties", "default", "example",
    "examples", "allOf", "oneOf", "anyOf", "not", "$ref", "nullable", "readOnly", "writeOnly",
    "deprecated", "discriminator", "xml", "externalDocs", "contentEncoding", "contentMediaType",
    "unevaluatedProperties", "patternProperties", "propertyNames", "$comment", "$defs"}
OBJECT_KEYS = {
    "operation": {"tags", "summary", "description", "externalDocs", "operationId", "parameters",
                  "requestBody", "responses", "callbacks", "deprecated", "security", "servers"},
    "parameter": {"name", "in", "description", "required", "deprecated", "allowEmptyValue",
                  "style", "explode", "allowReserved", "schema", "example", "examples", "content"},
    "response": {"description", "headers", "content", "links"},
    "media type": {"schema", "example", "examples", "encoding"},
}


def check_keys(where, node, allowed):
    """A key that is neither allowed nor an x- extension is a mistake (often YAML's flow
    style splitting an unquoted text at a comma)."""
    if not isinstance(node, dict):
        FAIL.add(where, f"expected an object, got {node!r}")
        return
    for k, v in node.items():
        if k not in allowed and not str(k).startswith("x-"):
            FAIL.add(where, f"unexpected key {k!r}")
        elif k in ("description", "summary", "title") and not isinstance(v, str):
            FAIL.add(where, f"{k} must be text, not {v!r}")


def check_schema(where, schema):
    if isinstance(schema, bool):
        return
    check_keys(where, schema, SCHEMA_KEYWORDS)
    if not isinstance(schema, dict):
        return
    for name, sub in (schema.get("properties") or {}).items():
        check_schema(f"{where}/properties/{name}", sub)
    for key in ("items", "not", "additionalProperties", "unevaluatedProperties"):
        if isinstance(schema.get(key), dict):
            check_schema(f"{where}/{key}", schema[key])
    for key in ("allOf", "oneOf", "anyOf", "prefixItems"):
        for i, sub in enumerate(schema.get(key) or []):
            check_schema(f"{where}/{key}/{i}", sub)


def check_objects(doc):
    comps = doc.get("components") or {}
    for name, schema in (comps.get("schemas") or {}).items():
        check_schema(f"#/components/schemas/{name}", schema)
    params = [(f"#/components/parameters/{n}", p) for n, p in (comps.get("parameters") or {}).items()]
    responses = [(f"#/components/responses/{n}", r) for n, r in (comps.get("responses") or {}).items()]
    bodies = []
    for template, method, op, item in operations(doc):
        where = f"{method.upper()} {template}"
        check_keys(where, op, OBJECT_KEYS["operation"])
        params += [(f"{where} parameter", p) for p in item.get("parameters", []) + op.get("parameters", [])]
        responses += [(f"{where} {st}", r) for st, r in (op.get("responses") or {}).items()]
        if "requestBody" in op:
            bodies.append((f"{where} requestBody", op["requestBody"]))
    for where, p in params:
        if "$ref" not in p:
            check_keys(where, p, OBJECT_KEYS["parameter"])
            if "schema" in p:
                check_schema(f"{where} schema", p["schema"])
    medias = []
    for where, r in responses:
        if "$ref" not in r:
            check_keys(where, r, OBJECT_KEYS["response"])
            medias += [(f"{where} {c}", m) for c, m in (r.get("content") or {}).items()]
            for h, hdr in (r.get("headers") or {}).items():
                if "schema" in hdr:
                    check_schema(f"{where} header {h}", hdr["schema"])
    for where, b in bodies:
        if "$ref" not in b:
            check_keys(where, b, {"description", "content", "required"})
            medias += [(f"{where} {c}", m) for c, m in (b.get("content") or {}).items()]
    for where, m in medias:
        check_keys(where, m, OBJECT_KEYS["media type"])
        if isinstance(m, dict) and "schema" in m:
            check_schema(f"{where} schema", m["schema"])


def lint(doc):
    n_before = len(FAIL.items)
    if not str(doc.get("openapi", "")).startswith("3."):
        FAIL.add("document", "openapi must be 3.x")
    info = doc.get("info") or {}
    for k in ("title", "version"):
        if not info.get(k):
            FAIL.add("info", f"missing {k}")
    for where, ref in walk_refs(doc):
        try:
            resolve_pointer(doc, ref)
        except KeyError as e:
            FAIL.add(where, str(e))
    if len(FAIL.items) > n_before:
        return  # unresolved references: the rest would only repeat them
    check_objects(doc)
    paths = doc.get("paths") or {}
    if not paths:
        FAIL.add("paths", "no paths")
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    op_ids = {}
    for template, item in paths.items():
        item = deref(doc, item)
        if not template.startswith("/"):
            FAIL.add(template, "a path must start with /")
        if not any(m in item for m in METHODS):
            FAIL.add(template, "no operations")
    for template, method, op, item in operations(doc):
        where = f"{method.upper()} {template}"
        oid = op.get("operationId")
        if not oid:
            FAIL.add(where, "no operationId")
        elif oid in op_ids:
            FAIL.add(where, f"operationId {oid} also used by {op_ids[oid]}")
        else:
            op_ids[oid] = where
        responses = op.get("responses") or {}
        if not responses:
            FAIL.add(where, "no responses")
        for status, resp in responses.items():
            if not re.fullmatch(r"[1-5](\d\d|XX)|default", str(status)):
                FAIL.add(where, f"bad response key {status!r}")
            resp = deref(doc, resp)
            if not resp.get("description"):
                FAIL.add(f"{where} {status}", "response without description")
            for ctype, media in (resp.get("content") or {}).items():
                schema = media.get("schema")
                if schema is None:
                    FAIL.add(f"{where} {status} {ctype}", "no schema")
                    continue
                for name, value in media_examples(doc, media):
                    for e in validate(doc, value, schema, f"{where} {status} {ctype} {name}"):
                        FAIL.add("example", e)
        body = deref(doc, op.get("requestBody") or {})
        for ctype, media in (body.get("content") or {}).items():
            for name, value in media_examples(doc, media):
                for e in validate(doc, value, media.get("schema", {}), f"{where} request {name}"):
                    FAIL.add("example", e)
        params = [deref(doc, p) for p in item.get("parameters", []) + op.get("parameters", [])]
        declared = {p["name"] for p in params if p.get("in") == "path"}
        used = set(re.findall(r"\{([^}]+)\}", template))
        for name in used - declared:
            FAIL.add(where, f"path parameter {{{name}}} is not declared")
        for name in declared - used:
            FAIL.add(where, f"path parameter {name} is declared but not in the path")
        for p in params:
            if p.get("in") == "path" and p.get("required") is not True:
                FAIL.add(where, f"path parameter {p['name']} must be required")
            if "schema" not in p and "content" not in p:
                FAIL.add(where, f"parameter {p.get('name')} has no schema")
        roles = op.get("x-roles")
        if not isinstance(roles, list) or any(r not in ROLES for r in roles):
            FAIL.add(where, f"x-roles must list roles out of {ROLES}, not {roles!r}")
            continue
        security = op.get("security", doc.get("security"))
        if (roles == []) != (security == [] or security == [{}]):
            FAIL.add(where, "x-roles [] (no certificate) must go with security [] and vice versa")
        for req in security or []:
            for name in req:
                if name not in schemes:
                    FAIL.add(where, f"security scheme {name} is not defined")
        for role in roles:
            if role not in (op.get("description") or ""):
                FAIL.add(where, f"the description does not name the role {role}")
    print(f"lint: {len(list(operations(doc)))} operations, {len(list(walk_refs(doc)))} references")


# ---------------------------------------------------------------------------------------
# 2. the route table

ROLE_BITS = {"ROLE_TERMINAL": {"terminal"}, "ROLE_MARKETER": {"marketer"},
             "ROLE_ADMIN": {"admin"}, "ROLE_ANY": set(ROLES), "0": set()}


def read_routes(path):
    text = open(path, encoding="utf-8").read()
    table = re.search(r"http_routes\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    if table is None:
        FAIL.add(path, "cannot find the route table http_routes[]")
        return {}
    routes = {}
    for m in re.finditer(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*([A-Z_0-9| ]+?)\s*,', table.group(1)):
        roles = set()
        for bit in m.group(3).split("|"):
            bit = bit.strip()
            if bit not in ROLE_BITS:
                FAIL.add(path, f"unknown role expression {bit}")
            roles |= ROLE_BITS.get(bit, set())
        routes[(m.group(1).lower(), m.group(2))] = roles
    if not routes:
        FAIL.add(path, "no routes read from the route table")
    return routes


def shape(template):
    return re.sub(r"\{[^}]*\}", "{}", template)


def check_routes(doc, routes):
    documented = {(m, shape(t)): (t, set(op.get("x-roles") or [])) for t, m, op, _ in operations(doc)}
    for key, roles in routes.items():
        if key not in documented:
            FAIL.add("routes", f"{key[0].upper()} {key[1]} is served but not documented")
        elif documented[key][1] != roles:
            FAIL.add("routes", f"{key[0].upper()} {documented[key][0]}: x-roles "
                     f"{sorted(documented[key][1])} but the route table allows {sorted(roles)}")
    for key, (template, _) in documented.items():
        if key not in routes:
            FAIL.add("routes", f"{key[0].upper()} {template} is documented but not served")
    print(f"routes: {len(routes)} served, {len(documented)} documented")


# ---------------------------------------------------------------------------------------
# 3. live

class Client:
    def __init__(self, base, certs):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 443
        self.certs = certs
        self.contexts = {}

    def context(self, who):
        if who not in self.contexts:
            ctx = ssl.create_default_context(cafile=f"{self.certs}/ca.pem")
            if who is not None:
                ctx.load_cert_chain(f"{self.certs}/{who}.pem", f"{self.certs}/{who}.key")
            self.contexts[who] = ctx
        return self.contexts[who]

    def request(self, who, method, path, body=None, headers=None):
        """Sends one request as certificate WHO (None: none). BODY: dict/list (JSON),
        str/bytes (raw) or None. Returns (status, content type, raw body)."""
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else (
                body.encode() if isinstance(body, str) else json.dumps(body).encode())
            hdrs.setdefault("Content-Type", "application/json")
        for attempt in range(3):
            conn = http.client.HTTPSConnection(self.host, self.port, context=self.context(who),
                                               timeout=60)
            try:
                conn.request(method.upper(), path, body=data, headers=hdrs)
                resp = conn.getresponse()
                if (resp.getheader("Content-Type") or "").startswith("text/event-stream"):
                    # A live feed does not end: its opening lines, up to the first blank one.
                    raw = b""
                    while not raw.endswith(b"\n\n"):
                        line = resp.readline()
                        if not line:
                            break
                        raw += line
                    return resp.status, resp.getheader("Content-Type"), raw
                raw = resp.read()
                return resp.status, resp.getheader("Content-Type") or "", raw
            except (ConnectionError, ssl.SSLError, http.client.HTTPException) as e:
                if attempt == 2:
                    raise RuntimeError(f"{method.upper()} {path} as {who}: {e}") from e
                time.sleep(0.2)
            finally:
                conn.close()


class Live:
    def __init__(self, doc, client):
        self.doc, self.c = doc, client
        self.ops = {(m, t): op for t, m, op, _ in operations(doc)}
        self.seen = {}      # (method, template) -> set of statuses answered
        self.roles_ok = {}  # (method, template) -> roles that were let through
        self.count = 0
        self.seq = int(time.time() * 1000) % 10**9

    def uid(self, prefix):
        self.seq += 1
        return f"oapi-{prefix}-{self.seq}"

    def call(self, template, method, who, path=None, body=None, headers=None, expect=None,
             name=""):
        """Sends the request and checks the answer against the document. EXPECT (a status
        or a tuple of statuses) is what this scenario step should get; it makes sure the
        fixtures work. Returns (status, parsed JSON or None)."""
        method = method.lower()
        path = path or template
        where = f"{method.upper()} {path} as {who or 'no certificate'}{' (' + name + ')' if name else ''}"
        op = self.ops.get((method, template))
        if op is None:
            FAIL.add(where, f"the test calls {method.upper()} {template}, which is not documented")
            return None, None
        status, ctype, raw = self.c.request(who, method, path, body, headers)
        self.count += 1
        self.seen.setdefault((method, template), set()).add(status)
        if status not in (401, 403):
            self.roles_ok.setdefault((method, template), set()).add(who)
        parsed = None
        if ctype.split(";")[0].strip() == "application/json":
            try:
                parsed = json.loads(raw)
            except ValueError as e:
                FAIL.add(where, f"answer {status} is not JSON: {e}: {raw[:200]!r}")
        responses = op.get("responses") or {}
        resp = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if resp is None:
            FAIL.add(where, f"status {status} is not documented (documented: "
                     f"{', '.join(sorted(map(str, responses)))}); body {raw[:300]!r}")
        else:
            self.check_body(where, status, deref(self.doc, resp), ctype, raw, parsed)
        if expect is not None:
            wanted = expect if isinstance(expect, tuple) else (expect,)
            if status not in wanted:
                FAIL.add(where, f"expected {'/'.join(map(str, wanted))}, got {status}: {raw[:300]!r}")
        return status, parsed

    def check_body(self, where, status, resp, ctype, raw, parsed):
        content = resp.get("content") or {}
        if not content:
            if raw:
                FAIL.add(where, f"{status} has a body but the document describes none")
            return
        base = ctype.split(";")[0].strip().lower()
        media = content.get(base)
        if media is None:
            FAIL.add(where, f"{status} answered {ctype!r}; documented: {', '.join(content)}")
            return
        if base == "application/json" and parsed is not None:
            for e in validate(self.doc, parsed, media.get("schema", {}), f"{status} body"):
                FAIL.add(where, e)
        elif base.startswith("image/png") and not raw.startswith(b"\x89PNG\r\n\x1a\n"):
            FAIL.add(where, "not a PNG image")
        elif base == "image/svg+xml" and b"<svg" not in raw:
            FAIL.add(where, "not an SVG image")
        elif base == "text/event-stream" and not re.match(rb"(retry|id|data|event|:)", raw):
            FAIL.add(where, f"not a stream of server-sent events: {raw[:80]!r}")

    # -- the roles matrix ----------------------------------------------------------------

    def roles_matrix(self, template, method, make):
        """Sends the operation without a certificate (401 unless x-roles is empty), with
        every role x-roles leaves out (403), and with every role it lists (anything but
        401/403). MAKE(cert) returns (path, body) of a fresh valid request."""
        op = self.ops[(method, template)]
        roles = op.get("x-roles") or []
        path, body = make(None)
        self.call(template, method, None, path, body, expect=(200,) if not roles else (401,),
                  name="no certificate")
        for role in ROLES:
            cert = CERT_OF_ROLE[role]
            path, body = make(cert)
            if role in roles:
                st, _ = self.call(template, method, cert, path, body, name=f"role {role} allowed")
                if st in (401, 403):
                    FAIL.add(f"{method.upper()} {template}", f"x-roles lists {role} but it got {st}")
            else:
                self.call(template, method, cert, path, body, expect=403, name=f"role {role} refused")

    def coverage(self):
        for (method, template), op in self.ops.items():
            seen = self.seen.get((method, template), set())
            where = f"{method.upper()} {template}"
            if not seen:
                FAIL.add(where, "documented but never exercised by the test")
            elif not any(200 <= s < 300 for s in seen):
                FAIL.add(where, f"never answered 2xx (answered {sorted(seen)})")
        print(f"live: {self.count} requests over {len(self.seen)} operations")


# Short codes: Crockford base32 and the Damm check symbol over GF(32) (docs/codes.md).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def gf_double(a):
    a <<= 1
    return a ^ 0x25 if a & 0x20 else a


def damm_check(symbols):
    s = 0
    for v in symbols:
        s = gf_double(s) ^ v
    return gf_double(s)


def forge_short(code, kind=None):
    """A short code with a correct check symbol but a wrong MAC (one tag symbol changed;
    KIND 0/1 sets the kind bit)."""
    vals = [ALPHABET.index(ch) for ch in code.replace("-", "")[:15]]
    vals[10] ^= 1
    if kind is not None:
        vals[0] = (vals[0] & 0x0F) | (kind << 4)
    vals.append(damm_check(vals))
    s = "".join(ALPHABET[v] for v in vals)
    return "-".join(s[i:i + 4] for i in range(0, 16, 4))


def typo(code):
    """The code with its last symbol changed: a typo by the check symbol."""
    last = ALPHABET[(ALPHABET.index(code[-1]) + 1) % 32]
    return code[:-1] + last


def run_live(doc, client):
    L = Live(doc, client)
    T1, T2, M = "terminal-1", "terminal-2", "marketer"

    def campaign(**over):
        body = {"name": L.uid("campaign"), "channel": "mailing", "cost_cents": 50000,
                "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z",
                "offer": {"kind": "percent", "value": 10, "min_basket_cents": 1000}}
        body.update(over)
        st, js = L.call("/v1/campaigns", "post", M, body=body, expect=201, name="fixture")
        if st != 201 or not js:
            raise RuntimeError("cannot create a campaign fixture")
        return js["id"]

    def issue(cid, count, **over):
        body = {"count": count}
        body.update(over)
        st, js = L.call("/v1/campaigns/{id}/coupons", "post", M, f"/v1/campaigns/{cid}/coupons",
                        body, expect=201, name="fixture")
        if st != 201 or not js or "coupons" not in js:
            raise RuntimeError("cannot issue coupon fixtures")
        return [c["code"] for c in js["coupons"]], [c["signed"] for c in js["coupons"]]

    def redeem(code, basket=5000, who=T1, expect=201, name="", **over):
        body = {"code": code, "basket_cents": basket, "txn_id": L.uid("txn")}
        body.update(over)
        return L.call("/v1/redemptions", "post", who, body=body, expect=expect, name=name)

    # Fixtures: a percent campaign for stores 1 and 2 with a minimum basket, capped; a
    # points campaign; one not started; one ended; one for store 2 only; one capped at 1.
    base = campaign(max_redemptions=1000, stores=[1, 2])
    points = campaign(offer={"kind": "points", "value": 50}, channel="app", cost_cents=0)
    future = campaign(starts_at="2098-01-01T00:00:00Z")
    ended = campaign(starts_at="2020-01-01T00:00:00Z", ends_at="2021-01-01T00:00:00Z")
    store2 = campaign(stores=[2])
    capped = campaign(max_redemptions=1, offer={"kind": "amount", "value": 500})
    codes, signed = issue(base, 40)
    pcodes, _ = issue(points, 3)
    fcode, = issue(future, 1)[0]
    ecode, = issue(ended, 1)[0]
    s2code, = issue(store2, 1)[0]
    ccodes, _ = issue(capped, 2)
    pool = iter(codes[4:])

    # -- operations ----------------------------------------------------------------------
    L.call("/healthz", "get", None, expect=200)
    L.call("/healthz", "get", M, expect=200, name="with a certificate")
    L.roles_matrix("/metrics", "get", lambda who: ("/metrics", None))
    L.roles_matrix("/v1/whoami", "get", lambda who: ("/v1/whoami", None))
    st, js = L.call("/v1/whoami", "get", T1, expect=200)
    if js and js.get("store") != 1:
        FAIL.add("GET /v1/whoami", f"terminal-1 should be store 1: {js}")
    L.roles_matrix("/v1/keys", "get", lambda who: ("/v1/keys", None))

    L.roles_matrix("/v1/campaigns", "get", lambda who: ("/v1/campaigns", None))
    L.call("/v1/campaigns", "get", M, f"/v1/campaigns?after={base}&limit=2", expect=200)
    L.call("/v1/campaigns", "get", M, "/v1/campaigns?after=999999999999", expect=200, name="empty page")
    L.call("/v1/campaigns", "get", M, "/v1/campaigns?limit=0", expect=400)
    L.call("/v1/campaigns", "get", M, "/v1/campaigns?limit=1001", expect=400)
    L.call("/v1/campaigns", "get", M, "/v1/campaigns?after=abc", expect=400)

    def new_campaign(who):
        return "/v1/campaigns", {"name": L.uid("c"), "channel": "email", "cost_cents": 0,
                                 "starts_at": "2020-01-01T00:00:00+01:00",
                                 "ends_at": "2099-12-31T23:59:59.5Z",
                                 "offer": {"kind": "amount", "value": 500}, "variant_of": base}
    L.roles_matrix("/v1/campaigns", "post", new_campaign)
    good = new_campaign(M)[1]
    for name, body in [
            ("missing field", {k: v for k, v in good.items() if k != "channel"}),
            ("unknown field", dict(good, colour="red")),
            ("unknown offer field", dict(good, offer={"kind": "amount", "value": 1, "x": 1})),
            ("bad channel", dict(good, channel="carrier-pigeon")),
            ("percent over 100", dict(good, offer={"kind": "percent", "value": 101})),
            ("float", dict(good, cost_cents=10.5)),
            ("bad time", dict(good, starts_at="yesterday")),
            ("ends before start", dict(good, starts_at="2030-01-01T00:00:00Z", ends_at="2029-01-01T00:00:00Z")),
            ("no such variant", dict(good, variant_of=999999999999)),
            ("empty stores", dict(good, stores=[])),
            ("no offer", {k: v for k, v in good.items() if k != "offer"})]:
        L.call("/v1/campaigns", "post", M, body=body, expect=400, name=name)
    L.call("/v1/campaigns", "post", M, body="{not json", expect=400, name="invalid JSON")
    L.call("/v1/campaigns", "post", M, body="[]", expect=400, name="not an object")
    L.call("/v1/campaigns", "post", M, body=b"", expect=400, name="no body")
    L.call("/v1/campaigns", "post", M, body=b" " * (1024 * 1024 + 10), expect=413, name="too large")

    L.roles_matrix("/v1/campaigns/{id}", "get", lambda who: (f"/v1/campaigns/{base}", None))
    L.call("/v1/campaigns/{id}", "get", M, "/v1/campaigns/999999999999", expect=404)
    L.call("/v1/campaigns/{id}", "get", M, "/v1/campaigns/abc", expect=404)

    tpl = "/v1/campaigns/{id}/coupons"
    L.roles_matrix(tpl, "post", lambda who: (f"/v1/campaigns/{base}/coupons", {"count": 2}))
    L.call(tpl, "post", M, f"/v1/campaigns/{base}/coupons", {"count": 1, "uses": 5},
           expect=201, name="generic code")
    key = {"Idempotency-Key": L.uid("issue")}
    L.call(tpl, "post", M, f"/v1/campaigns/{base}/coupons", {"count": 2}, key, expect=201, name="keyed")
    L.call(tpl, "post", M, f"/v1/campaigns/{base}/coupons", {"count": 2}, key, expect=200, name="replay")
    L.call(tpl, "post", M, f"/v1/campaigns/{base}/coupons", {"count": 3}, key, expect=409, name="key reused")
    L.call(tpl, "post", M, f"/v1/campaigns/{base}/coupons", {"count": 1001}, expect=201,
           name="over 1000: not listed")
    L.call(tpl, "post", M, f"/v1/campaigns/{base}/coupons", {"count": 1}, {"Idempotency-Key": ""},
           expect=400, name="empty key")
    for name, body in [("count 0", {"count": 0}), ("no count", {}),
                       ("generic batch", {"count": 2, "uses": 2}), ("unknown", {"count": 1, "n": 1})]:
        L.call(tpl, "post", M, f"/v1/campaigns/{base}/coupons", body, expect=400, name=name)
    L.call(tpl, "post", M, f"/v1/campaigns/{base}/coupons", {"count": 1, "card": "nonsense!"},
           expect=400, name="malformed card")
    L.call(tpl, "post", M, f"/v1/campaigns/{base}/coupons", {"count": 1, "card": codes[0]},
           expect=422, name="a coupon as card")
    L.call(tpl, "post", M, "/v1/campaigns/999999999999/coupons", {"count": 1}, expect=404)

    tpl = "/v1/campaigns/{id}/coupons.csv"
    L.roles_matrix(tpl, "get", lambda who: (f"/v1/campaigns/{base}/coupons.csv", None))
    st, ctype, raw = client.request(M, "get", f"/v1/campaigns/{capped}/coupons.csv")
    lines = raw.decode().splitlines()
    if st != 200 or lines[:1] != ["code,signed,issued_at,state"] or len(lines) != 3:
        FAIL.add(f"GET {tpl}", f"unexpected CSV: {raw[:300]!r}")
    L.call(tpl, "get", M, "/v1/campaigns/999999999999/coupons.csv", expect=404)

    tpl = "/v1/campaigns/{id}/qr.tar"
    L.roles_matrix(tpl, "get", lambda who: (f"/v1/campaigns/{base}/qr.tar", None))
    L.call(tpl, "get", M, f"/v1/campaigns/{capped}/qr.tar?format=svg", expect=200, name="svg")
    L.call(tpl, "get", M, f"/v1/campaigns/{base}/qr.tar?format=gif", expect=400, name="gif")
    L.call(tpl, "get", M, "/v1/campaigns/999999999999/qr.tar", expect=404)

    # the till
    L.roles_matrix("/v1/checks", "post",
                   lambda who: ("/v1/checks", {"code": codes[0], "basket_cents": 5000}))
    chk = lambda body, expect=200, who=T1, name="": L.call("/v1/checks", "post", who, body=body,
                                                           expect=expect, name=name)
    chk({"code": codes[0].lower().replace("-", " "), "basket_cents": 5000}, name="typed loosely")
    chk({"code": signed[0], "basket_cents": 5000}, name="signed form")
    chk({"code": pcodes[0], "basket_cents": 5000}, name="points")
    chk({"code": codes[0], "basket_cents": 500}, name="below minimum")
    chk({"code": "no such code", "basket_cents": 500}, name="malformed")
    chk({"code": typo(codes[0]), "basket_cents": 500}, name="typo")
    chk({"code": forge_short(codes[0]), "basket_cents": 500}, name="forged")
    chk({"code": fcode, "basket_cents": 5000}, name="not started")
    chk({"code": ecode, "basket_cents": 5000}, name="expired")
    chk({"code": s2code, "basket_cents": 5000}, name="wrong store")
    chk({"code": codes[0], "basket_cents": 5000, "card": "bogus!"}, name="malformed card")
    chk({"code": codes[0]}, expect=400, name="no basket")
    chk({"code": codes[0], "basket_cents": -1}, expect=400, name="negative basket")
    chk({"code": codes[0], "basket_cents": 1, "txn_id": "x"}, expect=400, name="unknown field")
    chk(b"", expect=400, name="no body")

    L.roles_matrix("/v1/redemptions", "post",
                   lambda who: ("/v1/redemptions", {"code": next(pool), "basket_cents": 5000,
                                                    "txn_id": L.uid("txn")}))
    first = next(pool)
    body = {"code": first, "basket_cents": 5000, "txn_id": L.uid("txn")}
    st, red = L.call("/v1/redemptions", "post", T1, body=body, expect=201)
    st, again = L.call("/v1/redemptions", "post", T1, body=body, expect=200, name="replay")
    if red and again and red != again:
        FAIL.add("POST /v1/redemptions", f"replay answered differently: {red} vs {again}")
    L.call("/v1/redemptions", "post", T1, body=dict(body, basket_cents=5001), expect=409, name="txn reused")
    redeem(first, expect=409, name="already redeemed")
    chk({"code": first, "basket_cents": 5000}, name="already redeemed")
    redeem(pcodes[1], name="points")
    redeem(typo(next(pool)), expect=400, name="typo")
    redeem("garbage", expect=400, name="malformed")
    redeem(forge_short(codes[0]), expect=422, name="forged")
    redeem(fcode, expect=422, name="not started")
    redeem(ecode, expect=422, name="expired")
    redeem(s2code, expect=422, name="wrong store")
    redeem(s2code, who=T2, name="store 2")
    redeem(next(pool), basket=999, expect=422, name="below minimum")
    redeem(ccodes[0], name="capped: first")
    redeem(ccodes[1], expect=409, name="capped: exhausted")
    chk({"code": ccodes[1], "basket_cents": 5000}, name="campaign exhausted")
    redeem(next(pool), expect=400, name="no txn_id", txn_id=None)
    redeem(next(pool), expect=400, name="bad txn_id", txn_id="has space")
    redeem(next(pool), expect=400, name="unknown field", till=1)

    tpl = "/v1/redemptions/{id}/void"

    def fresh_redemption(who=T1):
        st, js = redeem(next(pool), who=who, name="fixture")
        return js["redemption_id"] if js else 999999999

    L.roles_matrix(tpl, "post", lambda who: (f"/v1/redemptions/{fresh_redemption()}/void",
                                             {"txn_id": L.uid("void")}))
    rbody = {"code": next(pool), "basket_cents": 5000, "txn_id": L.uid("txn")}
    st, js = L.call("/v1/redemptions", "post", T1, body=rbody, expect=201, name="fixture")
    rid = js["redemption_id"] if js else 999999999
    vbody = {"txn_id": L.uid("void")}
    L.call(tpl, "post", T2, f"/v1/redemptions/{rid}/void", {"txn_id": L.uid("void")},
           expect=404, name="other store")
    L.call(tpl, "post", T1, f"/v1/redemptions/{rid}/void", vbody, expect=200)
    L.call(tpl, "post", T1, f"/v1/redemptions/{rid}/void", vbody, expect=200, name="replay")
    L.call(tpl, "post", T1, f"/v1/redemptions/{rid}/void", {"txn_id": L.uid("void")},
           expect=409, name="second void")
    st, js = L.call("/v1/redemptions", "post", T1, body=rbody, expect=409, name="replay after void")
    if js is not None and (js.get("error") != "voided" or js.get("redemption_id") != rid):
        FAIL.add("POST /v1/redemptions", f"a replay after a void should be 409 voided: {js}")
    L.call(tpl, "post", T1, f"/v1/redemptions/{fresh_redemption()}/void", vbody, expect=409,
           name="txn reused")
    L.call(tpl, "post", T1, "/v1/redemptions/999999999999/void", {"txn_id": L.uid("void")},
           expect=404)
    L.call(tpl, "post", T1, "/v1/redemptions/abc/void", {"txn_id": L.uid("void")}, expect=404)
    L.call(tpl, "post", T1, f"/v1/redemptions/{rid}/void", {}, expect=400, name="no txn_id")
    L.call(tpl, "post", T1, f"/v1/redemptions/{rid}/void", b"", expect=400, name="no body")

    # coupons and report, after redemptions so that nested answers are filled
    tpl = "/v1/coupons/{code}"
    L.roles_matrix(tpl, "get", lambda who: (f"/v1/coupons/{codes[1]}", None))
    L.call(tpl, "get", M, f"/v1/coupons/{first}", expect=200, name="redeemed")
    L.call(tpl, "get", M, f"/v1/coupons/{signed[1]}", expect=200, name="signed form")
    L.call(tpl, "get", M, f"/v1/coupons/{typo(codes[1])}", expect=400, name="typo")
    L.call(tpl, "get", M, "/v1/coupons/garbage", expect=400, name="malformed")
    L.call(tpl, "get", M, f"/v1/coupons/{forge_short(codes[1])}", expect=422, name="forged")
    L.call(tpl, "get", M, f"/v1/coupons/{forge_short(codes[1], kind=1)}", expect=422, name="card kind")
    for fmt in ("svg", "png"):
        tpl = "/v1/coupons/{code}/qr." + fmt
        L.roles_matrix(tpl, "get", lambda who: (f"/v1/coupons/{codes[1]}/qr.{fmt}", None))
        L.call(tpl, "get", M, f"/v1/coupons/{typo(codes[1])}/qr.{fmt}", expect=400, name="typo")
        L.call(tpl, "get", M, f"/v1/coupons/{forge_short(codes[1])}/qr.{fmt}", expect=422, name="forged")

    tpl = "/v1/campaigns/{id}/report"
    L.roles_matrix(tpl, "get", lambda who: (f"/v1/campaigns/{base}/report", None))
    L.call(tpl, "get", M, f"/v1/campaigns/{points}/report", expect=200, name="no cost")
    L.call(tpl, "get", M, f"/v1/campaigns/{future}/report", expect=200, name="nothing redeemed")
    L.call(tpl, "get", M, "/v1/campaigns/999999999999/report", expect=404)

    if ("post", "/v1/cards") in L.ops:
        run_cards(L, base, codes, points)
    if ("get", "/ui/") in L.ops:
        run_console(L)

    if ("get", "/v1/campaigns/{id}/compare") in L.ops:
        from openapi_live_analytics import run_analytics
        run_analytics(L, campaign, issue, redeem)
    if ("get", "/v1/offline-conflicts") in L.ops:
        from openapi_live_offline import run_offline
        run_offline(L, campaign, issue, redeem)

    if ("post", "/v1/redemptions/{id}/returns") in L.ops:
        from openapi_live_counter import run_counter
        run_counter(L, campaign, issue, redeem)

    run_events(L, base, FAIL)
    L.coverage()


def run_console(L):
    """The marketer's console: its page and files; refusals are HTML pages."""
    for tpl, path in (("/ui/", "/ui/"), ("/ui", "/ui"), ("/ui/{asset}", "/ui/app.js"),
                      ("/ui/{asset}", "/ui/app.css"), ("/ui/{asset}", "/ui/icon.svg")):
        L.roles_matrix(tpl, "get", lambda who, p=path: (p, None))
    L.call("/ui/{asset}", "get", "marketer", "/ui/no-such-file.js", expect=404, name="no such file")


def run_cards(L, base, codes, points_campaign):
    """Bonus cards: issue, balance, QR, earn, burn, void, and cards with coupons."""
    T1, T2, M = "terminal-1", "terminal-2", "marketer"

    def new_card(who=M, body=None):
        st, js = L.call("/v1/cards", "post", who, body=body if body is not None else {},
                        expect=201, name="fixture")
        if not js or "card" not in js:
            raise RuntimeError("cannot issue a card fixture")
        return js["card"], js.get("signed")

    L.roles_matrix("/v1/cards", "post", lambda who: ("/v1/cards", {}))
    card, card_signed = new_card()
    new_card(T1, body=b"")  # no body at all
    L.call("/v1/cards", "post", M, body={"name": "Erika"}, expect=400, name="unknown field")
    L.call("/v1/cards", "post", M, body="[]", expect=400, name="not an object")

    tpl = "/v1/cards/{card}"
    L.roles_matrix(tpl, "get", lambda who: (f"/v1/cards/{card}", None))
    L.call(tpl, "get", M, f"/v1/cards/{card_signed}", expect=200, name="signed form")
    L.call(tpl, "get", M, f"/v1/cards/{typo(card)}", expect=400, name="typo")
    L.call(tpl, "get", M, "/v1/cards/garbage", expect=400, name="malformed")
    L.call(tpl, "get", M, f"/v1/cards/{forge_short(card)}", expect=422, name="forged")
    L.call(tpl, "get", M, f"/v1/cards/{codes[0]}", expect=422, name="a coupon's code")
    for fmt in ("svg", "png"):
        tpl = "/v1/cards/{card}/qr." + fmt
        L.roles_matrix(tpl, "get", lambda who: (f"/v1/cards/{card}/qr.{fmt}", None))
        L.call(tpl, "get", M, f"/v1/cards/{typo(card)}/qr.{fmt}", expect=400, name="typo")
        L.call(tpl, "get", M, f"/v1/cards/{forge_short(card)}/qr.{fmt}", expect=422, name="forged")

    earn_tpl, burn_tpl = "/v1/cards/{card}/earn", "/v1/cards/{card}/burn"

    def earn(basket, who=T1, expect=201, name="", c=None, **over):
        body = {"basket_cents": basket, "txn_id": L.uid("earn")}
        body.update(over)
        return L.call(earn_tpl, "post", who, f"/v1/cards/{c or card}/earn", body,
                      expect=expect, name=name)

    L.roles_matrix(earn_tpl, "post", lambda who: (f"/v1/cards/{card}/earn",
                                                  {"basket_cents": 12345, "txn_id": L.uid("earn")}))
    body = {"basket_cents": 10000, "txn_id": L.uid("earn")}
    st, first = L.call(earn_tpl, "post", T1, f"/v1/cards/{card}/earn", body, expect=201)
    st, again = L.call(earn_tpl, "post", T1, f"/v1/cards/{card}/earn", body, expect=200, name="replay")
    if first and again and first != again:
        FAIL.add(f"POST {earn_tpl}", f"replay answered differently: {first} vs {again}")
    L.call(earn_tpl, "post", T1, f"/v1/cards/{card}/earn", dict(body, basket_cents=1), expect=409,
           name="txn reused")
    L.call(burn_tpl, "post", T1, f"/v1/cards/{card}/burn", {"points": 1, "txn_id": body["txn_id"]},
           expect=409, name="txn of an earn")
    earn(100, expect=400, name="no txn_id", txn_id=None)
    earn(-1, expect=400, name="negative basket")
    earn(100, expect=400, name="unknown field", store=2)
    earn(100, expect=400, name="typo", c=typo(card))
    earn(100, expect=422, name="forged", c=forge_short(card))
    earn(0, name="empty basket")
    L.call(earn_tpl, "post", T1, f"/v1/cards/{card}/earn", b"", expect=400, name="no body")

    def burn(points, who=T1, expect=201, name="", **over):
        body = {"points": points, "txn_id": L.uid("burn")}
        body.update(over)
        return L.call(burn_tpl, "post", who, f"/v1/cards/{card}/burn", body, expect=expect, name=name)

    L.roles_matrix(burn_tpl, "post", lambda who: (f"/v1/cards/{card}/burn",
                                                  {"points": 1, "txn_id": L.uid("burn")}))
    body = {"points": 5, "txn_id": L.uid("burn")}
    L.call(burn_tpl, "post", T1, f"/v1/cards/{card}/burn", body, expect=201)
    L.call(burn_tpl, "post", T1, f"/v1/cards/{card}/burn", body, expect=200, name="replay")
    L.call(burn_tpl, "post", T1, f"/v1/cards/{card}/burn", dict(body, points=6), expect=409,
           name="txn reused")
    burn(10**9, expect=409, name="beyond the balance")
    burn(0, expect=400, name="zero points")
    burn(1.5, expect=400, name="not a whole number")

    tpl = "/v1/card-transactions/{id}/void"

    def fresh_earn(basket=300, who=T1):
        st, js = earn(basket, who=who, name="fixture")
        return js["transaction_id"] if js else 999999999

    def void(tid, who=T1, expect=200, name="", body=None):
        return L.call(tpl, "post", who, f"/v1/card-transactions/{tid}/void",
                      body if body is not None else {"txn_id": L.uid("cvoid")},
                      expect=expect, name=name)

    L.roles_matrix(tpl, "post", lambda who: (f"/v1/card-transactions/{fresh_earn()}/void",
                                             {"txn_id": L.uid("cvoid")}))
    tid = fresh_earn()
    vb = {"txn_id": L.uid("cvoid")}
    void(tid, who=T2, expect=404, name="other store")
    void(tid, body=vb)
    void(tid, body=vb, name="replay")
    void(tid, expect=409, name="second void")
    void(fresh_earn(), body=vb, expect=409, name="txn reused")
    st, js = burn(3, name="fixture")
    if js:
        void(js["transaction_id"], name="a burn")
    void(999999999999, expect=404)
    void("abc", expect=404, name="not an id")
    # a replay of an earn or a burn that was voided since: 409 voided, nothing booked
    for what, path, body in (("earn", f"/v1/cards/{card}/earn", {"basket_cents": 200}),
                             ("burn", f"/v1/cards/{card}/burn", {"points": 1})):
        body["txn_id"] = L.uid(what)
        one_tpl = earn_tpl if what == "earn" else burn_tpl
        st, js = L.call(one_tpl, "post", T1, path, body, expect=201, name="fixture")
        if js:
            void(js["transaction_id"], name="fixture")
            st, again = L.call(one_tpl, "post", T1, path, body, expect=409,
                               name="replay after void")
            if again is not None and again.get("error") != "voided":
                FAIL.add(f"POST {one_tpl}", f"a replay after a void should be 409 voided: {again}")
    void(tid, body={}, expect=400, name="no txn_id")
    void(tid, body={"txn_id": L.uid("cvoid"), "why": "x"}, expect=400, name="unknown field")
    # an earn whose points were spent cannot be voided
    spent, _ = new_card()
    st, js = earn(5000, c=spent, name="fixture")
    L.call(burn_tpl, "post", T1, f"/v1/cards/{spent}/burn", {"points": 50, "txn_id": L.uid("burn")},
           expect=201, name="spend all")
    if js:
        void(js["transaction_id"], expect=409, name="points spent")

    # cards with coupons: personalised coupons, and points offers credited to a card
    st, js = L.call("/v1/campaigns/{id}/coupons", "post", M, f"/v1/campaigns/{base}/coupons",
                    {"count": 1, "card": card}, expect=201, name="personalised")
    if js and js.get("coupons"):
        pc = js["coupons"][0]["code"]
        other, _ = new_card()
        L.call("/v1/coupons/{code}", "get", M, f"/v1/coupons/{pc}", expect=200, name="personalised")
        L.call("/v1/checks", "post", T1, body={"code": pc, "basket_cents": 5000}, expect=200,
               name="personalised without card")
        L.call("/v1/checks", "post", T1, body={"code": pc, "basket_cents": 5000, "card": card},
               expect=200, name="personalised with its card")
        for name, extra in (("without card", {}), ("with another card", {"card": other})):
            L.call("/v1/redemptions", "post", T1,
                   body=dict({"code": pc, "basket_cents": 5000, "txn_id": L.uid("txn")}, **extra),
                   expect=422, name=f"personalised {name}")
        L.call("/v1/redemptions", "post", T1,
               body={"code": pc, "basket_cents": 5000, "txn_id": L.uid("txn"), "card": card},
               expect=201, name="personalised with its card")
    st, js = L.call("/v1/campaigns/{id}/coupons", "post", M,
                    f"/v1/campaigns/{points_campaign}/coupons", {"count": 3}, expect=201,
                    name="points fixture")
    if js and js.get("coupons"):
        p1, p2, p3 = (c["code"] for c in js["coupons"])
        st, red = L.call("/v1/redemptions", "post", T1,
                         body={"code": p1, "basket_cents": 5000, "txn_id": L.uid("txn"),
                               "card": card}, expect=201, name="points to a card")
        L.call("/v1/cards/{card}", "get", T1, f"/v1/cards/{card}", expect=200, name="after coupon points")
        if red:
            L.call("/v1/redemptions/{id}/void", "post", T1,
                   f"/v1/redemptions/{red['redemption_id']}/void", {"txn_id": L.uid("void")},
                   expect=200, name="points taken back")
        # the points a coupon credited were spent: its redemption cannot be voided
        fresh, _ = new_card()
        st, red = L.call("/v1/redemptions", "post", T1,
                         body={"code": p2, "basket_cents": 5000, "txn_id": L.uid("txn"),
                               "card": fresh}, expect=201, name="points to a new card")
        L.call(burn_tpl, "post", T1, f"/v1/cards/{fresh}/burn",
               {"points": 50, "txn_id": L.uid("burn")}, expect=201, name="spend them")
        if red:
            L.call("/v1/redemptions/{id}/void", "post", T1,
                   f"/v1/redemptions/{red['redemption_id']}/void", {"txn_id": L.uid("void")},
                   expect=409, name="coupon points spent")
        # a card number that passes the MAC but was never issued cannot be made here, so an
        # unknown card is a forged one
        L.call("/v1/redemptions", "post", T1,
               body={"code": p3, "basket_cents": 5000, "txn_id": L.uid("txn"),
                     "card": forge_short(card)}, expect=422, name="points to a forged card")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--routes")
    ap.add_argument("--base")
    ap.add_argument("--certs")
    args = ap.parse_args()
    try:
        with open(args.spec, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"FAIL {args.spec}: cannot read it as YAML: {e}")
        return 1
    lint(doc)
    if args.routes:
        check_routes(doc, read_routes(args.routes))
    if args.base and not FAIL.items:
        try:
            run_live(doc, Client(args.base, args.certs))
        except (RuntimeError, OSError) as e:
            FAIL.add("live", f"stopped: {e}")
    if FAIL.items:
        print(f"openapi check: {len(FAIL.items)} failure(s)")
        return 1
    print("openapi check: document, route table and live answers agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
