"""A PRIMARY KEY, UNIQUE or FOREIGN KEY definition exactly as pg_get_constraintdef(oid, true) prints it, from the
columns queries/constraints.sql reads.

pg_get_constraintdef() was a fifth of the constraints query on a 40,000-constraint catalog, for definitions most
of which are never read. These three kinds print only names and keywords, so the query returns the names with
which of them the server quotes (its keywords, its quote_all_identifiers) and Constraint.definition joins them on
first read. CHECK, exclusion and constraint-trigger definitions hold expressions: the server still prints those.
WITH (...) and USING INDEX TABLESPACE of the key index are not part of it (pg_get_constraintdef leaves them out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.catalog.model import Constraint

# NO ACTION (a) and MATCH SIMPLE (s) are the defaults: not printed.
_ACTIONS = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_MATCH = {"f": " MATCH FULL", "p": " MATCH PARTIAL"}


BUILT = frozenset("puf")  # the types whose definition is built here


def constraint_definition(con: Constraint) -> str:
    """FOREIGN KEY (...) REFERENCES t(...) [MATCH] [ON UPDATE] [ON DELETE [(cols)]], or PRIMARY KEY / UNIQUE
    [NULLS NOT DISTINCT] (...) [INCLUDE (...)], then [DEFERRABLE] [INITIALLY DEFERRED] [NOT ENFORCED | NOT VALID]."""
    if con.type == "f":
        out = [
            "FOREIGN KEY (",
            name_list(con.columns, con.columns_quote_mask, con.period),
            ") REFERENCES ",
            con.quoted_ref_table or "",
            "(",
            name_list(con.ref_columns, con.ref_columns_quote_mask, con.period),
            ")",
            _MATCH.get(con.match_type or "s", ""),
        ]
        if con.on_update in _ACTIONS:
            out.append(" ON UPDATE " + _ACTIONS[con.on_update])
        if con.on_delete in _ACTIONS:
            out.append(" ON DELETE " + _ACTIONS[con.on_delete])
        if con.quoted_set_columns is not None:
            out.append(" (" + ", ".join(con.quoted_set_columns) + ")")
    elif con.type in ("p", "u"):
        out = [
            "PRIMARY KEY " if con.type == "p" else "UNIQUE ",
            "NULLS NOT DISTINCT " if con.type == "u" and con.nulls_not_distinct else "",
            "(",
            name_list(con.columns, con.columns_quote_mask, False),
            " WITHOUT OVERLAPS" if con.period else "",
            ")",
        ]
        if con.quoted_include:
            out.append(" INCLUDE (" + ", ".join(con.quoted_include) + ")")
    else:
        raise ValueError(f"constraint {con.name!r} of type {con.type!r}: only the server prints its definition")
    if con.deferrable:
        out.append(" DEFERRABLE")
    if con.deferred:
        out.append(" INITIALLY DEFERRED")
    if not con.enforced:
        out.append(" NOT ENFORCED")
    elif not con.validated:
        out.append(" NOT VALID")
    return "".join(out)


def name_list(names: list[str], quote_mask: int | None, period: bool) -> str:
    """Names joined as decompile_column_index_array() prints them: quoted where the server said (bit n-1 of the
    mask: the n-th name), and PERIOD before the last of a temporal foreign key's."""
    if quote_mask:
        names = ['"' + n.replace('"', '""') + '"' if quote_mask >> i & 1 else n for i, n in enumerate(names)]
    if period and len(names) > 1:
        names = [*names[:-1], "PERIOD " + names[-1]]
    return ", ".join(names)
