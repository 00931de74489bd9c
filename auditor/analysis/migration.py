"""A migration file read with PostgreSQL's own parser (pglast, libpg_query): its statements, what each
does, and the advice for each once its locks, rewrites and scans were measured on a copy.

Pure functions over the parse tree (pglast's JSON form) and plain trace facts: no connection here.
The advice covers squawk's rules (the `squawk` field names the rule each one answers), but says what
the statement did on a copy of the schema and what that means on the live table's size, not what it
might do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from auditor.base.errors import AuditorError


class MigrationParseError(AuditorError):
    """A migration file PostgreSQL's parser refuses."""


# Lock modes that block writers (INSERT/UPDATE/DELETE) on the relation while held.
BLOCKS_WRITES = frozenset({"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"})
BLOCKS_READS = frozenset({"AccessExclusiveLock"})
MODE_NAMES = {
    "AccessShareLock": "ACCESS SHARE",
    "RowShareLock": "ROW SHARE",
    "RowExclusiveLock": "ROW EXCLUSIVE",
    "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE",
    "ShareLock": "SHARE",
    "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
    "ExclusiveLock": "EXCLUSIVE",
    "AccessExclusiveLock": "ACCESS EXCLUSIVE",
}
MODE_RANK = {m: i for i, m in enumerate(MODE_NAMES)}


@dataclass
class Statement:
    """One statement of a migration file: its text, where it starts, and its parse tree."""

    index: int  # 1-based, across the files
    file: str
    line: int
    text: str
    kind: str  # the parse node: AlterTableStmt, IndexStmt, CreateStmt, ...
    node: dict[str, Any] = field(repr=False)

    @property
    def command(self) -> str:
        """A short name of what it does: CREATE INDEX CONCURRENTLY, ALTER TABLE ADD COLUMN, ..."""
        return describe(self)

    def relations(self) -> list[str]:
        """The relations it names (schema.name as written), in order, once each."""
        out: list[str] = []
        for rv in range_vars(self.node):
            full = f"{rv['schemaname']}.{rv['relname']}" if rv.get("schemaname") else rv["relname"]
            if full not in out:
                out.append(full)
        return out

    @property
    def in_transaction_ok(self) -> bool:
        """False for what PostgreSQL refuses inside a transaction block (CONCURRENTLY, VACUUM, ...)."""
        return not no_transaction(self.kind, self.node)


def split(text: str, file: str, first_index: int = 1) -> list[Statement]:
    """The statements of a file with their 1-based start line, as PostgreSQL's parser splits them."""
    from pglast import parser  # here: only check-migration needs the parser

    try:
        tree = json.loads(parser.parse_sql_json(text))
    except parser.ParseError as exc:
        raw = text.encode("utf-8")
        pos = exc.args[1] if len(exc.args) > 1 else None  # the byte offset of the error
        line = raw[: max(pos or 0, 0)].count(b"\n") + 1 if isinstance(pos, int) else None
        where = f"{file}:{line}" if line else file
        raise MigrationParseError(f"{where}: PostgreSQL's parser refuses the migration: {exc.args[0]}") from None
    raw = text.encode("utf-8")
    out = []
    for i, entry in enumerate(tree.get("stmts", [])):
        start = entry.get("stmt_location", 0)
        length = entry.get("stmt_len", 0) or len(raw) - start
        chunk = raw[start : start + length].decode("utf-8")
        lead = len(chunk) - len(chunk.lstrip())
        body = _strip_leading_comments(chunk)
        skipped = chunk[: len(chunk) - len(body)] if body else chunk[:lead]
        line = raw[:start].count(b"\n") + skipped.count("\n") + 1
        ((kind, node),) = entry["stmt"].items()
        out.append(Statement(first_index + i, file, line, body.strip(), kind, node))
    return out


def _strip_leading_comments(chunk: str) -> str:
    """The statement without the blank lines and -- comments before it (they belong to no statement)."""
    rest = chunk
    while True:
        s = rest.lstrip()
        if s.startswith("--"):
            nl = s.find("\n")
            rest = "" if nl < 0 else s[nl + 1 :]
            continue
        if s.startswith("/*"):
            end = s.find("*/")
            rest = "" if end < 0 else s[end + 2 :]
            continue
        return s


