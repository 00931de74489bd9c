"""Fix SQL that cannot be half applied: a replacement is built and checked at run time before the old
object goes, and the drop itself sits behind that check, so under psql's ON_ERROR_STOP on and off a
failed step is never followed by a destructive one.

Two shapes (issue 16):
- CONCURRENTLY steps cannot run in a transaction, so the new object is built first and a `DO` block
  (one statement: all or nothing) raises unless it exists, is valid and matches what the fix asked
  for, and only then, inside the same block, drops the old one. A step that failed leaves an invalid
  or missing object, the block raises, and the old object stays.
- Steps that need no CONCURRENTLY go in one transaction (`transaction`): a DO block, one statement,
  so a failure anywhere rolls back every step before it, whatever encloses it.

The checks read the catalogs when the fix runs, not the snapshot: the old object must still be there,
and nothing (a foreign key, replica identity, a primary key) may depend on it.
"""

from __future__ import annotations

from auditor.base.names import qualified, quote_ident, quote_literal, regclass_literal
from auditor.base.text import sql_comment
from auditor.catalog.model import Index, Snapshot, Table
from auditor.rules.fixnames import new_name


def do_block(body: str) -> str:
    """A DO block whose dollar-quote tag does not occur in its body (a name may hold `$$`). Its BEGIN shares
    the DO's line, so a reader looking for a transaction's BEGIN at the start of a line (`-f sql`) does
    not take it for one."""
    tag = "guard"
    while f"${tag}$" in body:
        tag += "_"
    return f"DO ${tag}$ BEGIN\n{body}\nEND ${tag}$;"


def transaction(statements: str) -> str:
    """Statements that need no CONCURRENTLY, all or nothing. A DO block rather than BEGIN ... COMMIT: one
    statement is one transaction under ON_ERROR_STOP on and off, and also under ON_ERROR_ROLLBACK (which lets
    a BEGIN block go on past a failed statement), in a client that wraps each script in its own transaction,
    and in `-f sql`'s grouping (a COMMIT inside a fix would end the enclosing transaction early)."""
    return do_block("\n".join("  " + line for line in statements.split("\n")))


def _lit(text: str) -> str:
    return quote_literal(text)


_LOCK = (
    "  IF current_setting('lock_timeout') = '0' THEN  -- wait briefly for the lock, never queue forever\n"
    "    PERFORM set_config('lock_timeout', '5s', true);\n"
    "  END IF;\n"
)


def _keys(alias: str, first: str = "1") -> str:
    """An index's key columns as pg_get_indexdef prints them, from the first'th on, as an array."""
    return (
        f"ARRAY(SELECT pg_get_indexdef({alias}.indexrelid, g, true) "
        f"FROM generate_series({first}, {alias}.indnkeyatts) g)"
    )


def _protected(old_q: str, via: str | None = None) -> str:
    """The check that raises when the index about to go is one nothing may lose: a primary key's, replica
    identity, one a foreign key looks its rows up through (pg_depend), or one backing a unique or exclusion
    constraint other than `via` (the constraint the fix drops it with)."""
    other = f" AND c.conname <> {_lit(via)}" if via else ""
    return (
        f"  IF EXISTS (SELECT FROM pg_index o WHERE o.indexrelid = to_regclass({old_q})\n"
        "      AND (o.indisprimary OR o.indisreplident))\n"
        "    OR EXISTS (SELECT FROM pg_depend d WHERE d.refclassid = 'pg_class'::regclass\n"
        f"      AND d.refobjid = to_regclass({old_q}) AND d.deptype = 'n')\n"
        f"    OR EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = to_regclass({old_q})\n"
        "      AND c.contype IN ('p', 'u', 'x')"
        f" AND c.conrelid = (SELECT indrelid FROM pg_index WHERE indexrelid = c.conindid){other})\n"
        "  THEN\n"
        "    RAISE EXCEPTION 'pg-auditor: a primary key, replica identity or foreign key uses the old index"
        " (or a constraint it backs): kept';\n"
        "  END IF;\n"
    )


