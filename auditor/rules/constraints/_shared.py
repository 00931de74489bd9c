"""What two or more CON rules share: which tables are judged, key and column lookups, ADD CONSTRAINT
SQL that does not block, the words of a column's name, and the per-schema roll-up of per-table results.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import lru_cache
from itertools import chain

from auditor.base.names import quote_ident
from auditor.base.packed import deflate_lines
from auditor.catalog.model import Constraint, Snapshot, Table
from auditor.rules.common import new_name
from auditor.rules.registry import Hit, Obj, threshold

ROLLUP_TABLES = threshold(
    "rollup_tables", 10, "tables of one schema from which a per-table finding becomes one finding for the schema"
)

# type families: keys and references compare within them
INTEGER_WIDTH = {"int2": 16, "int4": 32, "int8": 64}
INTEGER_MAX = {"int2": 2**15 - 1, "int4": 2**31 - 1, "int8": 2**63 - 1}
TEXT_TYPES = {"text", "varchar", "bpchar", "citext"}


# which tables are judged, and lookups on them
def judged_tables(snap: Snapshot) -> list[Table]:
    """Ordinary and partitioned tables the application owns, partitions left out (judged via their root).
    Built once per snapshot: most CON rules and every roll-up ask for it."""
    return snap.once(
        "judged_tables", lambda: [t for t in snap.user_tables if t.kind in ("r", "p") and not t.is_partition]
    )


def judged_per_schema(snap: Snapshot) -> Counter[str]:
    """How many judged tables each schema holds (the denominator of a schema roll-up)."""
    return snap.once("judged_per_schema", lambda: Counter(t.schema for t in judged_tables(snap)))


def constraint_name(snap: Snapshot, t: Table, columns: list[str], suffix: str) -> str:
    """A free name for a new constraint, as PostgreSQL would derive it (table_cols_suffix, within 63 bytes)."""
    return new_name(snap, t, [t.name, "_".join(columns)], suffix, kind="constraint")


def add_constraint_sql(t: Table, name: str, body: str, validate: bool = True) -> str:
    """ADD CONSTRAINT ... NOT VALID then VALIDATE: the scan runs under a lock that lets reads and writes go on."""
    if not validate:
        return f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(name)} {body};"
    return (
        f"ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(name)} {body} NOT VALID;\n"
        f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {quote_ident(name)};"
    )


def checked_columns(snap: Snapshot, t: Table) -> set[str]:
    """Columns some CHECK constraint on the table mentions (conkey lists them)."""
    return {c for con in snap.constraints_of.get(t.oid, []) if con.type == "c" for c in con.columns}


def fk_columns(snap: Snapshot, t: Table) -> set[str]:
    return {c for con in snap.constraints_of.get(t.oid, []) if con.type == "f" for c in con.columns}


def primary_key(snap: Snapshot, t: Table) -> Constraint | None:
    return next((c for c in snap.constraints_of.get(t.oid, []) if c.type == "p"), None)


@lru_cache(maxsize=1 << 14)
def tokens(name: str) -> tuple[str, ...]:
    """snake_case / camelCase words of a column name, lower case (cached: the same names recur in every table)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return tuple(w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w)


def polymorphic_ids(snap: Snapshot, t: Table) -> dict[str, str]:
    """Rails polymorphic associations: x_id beside x_type. They point at several tables, so no FK can hold them."""
    cols = {c.name: c for c in snap.columns_of.get(t.oid, [])}
    return {
        f"{n[:-5]}_id": n
        for n, c in cols.items()
        if n.endswith("_type") and c.base_type in TEXT_TYPES and f"{n[:-5]}_id" in cols
    }


# evidence lists kept short, and the per-schema roll-up of per-table results (CON007, CON008, CON015)
def sample(items: list[str], limit: int = 20) -> list[str]:
    return items if len(items) <= limit else [*items[:limit], f"... and {len(items) - limit} more"]


