"""Schema definitions compared by meaning, not by the text PostgreSQL happens to print.

``pg_get_indexdef`` / ``pg_get_constraintdef`` / ``pg_get_expr`` print the parse tree the
server stored, and a dump/restore round trip can store a different tree for the same
meaning: ``role IN ('x','y')`` on a varchar column is printed before a round trip as

    ((role)::text = ANY ((ARRAY['x'::character varying, 'y'::character varying])::text[]))

and after it as

    ((role)::text = ANY (ARRAY[('x'::character varying)::text, ('y'::character varying)::text]))

Both are parsed here with PostgreSQL's own parser (``pglast``, libpg_query) and brought to
one canonical form before they are compared:

- a cast of an ``ARRAY[...]`` literal to ``T[]`` is pushed into its elements (``ARRAY[e::T, …]``);
- casts to unbounded ``text`` / ``varchar`` (which share every operator) are dropped;
- ``pg_catalog.`` is dropped from type names; the statement is re-printed by the deparser.

Everything else (columns, operators, constants, opclasses, ``UNIQUE``, ``INCLUDE``, the access
method) stays, so a changed predicate, another column or a lost uniqueness still differs.
A definition the parser cannot read is compared as its whitespace-normalised text.

>>> before = "CREATE INDEX b2b ON public.users USING btree (role) WHERE ((role)::text = ANY ((ARRAY['x'::character varying, 'y'::character varying])::text[]))"
>>> after = "CREATE INDEX b2b ON public.users USING btree (role) WHERE ((role)::text = ANY (ARRAY[('x'::character varying)::text, ('y'::character varying)::text]))"
>>> canonical("index", before) == canonical("index", after)
True
>>> canonical("index", before) == canonical("index", before.replace("'y'", "'z'"))
False
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pglast import ast, parse_sql
from pglast.stream import RawStream
from pglast.visitors import Visitor

Kind = Literal["index", "constraint", "default", "column"]

_STRING_TYPES = {"text", "varchar"}
_PREFIX = {"constraint": "ALTER TABLE t ADD CONSTRAINT c ", "default": "SELECT "}


def _type_name(name: ast.TypeName) -> str:
    parts = [p.sval or "" for p in name.names or () if isinstance(p, ast.String)]
    return parts[-1] if parts else ""


def _is_string_cast(name: ast.TypeName, array: bool) -> bool:
    """A cast to unbounded text/varchar (``array``: to text[]/varchar[])."""
    if name.typmods or name.setof or name.pct_type:
        return False
    return _type_name(name) in _STRING_TYPES and bool(name.arrayBounds) == array


class _Normalise(Visitor):
    changed = False

    def visit_TypeName(self, ancestors: object, node: ast.TypeName) -> None:
        names = node.names or ()
        if len(names) == 2 and isinstance(names[0], ast.String) and names[0].sval == "pg_catalog":
            node.names = names[1:]
            self.changed = True

    def visit_TypeCast(self, ancestors: object, node: ast.TypeCast) -> ast.Node | None:
        name = node.typeName
        if isinstance(node.arg, ast.A_ArrayExpr) and name is not None and name.arrayBounds:
            element = ast.TypeName(names=name.names, typmods=name.typmods, typemod=name.typemod)
            self.changed = True
            return ast.A_ArrayExpr(elements=tuple(ast.TypeCast(arg=e, typeName=element)
                                                  for e in node.arg.elements or ()))
        if name is not None and _is_string_cast(name, array=False):
            self.changed = True
            return node.arg
        return None


def _deparse(text: str) -> str:
    tree = parse_sql(text)
    for _ in range(10):  # each pass removes at least one layer; definitions are shallow
        visitor = _Normalise()
        visitor(tree)
        if not visitor.changed:
            break
    return str(RawStream()(tree))


@lru_cache(maxsize=4096)
def canonical(kind: Kind, definition: str) -> str:
    """The canonical form of one catalog definition (``kind`` says what it is)."""
    text = definition.strip()
    if not text or kind == "column":
        return _squash(text)
    prefix = _PREFIX.get(kind, "")
    try:
        out = _deparse(prefix + text)
        return out[len(prefix):] if out.startswith(prefix) else out
    except Exception:  # noqa: BLE001 - an unreadable definition is compared as text
        return _squash(text)


def canonical_column(description: str) -> str:
    """A column description ``type [NOT NULL] [DEFAULT expr] [GENERATED …]`` with its default canonical."""
    match = re.match(r"(?s)^(.*?)( NOT NULL)?(?: DEFAULT (.*?))?( GENERATED (?:ALWAYS|BY DEFAULT) AS IDENTITY)?$",
                     description)
    if not match or not match.group(3):
        return _squash(description)
    head, notnull, default, identity = match.groups()
    return _squash(f"{head}{notnull or ''} DEFAULT {canonical('default', default)}{identity or ''}")


def _squash(text: str) -> str:
    return " ".join(text.split())


def canonical_schema(schema: dict[str, dict[str, dict[str, str]]]) -> dict[str, dict[str, dict[str, str]]]:
    """A schema fingerprint (``gate.db.fingerprint.schema_fingerprint``) with every definition canonical."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for table, kinds in schema.items():
        out[table] = {
            "columns": {c: canonical_column(d) for c, d in kinds.get("columns", {}).items()},
            "constraints": {c: canonical("constraint", d) for c, d in kinds.get("constraints", {}).items()},
            "indexes": {c: canonical("index", d) for c, d in kinds.get("indexes", {}).items()},
        }
    return out