def replace_index_sql(
    t: Table,
    create: str,
    new: str,
    old: str,
    old_constraint: str | None = None,
    lead: list[str] | tuple[str, ...] = (),
    trail: list[str] | tuple[str, ...] = (),
    nulls_not_distinct: bool = False,
    rename: bool = False,
    also: str = "",
) -> str:
    """Build a unique index, then swap: a DO block raises unless the new index (named `new`, in t's schema)
    is valid, ready, unique, on t, with keys `lead`, the old index's keys, then `trail`, the same predicate
    (and NULLS NOT DISTINCT when asked); unless the old one is neither a primary key, nor replica identity,
    nor used by a foreign key (pg_depend); and only then drops the old index (or its constraint), renaming
    the new one to the old name when asked. `create` is the CREATE UNIQUE INDEX statement; `also` is one more
    condition the swap needs (SQL, `n` the new index's pg_index row), such as a step before it that worked.
    When the old index is gone already (an earlier fix in the same script replaced it: ISO014 and CON015 on
    one index), the new one is dropped again and nothing else happens."""
    new_q = regclass_literal(t.schema, new)
    old_q = regclass_literal(t.schema, old)

    def names(columns: list[str] | tuple[str, ...]) -> str:
        return "ARRAY[" + ", ".join(f"quote_ident({_lit(c)})" for c in columns) + "]::text[]"

    expected = " || ".join([*([names(lead)] if lead else []), _keys("o"), *([names(trail)] if trail else [])])
    nnd = " AND n.indnullsnotdistinct" if nulls_not_distinct else ""
    drop = (
        f"  ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(old_constraint)};\n"
        if old_constraint
        else f"  DROP INDEX {qualified(t.schema, old)};\n"
    )
    if rename:
        drop += f"  ALTER INDEX {qualified(t.schema, new)} RENAME TO {quote_ident(old)};\n"
    body = (
        f"  IF to_regclass({old_q}) IS NULL AND to_regclass({new_q}) IS NOT NULL THEN\n"
        "    -- the old index went before this ran (another fix of the script replaced it): nothing to swap\n"
        f"    DROP INDEX {qualified(t.schema, new)};\n"
        "    RAISE NOTICE 'pg-auditor: % is gone already: % dropped, nothing to swap', "
        f"{_lit(old)}, {_lit(new)};\n"
        "    RETURN;\n"
        "  END IF;\n"
        "  IF NOT EXISTS (SELECT FROM pg_index n, pg_index o\n"
        f"      WHERE n.indexrelid = to_regclass({new_q}) AND o.indexrelid = to_regclass({old_q})\n"
        f"        AND n.indrelid = o.indrelid AND n.indrelid = {regclass_literal(t.schema, t.name)}::regclass\n"
        f"        AND n.indisunique AND n.indisvalid AND n.indisready{nnd}\n"
        f"        AND {_keys('n')} = {expected}\n"
        "        AND pg_get_expr(n.indpred, n.indrelid, true)\n"
        f"          IS NOT DISTINCT FROM pg_get_expr(o.indpred, o.indrelid, true){also})\n"
        "  THEN\n"
        "    RAISE EXCEPTION 'pg-auditor: the new unique index is missing or not valid: the old one is kept';\n"
        "  END IF;\n" + _protected(old_q, old_constraint) + _LOCK + drop
    ).rstrip("\n")
    return f"{create}\n{do_block(body)}"


def _cols(alias: str, first: str, last: str) -> str:
    """Index columns (keys or INCLUDE) `first` to `last` as pg_get_indexdef prints them, as an array."""
    return f"ARRAY(SELECT pg_get_indexdef({alias}.indexrelid, g, true) FROM generate_series({first}, {last}) g)"


def index_there(schema: str, name: str | None, alias: str, condition: str = "") -> str:
    """SQL: an index (`name` in `schema`, or any when None) exists on the table of `o` (the index about to go),
    built, valid and live, and `condition` holds of it (read as `alias`, its pg_index row; `{alias}_a` its
    pg_am row)."""
    a = alias
    named = f"{a}.indexrelid = to_regclass({regclass_literal(schema, name)}) AND " if name else ""
    return (
        f"EXISTS (SELECT FROM pg_index {a} JOIN pg_class {a}_c ON {a}_c.oid = {a}.indexrelid"
        f" JOIN pg_am {a}_a ON {a}_a.oid = {a}_c.relam\n"
        f"        WHERE {named}{a}.indexrelid <> o.indexrelid\n"
        f"          AND {a}.indrelid = o.indrelid AND {a}.indisvalid AND {a}.indisready AND {a}.indislive{condition})"
    )