def rollup(
    snap: Snapshot, per_table: list[tuple[Table, list[str], str]]
) -> Iterator[tuple[str | None, list[tuple[Table, list[str], str]]]]:
    """Group per-table results by schema: a schema where many tables (rollup_tables, or 3+ making up 80% of
    the schema) share the same finding gets one line.

    Yields (schema, items) for a schema-wide group, (None, [item]) for a table reported alone.
    """
    by_schema: dict[str, list[tuple[Table, list[str], str]]] = defaultdict(list)
    for item in per_table:
        by_schema[item[0].schema].append(item)
    limit = ROLLUP_TABLES(snap)
    sizes = judged_per_schema(snap)
    for schema in sorted(by_schema):
        items = sorted(by_schema[schema], key=lambda i: i[0].name)
        if len(items) >= limit or (len(items) >= 3 and len(items) >= 0.8 * sizes[schema]):
            yield schema, items
        else:
            for item in items:
                yield None, [item]


def schema_hit(
    snap: Snapshot,
    schema: str,
    items: list[tuple[Table, list[str], str]],
    message: str,
    key: str,
    fix: str | None = None,
    fix_head: str = "",
) -> Hit:
    """One line for a schema's tables. Its fix is `fix`, or `fix_head` and every table's fix, deflated a piece
    at a time (base.packed): 23,000 tables' fixes joined were a second copy of them at CON007's peak."""
    tables_in_schema = judged_per_schema(snap)[schema]
    columns = [f"{t.name}.{c}" for t, cols, _ in items for c in cols]
    fixes = (f for _, _, f in items)
    return Hit(
        obj=Obj("schema", name=schema),
        message=message.format(
            columns=len(columns), tables=len(items), of=tables_in_schema, schema=quote_ident(schema)
        ),
        evidence={"tables": len(items), "tables_in_schema": tables_in_schema, key: sample(columns, 40)},
        fix=fix if fix is not None else deflate_lines(chain([fix_head], fixes) if fix_head else fixes),
    )


# the foreign keys CON003, CON004, CON012 and CON013 judge
def foreign_keys(snap: Snapshot) -> Iterator[tuple[Table, Constraint, Table | None]]:
    """Foreign keys of application tables, each once (partition clones left out)."""
    user = {t.oid for t in snap.user_tables}
    for con in snap.constraints:
        if con.type == "f" and con.parent_oid is None and con.table_oid in user:
            yield snap.table_by_oid[con.table_oid], con, snap.table_by_oid.get(con.ref_table_oid or 0)


# the words of names that measure something: CON007 bounds them, CON010 compares their types
UNIT_RANGE = {
    "confidence": (0, 1),
    "probability": (0, 1),
    "ratio": (0, 1),
    "percent": (0, 100),
    "percentage": (0, 100),
    "pct": (0, 100),
}
OPEN_RANGE = {"score", "rate"}
NON_NEGATIVE = {"quantity", "qty", "price", "amount", "cost"}
UNIT_WORDS = {"cents", "minor", "usd", "eur", "gbp", "value", "bps", "micros"}

MEASURES = {*UNIT_RANGE, *OPEN_RANGE, *NON_NEGATIVE, "units", "cents"}


def measure_words(name: str) -> tuple[str, ...]:
    """The words of a name without trailing units: amount_cents, price_usd end with their noun."""
    words = tokens(name)
    while len(words) > 1 and words[-1] in UNIT_WORDS:
        words = words[:-1]
    return words


# names that mean different things in different tables: never a reference (CON002) nor a drift (CON010)
GENERIC_NAMES = {
    "id", "name", "value", "code", "data", "description", "status", "state", "type", "kind", "key", "title",
    "metadata", "settings", "options", "properties", "payload", "body", "content", "label", "position",
    "sequential_id", "version", "number", "level", "token", "url", "email",
}  # fmt: skip