def walk(node: Any, kind: str) -> Iterator[dict[str, Any]]:
    """Every node of one kind in a parse (sub)tree, depth first."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == kind and isinstance(v, dict):
                yield v
            yield from walk(v, kind)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v, kind)


def range_vars(node: Any) -> Iterator[dict[str, Any]]:
    """Every RangeVar of a parse tree (a field typed RangeVar comes without its node name in the JSON)."""
    if isinstance(node, dict):
        if isinstance(node.get("relname"), str):
            yield node
        for v in node.values():
            yield from range_vars(v)
    elif isinstance(node, list):
        for v in node:
            yield from range_vars(v)


def no_transaction(kind: str, node: dict[str, Any]) -> bool:
    if kind in ("IndexStmt", "ReindexStmt") and (node.get("concurrent") or _option(node, "concurrently")):
        return True
    if kind == "DropStmt" and node.get("concurrent"):
        return True
    if kind in ("VacuumStmt", "CreatedbStmt", "DropdbStmt", "AlterSystemStmt", "CreateTableSpaceStmt"):
        return True
    return any(c.get("subtype") == "AT_DetachPartition" and _detach_concurrent(c) for c in _cmds(node))


def _option(node: dict[str, Any], name: str) -> bool:
    return any(d.get("defname") == name for d in walk(node.get("params") or [], "DefElem"))


def _detach_concurrent(cmd: dict[str, Any]) -> bool:
    return any(p.get("concurrent") for p in walk(cmd, "PartitionCmd"))


def _cmds(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [c["AlterTableCmd"] for c in node.get("cmds") or [] if "AlterTableCmd" in c]


_SUBTYPES = {
    "AT_AddColumn": "ADD COLUMN",
    "AT_DropColumn": "DROP COLUMN",
    "AT_AlterColumnType": "ALTER COLUMN TYPE",
    "AT_SetNotNull": "SET NOT NULL",
    "AT_DropNotNull": "DROP NOT NULL",
    "AT_AddConstraint": "ADD CONSTRAINT",
    "AT_ValidateConstraint": "VALIDATE CONSTRAINT",
    "AT_DropConstraint": "DROP CONSTRAINT",
    "AT_ColumnDefault": "SET DEFAULT",
    "AT_DetachPartition": "DETACH PARTITION",
    "AT_AttachPartition": "ATTACH PARTITION",
}


def describe(s: Statement) -> str:
    n = s.node
    if s.kind == "AlterTableStmt":
        parts = [_SUBTYPES.get(c.get("subtype", ""), c.get("subtype", "").removeprefix("AT_")) for c in _cmds(n)]
        return "ALTER TABLE " + ", ".join(dict.fromkeys(parts))
    if s.kind == "IndexStmt":
        unique = "UNIQUE " if n.get("unique") else ""
        return f"CREATE {unique}INDEX" + (" CONCURRENTLY" if n.get("concurrent") else "")
    names = {
        "CreateStmt": "CREATE TABLE",
        "DropStmt": "DROP " + str(n.get("removeType", "")).removeprefix("OBJECT_").replace("_", " "),
        "RenameStmt": "RENAME",
        "TruncateStmt": "TRUNCATE",
        "TransactionStmt": str(n.get("kind", "")).removeprefix("TRANS_STMT_"),
        "VariableSetStmt": "SET",
        "ReindexStmt": "REINDEX",
        "VacuumStmt": "VACUUM" if n.get("is_vacuumcmd") else "ANALYZE",
        "ClusterStmt": "CLUSTER",
        "CreateDomainStmt": "CREATE DOMAIN",
        "AlterDomainStmt": "ALTER DOMAIN",
        "AlterEnumStmt": "ALTER TYPE ADD VALUE",
        "CreateSeqStmt": "CREATE SEQUENCE",
        "ViewStmt": "CREATE VIEW",
        "CreatePolicyStmt": "CREATE POLICY",
        "CreateFunctionStmt": "CREATE FUNCTION",
        "DropdbStmt": "DROP DATABASE",
        "InsertStmt": "INSERT",
        "UpdateStmt": "UPDATE",
        "DeleteStmt": "DELETE",
    }
    return names.get(s.kind, s.kind.removesuffix("Stmt"))


def rewritten(text: str, change: Any) -> str | None:
    """The statement with its parse tree changed (`change(node)`) and printed back by pglast: the fix is
    the user's own statement, made safe. None when pglast cannot print it."""
    from pglast import parse_sql
    from pglast.stream import RawStream

    try:
        node = parse_sql(text)[0].stmt
        change(node)
        return str(RawStream()(node))
    except Exception:  # pglast cannot print every node: the advice falls back to a template
        return None


def _set(**attrs: Any) -> Any:
    def change(node: Any) -> None:
        for k, v in attrs.items():
            setattr(node, k, v)

    return change


def _not_valid(node: Any) -> None:
    for cmd in node.cmds:
        cmd.def_.skip_validation = True
        cmd.def_.initially_valid = False


# ---- advice ---------------------------------------------------------------------------------------


@dataclass
class Advice:
    code: str
    slug: str
    severity: str  # high, medium, low, info
    message: str  # what this statement does, measured
    fix: str  # what to do instead, in SQL where it can be said in SQL
    squawk: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "slug": self.slug, "severity": self.severity, "message": self.message,
                "fix": self.fix, "squawk": list(self.squawk)}  # fmt: skip


