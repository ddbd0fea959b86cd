"""The flush's blast radius from the database itself: the closure of foreign keys into the product tables.

Deleting every row of the product tables reaches, through each foreign key that references them,
the rows that point at a deleted row. The catalog says what PostgreSQL does with them
(``pg_constraint.confdeltype``): CASCADE deletes them (and the closure goes on from there), SET
NULL / SET DEFAULT rewrites them, RESTRICT / NO ACTION refuses the delete. Django emulates
``on_delete`` in Python and creates every constraint as NO ACTION (deferrable), so for a Django
schema "blocks" means: the app's own collector deletes or nulls those rows, or the flush fails —
either way a protected table among them is touched. The closure therefore goes on through
CASCADE and NO ACTION/RESTRICT edges (the app may cascade), not through SET NULL/DEFAULT.

Everything is read on a read-only connection: the row counts come from ``count(*)`` with nested
``EXISTS`` over the path from the product tables, computed by the server.

>>> radius = blast_radius(conn, ["products", "product_variants"])   # doctest: +SKIP
>>> [(r.table, r.action, r.rows) for r in radius if r.rows]        # doctest: +SKIP
[('favorites', 'block', 80)]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from gate.db.fingerprint import USER_SCHEMAS, qualified

ACTIONS = {"c": "delete", "n": "null", "d": "default", "r": "block", "a": "block"}
"""``confdeltype`` → what deleting the referenced row does to the referencing one."""
PROPAGATES = frozenset({"delete", "block"})
MAX_DEPTH = 6

FOREIGN_KEYS = f"""
SELECT k.conname, n.nspname, c.relname, pn.nspname, p.relname, k.confdeltype, k.condeferrable,
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),
       ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE k.contype = 'f' AND {USER_SCHEMAS}
ORDER BY 1
"""


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """One foreign key: ``child(child_cols) → parent(parent_cols)`` with its ON DELETE action."""

    name: str
    child: str
    child_cols: tuple[str, ...]
    parent: str
    parent_cols: tuple[str, ...]
    action: str
    deferrable: bool = False


@dataclass(frozen=True, slots=True)
class Reach:
    """What the flush does through one foreign key: the rows of ``table`` it deletes, nulls or is blocked by."""

    table: str
    constraint: str
    parent: str
    action: str
    rows: int
    depth: int

    def describe(self) -> str:
        """``favorites.favorites_product_id_fk → products: 80 rows (block: the app deletes/nulls them, or fails)``."""
        what = {"delete": "deleted by CASCADE", "null": "set NULL", "default": "set to their default",
                "block": "NO ACTION/RESTRICT: the app deletes or nulls them itself, or the flush fails"}[self.action]
        return f"{self.table} via {self.constraint} → {self.parent}: {self.rows} rows ({what})"


def foreign_keys(conn: psycopg.Connection[TupleRow]) -> list[ForeignKey]:
    """Every foreign key of the user schemas, from the catalog."""
    return [ForeignKey(name, qualified(cs, ct), tuple(ccols), qualified(ps, pt), tuple(pcols),
                       ACTIONS.get(kind, "block"), bool(deferrable))
            for name, cs, ct, ps, pt, kind, deferrable, ccols, pcols in conn.execute(FOREIGN_KEYS).fetchall()]


def _ident(table: str) -> sql.Composable:
    schema, _, name = table.rpartition(".")
    return sql.Identifier(schema or "public", name)


class _Closure:
    """Predicates "this row is reached by the flush" per table, as nested EXISTS over the FK paths."""

    def __init__(self, keys: list[ForeignKey], roots: set[str]) -> None:
        self.roots = roots
        self.incoming: dict[str, list[ForeignKey]] = {}
        for key in keys:
            self.incoming.setdefault(key.child, []).append(key)
        self.alias = itertools.count()

    def reached(self, table: str, alias: str, stack: tuple[str, ...]) -> sql.Composable:
        """A predicate on ``alias`` (a row of ``table``): the flush deletes or blocks on this row."""
        if table in self.roots:
            return sql.SQL("TRUE")
        parts = [self.via(key, alias, (*stack, table)) for key in self.incoming.get(table, [])
                 if key.action in PROPAGATES and key.parent not in stack and len(stack) < MAX_DEPTH]
        parts = [p for p in parts if p is not None]
        return sql.SQL("({})").format(sql.SQL(" OR ").join(parts)) if parts else sql.SQL("FALSE")

    def via(self, key: ForeignKey, alias: str, stack: tuple[str, ...]) -> sql.Composable:
        """A predicate on ``alias`` (a row of ``key.child``): it references a reached row of ``key.parent``."""
        inner = f"b{next(self.alias)}"
        join = sql.SQL(" AND ").join(
            sql.SQL("{}.{} = {}.{}").format(sql.Identifier(inner), sql.Identifier(p), sql.Identifier(alias),
                                            sql.Identifier(c))
            for c, p in zip(key.child_cols, key.parent_cols, strict=True))
        return sql.SQL("EXISTS (SELECT 1 FROM {} AS {} WHERE {} AND {})").format(
            _ident(key.parent), sql.Identifier(inner), join, self.reached(key.parent, inner, stack))


def blast_radius(conn: psycopg.Connection[TupleRow], roots: Iterable[str]) -> list[Reach]:
    """Per foreign key into the closure of ``roots``: the rows the flush of ``roots`` deletes, nulls or blocks on."""
    keys = foreign_keys(conn)
    root_set = set(roots)
    closure = _Closure(keys, root_set)
    depth = {t: 0 for t in root_set}
    spreading = set(root_set)
    frontier = set(root_set)
    while frontier:  # breadth first: which tables the closure reaches, and at which depth
        nxt = set()
        for key in keys:
            if key.parent in frontier and key.child not in root_set:
                depth.setdefault(key.child, depth[key.parent] + 1)
                if key.action in PROPAGATES and key.child not in spreading and depth[key.child] < MAX_DEPTH:
                    spreading.add(key.child)
                    nxt.add(key.child)
        frontier = nxt
    out: list[Reach] = []
    for key in keys:
        if key.parent not in spreading or key.child in root_set:
            continue
        predicate = closure.via(key, "a", ())
        query = sql.SQL("SELECT count(*) FROM {} AS a WHERE {}").format(_ident(key.child), predicate)
        row = conn.execute(query).fetchone()
        out.append(Reach(key.child, key.name, key.parent, key.action, int(row[0]) if row else 0,
                         depth.get(key.child, 0)))
    return sorted(out, key=lambda r: (r.depth, r.table, r.constraint))


def findings(radius: list[Reach], protected: Iterable[str]) -> list[str]:
    """FLS-01's findings: every protected table in the closure (with the rows the flush would reach now).

    A protected table with 0 rows reached today is still a finding: its rows are one flush away.
    """
    keep = set(protected)
    return [f"protected table {r.describe()}" for r in radius if r.table in keep]


def as_json(radius: list[Reach]) -> list[dict[str, object]]:
    """The closure as JSON-ready rows."""
    return [asdict(r) for r in radius]