def covers(snap: Snapshot, alias: str = "k") -> str:
    """An index_there condition: the index serves every lookup `o` serves and enforces what `o` enforces: the
    same access method, predicate, operator classes and collations, o's keys as its leading keys (in the same
    order, or all reversed: a btree read backwards), o's INCLUDE columns among its columns, and, if o is
    unique, unique on exactly those keys."""
    k = alias
    n = "o.indnkeyatts"
    same_nulls = f" AND (NOT o.indnullsnotdistinct OR {k}.indnullsnotdistinct)" if snap.server.major >= 15 else ""
    return (
        f"\n          AND {k}_a.oid = (SELECT relam FROM pg_class WHERE oid = o.indexrelid)"
        f" AND {k}.indnkeyatts >= {n}\n"
        f"          AND {_cols(k, '1', n)} = {_cols('o', '1', n)}\n"
        f"          AND {k}.indclass[0:{n} - 1] = o.indclass[0:{n} - 1]"
        f" AND {k}.indcollation[0:{n} - 1] = o.indcollation[0:{n} - 1]\n"
        f"          AND ({k}.indoption[0:{n} - 1] = o.indoption[0:{n} - 1]\n"
        f"            OR {k}.indoption[0:{n} - 1]"
        f" = ARRAY(SELECT o.indoption[g] # 3::int2 FROM generate_series(0, {n} - 1) g))\n"
        f"          AND pg_get_expr({k}.indpred, {k}.indrelid)"
        " IS NOT DISTINCT FROM pg_get_expr(o.indpred, o.indrelid)\n"
        f"          AND {_cols('o', f'{n} + 1', 'o.indnatts')} <@ {_cols(k, '1', f'{k}.indnatts')}\n"
        f"          AND (NOT o.indisunique OR ({k}.indisunique AND {k}.indnkeyatts = {n}{same_nulls}))"
    )


def same_keys_partial(alias: str = "k") -> str:
    """An index_there condition: a partial index of the same method on o's key and INCLUDE columns."""
    k = alias
    return (
        f"\n          AND {k}_a.oid = (SELECT relam FROM pg_class WHERE oid = o.indexrelid)"
        f" AND {k}.indpred IS NOT NULL\n"
        f"          AND {_cols(k, '1', f'{k}.indnatts')} = {_cols('o', '1', 'o.indnatts')}"
    )


def containment_on(column: str, alias: str = "k") -> str:
    """An index_there condition: a GIN or GiST index on `column`, which serves containment and overlap."""
    keys = _cols(alias, "1", f"{alias}.indnkeyatts")
    return f"\n          AND {alias}_a.amname IN ('gin', 'gist') AND quote_ident({_lit(column)}) = ANY({keys})"


def drop_index_guarded_sql(t: Table, old: Index, keep: list[str], if_there: bool = False) -> str:
    """Drop index `old` of t only once what replaces it is there (`keep`: index_there conditions, each
    over `o`, the old index's pg_index row): a DO block raises, and drops nothing, unless the old index is
    still there and every condition holds, or when the old index is one nothing may lose (_protected). The
    drop runs in the block, so no CONCURRENTLY: a brief ACCESS EXCLUSIVE lock on the table, waited for at
    most lock_timeout (5s when unset). An index backing a unique constraint goes with its constraint.
    With if_there, an old index that is gone already is no error (a block that several fixes repeat)."""
    old_q = regclass_literal(t.schema, old.name)
    via = old.constraint_name if old.constraint_type == "u" else None
    drop = (
        f"  ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(via)};"
        if via
        else f"  DROP INDEX {qualified(t.schema, old.name)};"
    )
    conditions = "\n      AND ".join(keep)
    gone = f"  IF to_regclass({old_q}) IS NULL THEN\n    RETURN;  -- gone already\n  END IF;\n" if if_there else ""
    body = (
        f"{gone}  IF NOT EXISTS (SELECT FROM pg_index o WHERE o.indexrelid = to_regclass({old_q})\n"
        f"      AND {conditions})\n"
        "  THEN\n"
        "    RAISE EXCEPTION 'pg-auditor: the index kept in its place is missing, not valid or no longer covers it: "
        "nothing dropped';\n"
        "  END IF;\n" + _protected(old_q, via) + _LOCK + drop
    )
    return do_block(body)