# code -> (slug, severity, squawk rules it answers)
ADVICE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "MIG001": ("add-column-rewrites", "high", ("adding-field-with-default",)),
    "MIG002": ("add-required-column", "high", ("adding-required-field", "adding-not-nullable-field")),
    "MIG003": ("set-not-null-scans", "medium", ("adding-not-nullable-field",)),
    "MIG004": ("foreign-key-not-valid", "high", ("adding-foreign-key-constraint", "constraint-missing-not-valid")),
    "MIG005": ("check-not-valid", "medium", ("constraint-missing-not-valid",)),
    "MIG006": ("validate-in-same-transaction", "medium", ("constraint-missing-not-valid",)),
    "MIG007": ("unique-via-index", "high", ("disallowed-unique-constraint", "adding-serial-primary-key-field",
                                            "constraint-missing-not-valid")),
    "MIG008": ("create-index-concurrently", "high", ("require-concurrent-index-creation",)),
    "MIG009": ("drop-index-concurrently", "medium", ("require-concurrent-index-deletion",)),
    "MIG010": ("reindex-concurrently", "medium", ("require-concurrent-reindex",)),
    "MIG011": ("detach-partition-concurrently", "medium", ("require-concurrent-partition-detach",)),
    "MIG012": ("concurrently-in-transaction", "high", ("ban-concurrent-index-creation-in-transaction",)),
    "MIG013": ("column-type-change", "high", ("changing-column-type",)),
    "MIG014": ("rename-breaks-clients", "medium", ("renaming-column", "renaming-table", "renaming-object")),
    "MIG015": ("drop-column", "medium", ("ban-drop-column",)),
    "MIG016": ("drop-is-final", "high", ("ban-drop-table", "ban-drop-database", "ban-drop-view", "ban-drop-function",
                                         "ban-drop-type", "ban-drop-schema", "ban-drop-sequence", "ban-drop-domain",
                                         "ban-drop-extension")),
    "MIG017": ("drop-not-null", "low", ("ban-drop-not-null",)),
    "MIG018": ("truncate-cascade", "high", ("ban-truncate-cascade",)),
    "MIG019": ("lock-timeout", "medium", ("require-timeout-settings", "require-lock-timeout",
                                          "require-statement-timeout")),
    "MIG020": ("serial-not-identity", "low", ("prefer-identity",)),
    "MIG021": ("int-key-overflows", "low", ("prefer-bigint-over-int", "prefer-bigint-over-smallint")),
    "MIG022": ("text-not-char-varchar", "low", ("prefer-text-field", "ban-char-field")),
    "MIG023": ("timestamp-without-time-zone", "low", ("prefer-timestamp-tz",)),
    "MIG024": ("retry-safe-statement", "low", ("prefer-robust-stmts",)),
    "MIG025": ("domain-constraint", "medium", ("ban-create-domain-with-constraint",
                                               "ban-alter-domain-with-add-constraint")),
    "MIG026": ("transaction-shape", "medium", ("transaction-nesting", "ban-uncommitted-transaction")),
    "MIG027": ("identifier-too-long", "medium", ("identifier-too-long",)),
    "MIG028": ("table-rewrite-command", "high", ("prefer-repack",)),
    "MIG029": ("enum-value-order", "low", ("require-enum-value-ordering",)),
    "MIG030": ("set-schema-breaks-clients", "medium", ("ban-set-schema",)),
    "MIG031": ("identity-change", "medium", ("ban-alter-identity",)),
    "MIG032": ("drop-constraint", "low", ("ban-drop-constraint", "ban-drop-generated-expression")),
}  # fmt: skip


@dataclass
class Facts:
    """What the copy measured for one statement, and the live sizes of what it touched."""

    locks: list[dict[str, Any]] = field(default_factory=list)  # {"relation", "mode", "new"}
    rewrites: list[str] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    sizes: dict[str, dict[str, Any]] = field(default_factory=dict)  # relation -> live {"rows","bytes",...}
    error: str | None = None

    def strongest(self, relation: str | None = None) -> str | None:
        modes = [lk["mode"] for lk in self.locks if not lk.get("new") and relation in (None, lk["relation"])]
        return max(modes, key=lambda m: MODE_RANK.get(m, -1)) if modes else None


@dataclass
class FileState:
    """What earlier statements of the migration set up: a transaction block, lock_timeout, NOT VALID."""

    in_block: bool = False
    block_line: int = 0
    lock_timeout: bool = False
    statement_timeout: bool = False
    timeout_said: bool = False
    not_valid: set[tuple[str, str]] = field(default_factory=set)  # (relation, constraint) added NOT VALID here
    created: set[str] = field(default_factory=set)  # relations this migration creates


def advise_all(statements: list[Statement], facts: list[Facts]) -> list[list[Advice]]:
    state = FileState()
    out = []
    for s, f in zip(statements, facts, strict=True):
        out.append(list(advise(s, f, state)))
    rerun = not_rerunnable(statements)
    if rerun:
        first = statements.index(rerun[0])
        lines = ", ".join(str(s.line) for s in rerun[:12]) + (" ..." if len(rerun) > 12 else "")
        out[first].append(_advice("MIG024", f"{len(rerun)} statement(s) outside a transaction block that fail when the "
                                  f"migration is run again after failing part way (lines {lines})",
                                  "Wrap the migration in BEGIN ... COMMIT (if the tool does not), or write each "
                                  "statement to be re-runnable: CREATE ... IF NOT EXISTS, DROP ... IF EXISTS, "
                                  "ADD COLUMN IF NOT EXISTS."))  # fmt: skip
    if state.in_block:
        out[-1].append(_advice("MIG026", f"a BEGIN (line {state.block_line}) is never committed: the migration "
                               "tool's own COMMIT or ROLLBACK decides what happens to everything after it",
                               "End the transaction in the file that opens it: COMMIT;"))  # fmt: skip
    return out


def not_rerunnable(statements: list[Statement]) -> list[Statement]:
    """Statements outside any BEGIN ... COMMIT of the file that fail when run a second time."""
    out, block = [], False
    for s in statements:
        n = s.node
        if s.kind == "TransactionStmt":
            block = n.get("kind") in ("TRANS_STMT_BEGIN", "TRANS_STMT_START")
            continue
        if block or not s.in_transaction_ok:
            continue  # CONCURRENTLY statements get their own MIG024
        cmds = _cmds(n)
        if (
            (s.kind in ("CreateStmt", "IndexStmt", "CreateSeqStmt") and not n.get("if_not_exists"))
            or (s.kind == "DropStmt" and not n.get("missing_ok"))
            or s.kind in ("RenameStmt", "AlterObjectSchemaStmt")
            or (s.kind == "AlterTableStmt" and not n.get("missing_ok"))
            or any(
                c.get("subtype") in ("AT_AddColumn", "AT_DropColumn", "AT_AddConstraint", "AT_DropConstraint")
                and not c.get("missing_ok")
                for c in cmds
            )
        ):
            out.append(s)
    return out


def _advice(code: str, message: str, fix: str) -> Advice:
    slug, severity, squawk = ADVICE[code]
    return Advice(code, slug, severity, message, fix, squawk)


def _rel(rv: dict[str, Any] | None) -> str:
    if not rv:
        return "?"
    return f"{rv['schemaname']}.{rv['relname']}" if rv.get("schemaname") else rv.get("relname", "?")


def _size(f: Facts, rel: str) -> str:
    """`event (2.1M rows, 480 MB)` from the live target, or just the name when it is not there."""
    s = f.sizes.get(rel)
    if not s:
        return rel
    return f"{rel} ({human_rows(s.get('rows'))} rows, {human_bytes(s.get('bytes'))})"


def _lock_phrase(f: Facts, rel: str, what: str) -> str:
    mode = f.strongest(rel) or f.strongest()
    held = MODE_NAMES.get(mode or "", "a lock")
    blocks = "reads and writes" if mode in BLOCKS_READS else ("writes" if mode in BLOCKS_WRITES else "DDL")
    return f"{held} on {_size(f, rel)}, blocking {blocks}, for the duration of {what}"


def human_rows(n: Any) -> str:
    if not isinstance(n, int | float) or n < 0:
        return "unknown"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.1f}{unit}"
    return str(int(n))


def human_bytes(n: Any) -> str:
    if not isinstance(n, int | float):
        return "unknown size"
    for unit, div in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= div:
            return f"{n / div:.0f} {unit}" if n / div >= 10 else f"{n / div:.1f} {unit}"
    return f"{int(n)} bytes"


def _type_name(col: dict[str, Any]) -> str:
    names = [n["String"]["sval"] for n in (col.get("typeName") or {}).get("names", []) if "String" in n]
    return names[-1] if names else ""


def _has_typmod(col: dict[str, Any]) -> bool:
    return bool((col.get("typeName") or {}).get("typmods"))


def _constraints(col: dict[str, Any]) -> list[dict[str, Any]]:
    return [c["Constraint"] for c in col.get("constraints") or [] if "Constraint" in c]


def _column_advice(col: dict[str, Any], rel: str) -> Iterator[Advice]:
    """The column types squawk warns about, in a new table or a new column."""
    name, typ = col.get("colname", "?"), _type_name(col)
    where = f"{rel}.{name}"
    if typ in ("serial", "serial4", "serial8", "bigserial", "smallserial", "serial2"):
        yield _advice("MIG020", f"{where} is {typ}: its sequence is a separate object with its own grants and owner",
                      f"{name} bigint GENERATED ALWAYS AS IDENTITY")  # fmt: skip
    if typ in ("int4", "int2", "serial", "serial4", "smallserial", "serial2", "int", "integer", "smallint"):
        yield _advice("MIG021", f"{where} is {typ}: a key or counter of that width runs out (2^31 for int), and "
                      "widening it later rewrites the table under ACCESS EXCLUSIVE",
                      f"{name} bigint" + (" GENERATED ALWAYS AS IDENTITY" if "serial" in typ else ""))  # fmt: skip
    if typ in ("bpchar", "char", "character") or (typ == "varchar" and _has_typmod(col)):
        shown = "char(n)" if typ != "varchar" else "varchar(n)"
        yield _advice(
            "MIG022",
            f"{where} is {shown}: raising the limit later takes ACCESS EXCLUSIVE (and char pads with blanks)",
            f"{name} text  -- with CHECK (length({name}) <= n) if the limit is a rule",
        )
    if typ == "timestamp":
        yield _advice("MIG023", f"{where} is timestamp without time zone: the value means a different instant in each "
                      "session's TimeZone", f"{name} timestamptz")  # fmt: skip


_LONG = 63


def _long_names(s: Statement) -> Iterator[Advice]:
    """Identifiers over 63 bytes, read from the tokens (the parse tree holds them already truncated)."""
    from pglast import parser

    raw = s.text.encode("utf-8")
    for tok in parser.scan(s.text):
        if tok.name != "IDENT":
            continue
        name = raw[tok.start : tok.end + 1].decode("utf-8", "replace").strip('"')
        if len(name.encode("utf-8")) > _LONG:
            yield _advice("MIG027", f"the name {name[:40]}... is {len(name.encode())} bytes: PostgreSQL truncates it "
                          f"to {_LONG}, so a later migration naming it in full misses it",
                          "Choose a name of at most 63 bytes.")  # fmt: skip