def replace_foreign_key_sql(
    t: Table,
    new: str,
    old: str,
    same_columns: bool = False,
    extra: str = "",
    rename: bool = False,
    role: str = "new",
) -> str:
    """The DO block that drops foreign key `old` of t once `new` is there and validated, references the
    same table, and holds the old key's columns (exactly them when same_columns); `extra` adds a condition
    on `n` (the new key's pg_constraint row). Renames the new key to the old name when asked. `role` names
    the new key in the error (new, or kept when an existing key stays in place of a duplicate)."""
    exact = " AND n.conkey <@ o.conkey AND n.confkey <@ o.confkey" if same_columns else ""
    tail = f"  ALTER TABLE {t.qualified} DROP CONSTRAINT {quote_ident(old)};\n"
    if rename:
        tail += f"  ALTER TABLE {t.qualified} RENAME CONSTRAINT {quote_ident(new)} TO {quote_ident(old)};\n"
    body = (
        "  IF NOT EXISTS (SELECT FROM pg_constraint n, pg_constraint o\n"
        f"      WHERE n.conrelid = {regclass_literal(t.schema, t.name)}::regclass AND o.conrelid = n.conrelid\n"
        f"        AND n.conname = {_lit(new)} AND o.conname = {_lit(old)} AND n.contype = 'f' AND o.contype = 'f'\n"
        "        AND n.convalidated AND n.confrelid = o.confrelid\n"
        f"        AND n.conkey @> o.conkey AND n.confkey @> o.confkey{exact}{extra})\n"
        "  THEN\n"
        f"    RAISE EXCEPTION 'pg-auditor: the {role} foreign key is missing or not validated: the old one is kept';\n"
        "  END IF;\n" + _LOCK + tail
    ).rstrip("\n")
    return do_block(body)


def commented(sql: str) -> str:
    """SQL shown as an alternative, not run: every line a `--` comment, with control characters (a carriage
    return in a name would end the comment) escaped."""
    return "\n".join("-- " + sql_comment(line) for line in sql.split("\n"))


def not_null_now(column: str) -> str:
    """A replace_index_sql condition: the column of the new index's table is NOT NULL by now."""
    return (
        "\n        AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = n.indrelid"
        f" AND a.attname = {_lit(column)} AND a.attnotnull)"
    )


def valid_unique_index(schema: str, name: str) -> str:
    """A replace_index_sql condition: another unique index (one the fix built before) is there and valid."""
    return (
        "\n        AND EXISTS (SELECT FROM pg_index s WHERE s.indexrelid = "
        f"to_regclass({regclass_literal(schema, name)}) AND s.indisunique AND s.indisvalid)"
    )


def not_valid(snap: Snapshot, t: Table) -> tuple[str, str]:
    """(" NOT VALID", "") for a foreign key added to t, or, where PostgreSQL refuses NOT VALID (a partitioned
    table before 18), ("", a comment line saying the ADD checks the rows itself)."""
    if t.is_partitioned and snap.server.major < 18:
        return "", "-- a partitioned table takes no NOT VALID foreign key before PostgreSQL 18: ADD checks the rows\n"
    return " NOT VALID", ""


def swap_foreign_key_sql(snap: Snapshot, t: Table, old: str, definition: str, extra: str = "") -> str:
    """Replace foreign key `old` by `definition` (FOREIGN KEY ... REFERENCES ...) under the same name: added
    NOT VALID under a fresh name, validated, and only then (a DO block checking it) the old one dropped and
    the new one renamed; a validated key is never traded for a NOT VALID one."""
    new = new_name(snap, t, [old], "new", kind="constraint")
    nv, note = not_valid(snap, t)
    return (
        f"{note}ALTER TABLE {t.qualified} ADD CONSTRAINT {quote_ident(new)} {definition}{nv};\n"
        f"ALTER TABLE {t.qualified} VALIDATE CONSTRAINT {quote_ident(new)};\n"
        + replace_foreign_key_sql(t, new, old, same_columns=True, extra=extra, rename=True)
    )