def _values(node: Any, key: str) -> Iterator[Any]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _values(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _values(v, key)


def advise(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    """The advice for one statement, given what it did on the copy and what came before it in the file."""
    n = s.node
    yield from _long_names(s)
    if s.kind == "TransactionStmt":
        yield from _transaction(s, state)
        return
    if s.kind == "VariableSetStmt" and n.get("name") in ("lock_timeout", "statement_timeout"):
        setattr(state, n["name"], True)
        return
    if not s.in_transaction_ok and state.in_block:
        yield _advice("MIG012", f"{s.command} cannot run inside the transaction opened on line {state.block_line}: "
                      "PostgreSQL refuses it there, and the whole migration fails",
                      "Run it on its own, outside BEGIN ... COMMIT (most migration tools have a per-migration "
                      "switch for that, e.g. `disable_ddl_transaction!` or `atomic = False`).")  # fmt: skip
    handler = _HANDLERS.get(s.kind)
    if handler is not None:
        yield from handler(s, f, state)
    yield from _timeout(s, f, state)


def _transaction(s: Statement, state: FileState) -> Iterator[Advice]:
    kind = s.node.get("kind")
    if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
        if state.in_block:
            yield _advice("MIG026", f"BEGIN inside the transaction opened on line {state.block_line}: PostgreSQL "
                          "ignores it with a warning, and the first COMMIT ends both",
                          "Open one transaction: drop the inner BEGIN (or use SAVEPOINT).")  # fmt: skip
        else:
            state.in_block, state.block_line = True, s.line
    elif kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"):
        if not state.in_block:
            yield _advice(
                "MIG026",
                f"{s.command} with no BEGIN before it in the file: it ends the migration tool's "
                "transaction, and what follows runs outside one",
                "Drop it, or open the transaction here.",
            )
        state.in_block = False


# DDL on what exists: PostgreSQL takes locks on existing objects (relations, types, the catalog rows)
_DDL = frozenset({"AlterTableStmt", "IndexStmt", "ReindexStmt", "ClusterStmt", "VacuumStmt", "TruncateStmt",
                  "DropStmt", "RenameStmt", "AlterObjectSchemaStmt", "AlterEnumStmt", "AlterDomainStmt",
                  "CreateDomainStmt", "DropdbStmt"})  # fmt: skip


def _timeout(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    """DDL on existing objects with no lock_timeout (or statement_timeout) set before it: it queues behind any
    long query on them, and every query after it queues behind it. Said once per file, on the first."""
    if state.timeout_said or (state.lock_timeout and state.statement_timeout):
        return
    mode = f.strongest()
    if MODE_RANK.get(mode or "", -1) < MODE_RANK["ShareUpdateExclusiveLock"] and s.kind not in _DDL:
        return
    state.timeout_said = True
    missing = " and ".join(n for n in ("lock_timeout", "statement_timeout") if not getattr(state, n))
    fix = ("SET lock_timeout = '5s';  -- at the top of the migration; retry the migration when it times out\n"
           "SET statement_timeout = '15min';")  # fmt: skip
    if mode in BLOCKS_WRITES:
        rel = next(lk["relation"] for lk in f.locks if lk["mode"] == mode and not lk.get("new"))
        yield _advice("MIG019", f"{MODE_NAMES[mode]} on {_size(f, rel)} with no {missing}: while it waits behind a "
                      "long query, every query on the table queues behind it", fix)  # fmt: skip
    else:
        yield _advice("MIG019", f"{s.command} runs with no {missing}: a wait for its locks, or a long run, has no "
                      "limit", fix)  # fmt: skip


def _alter_table(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    rel = _rel(s.node.get("relation"))
    new_table = rel in state.created
    for c in _cmds(s.node):
        sub = c.get("subtype")
        if sub == "AT_AddColumn":
            yield from _add_column(c.get("def", {}).get("ColumnDef", {}), rel, f, new_table, s.text)
        elif sub == "AT_AlterColumnType" and not new_table:
            yield from _column_advice({**c.get("def", {}).get("ColumnDef", {}), "colname": c.get("name")}, rel)
            rewrote = rel in f.rewrites
            what = "a full rewrite and rebuild of its indexes" if rewrote else "a scan (no rewrite was measured)"
            yield _advice("MIG013", f"ALTER COLUMN {c.get('name')} TYPE takes {_lock_phrase(f, rel, what)}",
                          f"Add a new column of the new type, write both from the application, backfill in batches "
                          f"(UPDATE {rel} SET new = old::newtype WHERE id BETWEEN ... ), then swap the names in "
                          "one short transaction.")  # fmt: skip
        elif sub == "AT_SetNotNull" and not new_table:
            col = c.get("name", "?")
            yield _advice("MIG003", f"SET NOT NULL on {col} takes {_lock_phrase(f, rel, 'a scan of every row')}"
                          + (" (a scan was measured)" if rel in f.scans else ""),
                          f"ALTER TABLE {rel} ADD CONSTRAINT {col}_not_null CHECK ({col} IS NOT NULL) NOT VALID;\n"
                          f"ALTER TABLE {rel} VALIDATE CONSTRAINT {col}_not_null;  -- SHARE UPDATE EXCLUSIVE: "
                          f"writes go on\nALTER TABLE {rel} ALTER COLUMN {col} SET NOT NULL;  -- no scan: the "
                          f"valid CHECK proves it\nALTER TABLE {rel} DROP CONSTRAINT {col}_not_null;")  # fmt: skip
        elif sub == "AT_DropNotNull":
            yield _advice(
                "MIG017",
                f"DROP NOT NULL on {rel}.{c.get('name')}: code that relies on the column being "
                "set breaks on the first NULL, and putting it back scans the table",
                "Make sure every reader handles NULL first; keep it in its own migration.",
            )
        elif sub == "AT_DropColumn":
            yield _advice("MIG015", f"DROP COLUMN {c.get('name')} on {rel}: queries and ORMs that still name it fail "
                          "at once, and the data is gone", "Stop reading and writing the column in a release "
                          "before (ORMs: mark it ignored), then drop it.")  # fmt: skip
        elif sub == "AT_AddConstraint" and not new_table:
            yield from _add_constraint(c.get("def", {}).get("Constraint", {}), rel, f, state,
                                       s.text if len(_cmds(s.node)) == 1 else "")  # fmt: skip
        elif sub == "AT_ValidateConstraint" and (rel, c.get("name")) in state.not_valid and state.in_block:
            yield _advice(
                "MIG006",
                f"VALIDATE CONSTRAINT {c.get('name')} runs in the same transaction as the NOT "
                f"VALID add: the add's lock on {_size(f, rel)} is still held through the validating scan",
                "Commit between ADD ... NOT VALID and VALIDATE (two migrations, or COMMIT between them).",
            )
        elif sub in ("AT_DropConstraint", "AT_DropExpression"):
            what = f"DROP CONSTRAINT {c.get('name')}" if sub == "AT_DropConstraint" else "DROP EXPRESSION"
            yield _advice("MIG032", f"{what} on {rel}: a guarantee existing clients may rely on goes (uniqueness, a "
                          "reference, a computed value)", "Make sure no code relies on it; putting it back later "
                          "scans (and for a key, rebuilds) under locks.")  # fmt: skip
        elif sub in ("AT_AddIdentity", "AT_SetIdentity", "AT_DropIdentity"):
            yield _advice(
                "MIG031",
                f"changing the identity of {rel}.{c.get('name')}: inserts that set or omit the "
                "column behave differently at once",
                "Deploy clients that work both ways first.",
            )
        elif sub == "AT_DetachPartition" and not _detach_concurrent(c):
            yield _advice("MIG011", f"DETACH PARTITION takes {_lock_phrase(f, rel, 'the detach')}",
                          f"ALTER TABLE {rel} DETACH PARTITION ... CONCURRENTLY;  -- outside a transaction "
                          "(PostgreSQL 14+)")  # fmt: skip


def _column_sql(text: str, name: str) -> tuple[str, str] | None:
    """The type and the default of an added column, printed back from the statement by pglast."""
    from pglast import parse_sql
    from pglast.stream import RawStream

    try:
        for cmd in parse_sql(text)[0].stmt.cmds:
            col = cmd.def_
            if getattr(col, "colname", None) == name:
                default = next(c.raw_expr for c in col.constraints or () if c.raw_expr is not None)
                return str(RawStream()(col.typeName)), str(RawStream()(default))
    except Exception:  # pglast cannot print every expression: the advice says `...`
        return None
    return None


def _add_column(col: dict[str, Any], rel: str, f: Facts, new_table: bool, text: str = "") -> Iterator[Advice]:
    if new_table:
        return
    name = col.get("colname", "?")
    cons = _constraints(col)
    default = next((c for c in cons if c.get("contype") == "CONSTR_DEFAULT"), None)
    not_null = any(c.get("contype") == "CONSTR_NOTNULL" for c in cons)
    keyed = [c for c in cons if c.get("contype") in ("CONSTR_PRIMARY", "CONSTR_UNIQUE")]
    rewrote = rel in f.rewrites
    typ = _type_name(col)
    if default is not None and rewrote:
        typ_sql, expr = _column_sql(text, name) or (typ, "...")
        yield _advice("MIG001", f"ADD COLUMN {name} with a volatile default takes "
                      f"{_lock_phrase(f, rel, 'a full rewrite (measured: the table got a new file)')}",
                      f"ALTER TABLE {rel} ADD COLUMN {name} {typ_sql};  -- no default: no rewrite\n"
                      f"ALTER TABLE {rel} ALTER COLUMN {name} SET DEFAULT {expr};  -- new rows only\n"
                      f"UPDATE {rel} SET {name} = {expr} WHERE {name} IS NULL AND id BETWEEN ...;  -- in batches, "
                      "one transaction each, until none is left")  # fmt: skip
    elif rewrote and not keyed:
        yield _advice(
            "MIG001",
            f"ADD COLUMN {name} takes {_lock_phrase(f, rel, 'a full rewrite (measured)')}",
            "Add the column bare, then fill it in batches.",
        )
    if not_null and default is None and not keyed and "serial" not in typ:
        yield _advice("MIG002", f"ADD COLUMN {name} NOT NULL with no default fails on {_size(f, rel)} as soon as "
                      "it holds a row (it passed on the empty copy)",
                      f"ALTER TABLE {rel} ADD COLUMN {name} {typ} DEFAULT <constant> NOT NULL;  -- PostgreSQL "
                      "11+: no rewrite for a constant\n-- or add it nullable, backfill, then SET NOT NULL via a "
                      "validated CHECK")  # fmt: skip
    if keyed or "serial" in typ:
        what = "a rewrite and an index build" if rewrote else "an index build"
        yield _advice("MIG007", f"ADD COLUMN {name} {typ} {'PRIMARY KEY' if keyed else ''} takes "
                      f"{_lock_phrase(f, rel, what)}".replace("  ", " "),
                      f"Add the column without the key, fill it in batches, then CREATE UNIQUE INDEX CONCURRENTLY "
                      f"and ALTER TABLE {rel} ADD CONSTRAINT ... PRIMARY KEY USING INDEX ...;")  # fmt: skip
    yield from _column_advice(col, rel)


def _add_constraint(con: dict[str, Any], rel: str, f: Facts, state: FileState, text: str) -> Iterator[Advice]:
    kind, name = con.get("contype"), con.get("conname") or "the constraint"
    if con.get("skip_validation"):
        state.not_valid.add((rel, con.get("conname", "")))
    if kind == "CONSTR_FOREIGN" and not con.get("skip_validation"):
        ref = _rel(con.get("pktable"))
        safe = rewritten(text, _not_valid) or f"ALTER TABLE {rel} ADD CONSTRAINT {name} FOREIGN KEY ... NOT VALID"
        yield _advice("MIG004", f"ADD FOREIGN KEY {name} takes {_lock_phrase(f, rel, 'a scan of every row')} "
                      f"(and a lock on {_size(f, ref)})",
                      f"{safe};  -- a brief lock, no scan\nCOMMIT;\nALTER TABLE {rel} VALIDATE CONSTRAINT {name};"
                      "  -- SHARE UPDATE EXCLUSIVE: reads and writes go on")  # fmt: skip
    elif kind == "CONSTR_CHECK" and not con.get("skip_validation"):
        yield _advice(
            "MIG005",
            f"ADD CHECK {name} takes {_lock_phrase(f, rel, 'a scan of every row')}",
            (rewritten(text, _not_valid) or f"ALTER TABLE {rel} ADD CONSTRAINT {name} CHECK (...) NOT VALID")
            + f";\nCOMMIT;\nALTER TABLE {rel} VALIDATE CONSTRAINT {name};  -- SHARE UPDATE EXCLUSIVE",
        )
    elif kind in ("CONSTR_UNIQUE", "CONSTR_PRIMARY", "CONSTR_EXCLUSION") and not con.get("indexname"):
        what = {"CONSTR_UNIQUE": "UNIQUE", "CONSTR_PRIMARY": "PRIMARY KEY"}.get(kind, "EXCLUDE")
        yield _advice(
            "MIG007",
            f"ADD {what} builds its index under {_lock_phrase(f, rel, 'the index build')}",
            f"CREATE UNIQUE INDEX CONCURRENTLY {name}_idx ON {rel} (...);  -- outside a transaction\n"
            f"ALTER TABLE {rel} ADD CONSTRAINT {name} {what} USING INDEX {name}_idx;  -- brief lock",
        )


def _index(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    n = s.node
    rel = _rel(n.get("relation"))
    if rel in state.created:
        return
    if not n.get("concurrent"):
        safe = rewritten(s.text, _set(concurrent=True, if_not_exists=bool(n.get("idxname"))))
        yield _advice("MIG008", f"{s.command} takes {_lock_phrase(f, rel, 'the whole index build')}",
                      "-- SHARE UPDATE EXCLUSIVE: reads and writes go on. Outside a transaction; a failed build "
                      "leaves an INVALID index: drop it before retrying\n"
                      + (safe or f"CREATE INDEX CONCURRENTLY ... ON {rel} (...)") + ";")  # fmt: skip
    elif not n.get("if_not_exists"):
        yield _advice("MIG024", "CREATE INDEX CONCURRENTLY without IF NOT EXISTS: a build that fails half way leaves "
                      "an INVALID index of that name, and the retry fails on it",
                      "DROP INDEX CONCURRENTLY IF EXISTS <name>;  -- before the retry\n"
                      "CREATE INDEX CONCURRENTLY IF NOT EXISTS <name> ON ...;")  # fmt: skip


def _drop(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    n = s.node
    what = str(n.get("removeType", "")).removeprefix("OBJECT_")
    if what == "INDEX" and not n.get("concurrent"):
        rel = next((lk["relation"] for lk in f.locks if lk["mode"] == "AccessExclusiveLock"), "its table")
        safe = rewritten(s.text, _set(concurrent=True, missing_ok=True)) or "DROP INDEX CONCURRENTLY IF EXISTS ..."
        yield _advice(
            "MIG009",
            f"DROP INDEX takes {_lock_phrase(f, rel, 'the drop (and any wait for it)')}",
            f"{safe};  -- outside a transaction",
        )
    elif what == "INDEX" and not n.get("missing_ok"):
        yield _advice(
            "MIG024",
            "DROP INDEX CONCURRENTLY without IF EXISTS: a retry after a partial run fails",
            "DROP INDEX CONCURRENTLY IF EXISTS ...;",
        )
    elif what in (
        "TABLE",
        "SCHEMA",
        "MATERIALIZED_VIEW",
        "VIEW",
        "FUNCTION",
        "PROCEDURE",
        "TYPE",
        "SEQUENCE",
        "DOMAIN",
        "EXTENSION",
    ):
        yield _advice("MIG016", f"DROP {what.replace('_', ' ')} removes the data for good; clients that still use it "
                      "fail at once", "Stop every reader and writer first; rename it away and drop it a release "
                      "later; keep a dump.")  # fmt: skip


def _dropdb(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    yield _advice("MIG016", "DROP DATABASE removes every table in it", "Never in a migration.")


def _rename(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    n = s.node
    what = str(n.get("renameType", "")).removeprefix("OBJECT_").lower()
    yield _advice("MIG014", f"renaming a {what} ({_rel(n.get('relation'))}) breaks every client that still uses the "
                  "old name, the moment the migration commits",
                  "Expand and contract: add the new name (a view or a new column kept in sync), move the clients, "
                  "then drop the old name.")  # fmt: skip


def _set_schema(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    what = str(s.node.get("objectType", "")).removeprefix("OBJECT_").lower()
    yield _advice(
        "MIG030",
        f"moving a {what} to schema {s.node.get('newschema')}: clients that name it with the old "
        "schema, or find it through search_path, stop finding it",
        "Move the clients first (schema-qualified names), or leave a view behind in the old schema.",
    )


def _truncate(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    if s.node.get("behavior") == "DROP_CASCADE":
        yield _advice(
            "MIG018",
            "TRUNCATE ... CASCADE also empties every table that references these, recursively",
            "TRUNCATE the tables by name, without CASCADE.",
        )


def _create(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    rel = _rel(s.node.get("relation"))
    state.created.add(rel)
    for elt in s.node.get("tableElts") or []:
        if "ColumnDef" in elt:
            yield from _column_advice(elt["ColumnDef"], rel)


def _domain(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    n = s.node
    if s.kind == "CreateDomainStmt" and any(c.get("contype") == "CONSTR_CHECK" for c in _constraints(n)):
        yield _advice(
            "MIG025",
            "CREATE DOMAIN with a CHECK: changing the rule later validates every column of the "
            "domain, in every table, under locks",
            "Put the CHECK on the table columns instead.",
        )
    elif s.kind == "AlterDomainStmt" and n.get("subtype") == "C":
        yield _advice(
            "MIG025",
            "ALTER DOMAIN ADD CONSTRAINT scans every column of the domain in every table",
            "ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID; then VALIDATE CONSTRAINT.",
        )


def _reindex(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    if not _option(s.node, "concurrently"):
        rel = next((lk["relation"] for lk in f.locks if lk["mode"] in BLOCKS_WRITES and not lk.get("new")), "?")
        yield _advice(
            "MIG010",
            f"REINDEX takes {_lock_phrase(f, rel, 'the rebuild')}",
            "REINDEX ... CONCURRENTLY;  -- PostgreSQL 12+, outside a transaction",
        )


def _rewrite_command(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    n = s.node
    if s.kind == "VacuumStmt" and not any(d.get("defname") == "full" for d in walk(n.get("options") or [], "DefElem")):
        return
    rel = next(iter(f.rewrites), None) or next((r for r in s.relations()), "the table")
    yield _advice("MIG028", f"{'VACUUM FULL' if s.kind == 'VacuumStmt' else 'CLUSTER'} takes "
                  f"{_lock_phrase(f, rel, 'a full rewrite')}",
                  "pg_repack (or pg_squeeze) rebuilds the table online, with only brief locks.")  # fmt: skip


def _enum(s: Statement, f: Facts, state: FileState) -> Iterator[Advice]:
    n = s.node
    if n.get("newVal") and not n.get("newValNeighbor"):
        yield _advice(
            "MIG029",
            f"ADD VALUE {n.get('newVal')!r} goes last: the enum's sort order (ORDER BY, < and >) "
            "follows declaration order, not the name",
            "ALTER TYPE ... ADD VALUE IF NOT EXISTS '...' BEFORE|AFTER '...';",
        )


_HANDLERS = {
    "AlterTableStmt": _alter_table,
    "IndexStmt": _index,
    "DropStmt": _drop,
    "DropdbStmt": _dropdb,
    "RenameStmt": _rename,
    "TruncateStmt": _truncate,
    "CreateStmt": _create,
    "CreateDomainStmt": _domain,
    "AlterDomainStmt": _domain,
    "ReindexStmt": _reindex,
    "VacuumStmt": _rewrite_command,
    "ClusterStmt": _rewrite_command,
    "AlterEnumStmt": _enum,
    "AlterObjectSchemaStmt": _set_schema,
}
