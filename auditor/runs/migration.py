"""`check-migration`: review a migration against the live database it will run on.

    read the files (pglast splits them) -> the live target, read-only: server version, roles, sizes,
    an audit -> a copy of its schema (pg_dump --schema-only into a temporary cluster, or a scratch
    database) -> audit the copy -> apply the migration statement by statement on the copy, reading the
    locks, rewrites and scans of each -> audit the copy again -> advice per statement -> findings the
    migration introduces and removes -> write md/json/sarif -> exit code

The live target is only read. No statement of the migration runs on it, except with `on_target`, and
then inside one transaction that is always rolled back, under a short lock_timeout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from auditor._version import __version__
from auditor.analysis import migration as mig
from auditor.base.errors import AuditorError
from auditor.catalog import migration_trace as trace
from auditor.catalog.db import Session, Target, Timeouts, connect, first_line
from auditor.engine.config import Config
from auditor.engine.report import Finding, Report
from auditor.output import migration as out
from auditor.output import render
from auditor.pgserver import schema_copy
from auditor.pgserver.tempcluster import TempCluster, find_bindir
from auditor.rules.registry import SEVERITY_RANK
from auditor.runs import baseline, single

log = logging.getLogger("pg_auditor")

DEFAULT_MAX_LOCKED = 100 * 1024 * 1024  # a blocking lock on a table this big fails the review


@dataclass
class Job:
    files: list[Path]
    config: Config
    connect: Callable[[], Session]  # the read-only session on the target
    conninfo: Callable[[], tuple[str, str | None]]  # the target's conninfo for pg_dump, and its password
    scratch: str | None = None  # a server to make the copy's database on (default: a temporary cluster)
    on_target: bool = False
    lock_timeout: str = "2s"
    statement_timeout: str = "15min"  # per statement on the copy (its tables are empty)
    target_statement_timeout: str = "60s"  # per statement with on_target: it really runs there, then rolls back
    max_locked_bytes: int = DEFAULT_MAX_LOCKED
    audit_diff: bool = True
    formats: list[str] = field(default_factory=list)
    out_dir: Path = Path(".")
    stem: str = "pg-auditor-migration"
    exit_zero: bool = False


@dataclass
class Outcome:
    review: dict[str, Any]
    paths: list[Path]
    exit_code: int


def read_statements(files: list[Path]) -> list[mig.Statement]:
    statements: list[mig.Statement] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise AuditorError(f"migration file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditorError(f"cannot read migration file {path}: {exc}") from None
        statements += mig.split(text, path.as_posix(), len(statements) + 1)
    if not statements:
        raise AuditorError(f"no SQL statement in {', '.join(p.as_posix() for p in files)}")
    return statements


def run(job: Job) -> Outcome:
    statements = read_statements(job.files)  # a file that does not parse fails before anything connects
    staging = render.prepare(job.out_dir, job.stem, job.formats) if job.formats else None
    try:
        review = review_migration(job, statements)
        paths = out.write(review, job.formats, job.out_dir, job.stem, staging) if job.formats else []
    except BaseException:
        render.discard(staging)
        raise
    return Outcome(review, paths, verdict(review, job))


def review_migration(job: Job, statements: list[mig.Statement]) -> dict[str, Any]:
    started = time.time()
    session = job.connect()
    try:
        version = trace.server_version_num(session)
        where = single.server_label(session.conn)
        roles = trace.roles(session) if not job.on_target else []
        names = _qualified(session, statements)
        sizes = trace.live_sizes(session, names)
    finally:
        session.conn.close()
    unavailable = sizes.pop("_unavailable", None)
    live_report = _audit(job.config, job.connect) if job.audit_diff else None
    steps = [_step(s, bool(job.scratch) or job.on_target) for s in statements]
    copy_info: dict[str, Any] = {}
    with ExitStack() as stack:
        if job.on_target:
            results = _on_target(job, steps)
            copy_info = {
                "how": "the target, in one transaction rolled back at the end",
                "lock_timeout": job.lock_timeout,
                "statement_timeout": job.target_statement_timeout,
            }
            before = after = None
        else:
            copy_dsn, copy_info = _make_copy(job, stack, version, roles)
            before = _audit(job.config, lambda: connect(Target(conninfo=copy_dsn))) if job.audit_diff else None
            with psycopg.connect(copy_dsn, autocommit=True, fallback_application_name="pg-auditor") as conn:
                results = trace.apply(conn, steps, job.statement_timeout)
            after = _audit(job.config, lambda: connect(Target(conninfo=copy_dsn))) if job.audit_diff else None
    facts = [_facts(r, sizes) for r in results]
    advice = mig.advise_all(statements, facts)
    review = {
        "schema_version": "1.0",
        "tool": {"name": "pg-auditor", "version": __version__},
        "target": where,
        "run": {
            "started_at": single.timestamp(started),
            "seconds": round(time.time() - started, 2),
            "fail_on": job.config.fail_on,
            "max_locked_bytes": job.max_locked_bytes,
        },
        "migration": {
            "files": [p.as_posix() for p in job.files],
            "copy": copy_info,
            "statements": [
                _statement(s, r, f, a, job) for s, r, f, a in zip(statements, results, facts, advice, strict=True)
            ],
            "sizes_unavailable": unavailable["reason"] if unavailable else None,
        },
        "audit_diff": _diff(live_report, before, after) if before is not None and after is not None else None,
    }
    failed = next((s for s in review["migration"]["statements"] if s["status"] == "failed"), None)
    review["migration"]["failed"] = (
        {"index": failed["index"], "file": failed["file"], "line": failed["line"], "error": failed["error"]}
        if failed else None
    )  # fmt: skip
    review["gate"] = _gate(review, job)
    return review


# Statements that act on the server, not the database: never run on the copy's server (with --scratch, a
# server the user shares), nor on the target.
SERVER_WIDE = frozenset({"CreatedbStmt", "DropdbStmt", "AlterDatabaseStmt", "AlterDatabaseSetStmt",
                         "AlterDatabaseRefreshCollStmt", "AlterSystemStmt", "CreateTableSpaceStmt",
                         "DropTableSpaceStmt", "AlterTableSpaceOptionsStmt"})  # fmt: skip
ROLES = frozenset({"CreateRoleStmt", "AlterRoleStmt", "AlterRoleSetStmt", "DropRoleStmt", "GrantRoleStmt"})


def _step(s: mig.Statement, shared_server: bool) -> trace.Step:
    rels = tuple(r.removeprefix("public.") for r in s.relations())
    skip = None
    if s.kind in SERVER_WIDE:
        skip = "acts on the whole server, not on the database: not run on the copy"
    elif s.kind in ROLES and shared_server:
        skip = "roles are shared by every database of the scratch server: not run there"
    return trace.Step(s.text, s.in_transaction_ok, s.kind == "TransactionStmt", rels, skip)


def _qualified(session: Session, statements: list[mig.Statement]) -> list[tuple[str, str]]:
    """(schema, name) of the relations the statements name (unqualified: public), for the live sizes."""
    out = []
    for s in statements:
        for r in s.relations():
            schema, _, name = r.rpartition(".")
            out.append((schema or "public", name))
    return sorted(set(out))


def _audit(cfg: Config, opener: Callable[[], Any]) -> Report:
    report, _ = single.check(single.Job(config=cfg, connect=opener))
    return report


def _make_copy(job: Job, stack: ExitStack, version: int, roles: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """pg_dump the target's schema and restore it into a fresh database; the stack drops it afterwards."""
    bindir = None if job.scratch else find_bindir()
    pg_dump = schema_copy.find_tool("pg_dump", bindir)
    schema_copy.check_versions(pg_dump, version)  # before a cluster is started for nothing
    psql = schema_copy.find_tool("psql", bindir)
    if job.scratch:
        admin = job.scratch
        how = "a scratch database on the server given by --scratch"
    else:
        admin = stack.enter_context(TempCluster(bindir=bindir)).dsn()
        how = "a temporary PostgreSQL cluster"
    conninfo, password = job.conninfo()
    dump = schema_copy.dump_schema(pg_dump, conninfo, password, job.lock_timeout)
    name = schema_copy.copy_name()
    created_roles: list[str] = []
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            stack.callback(_drop_copy, admin, name, created_roles)  # dropped however the review ends
            created_roles.extend(trace.create_roles(conn, roles))
            copy_version = conn.execute("SELECT current_setting('server_version')").fetchone()[0]
    except psycopg.Error as exc:
        raise schema_copy.CopyError(f"cannot make the schema copy on {how}: {first_line(exc)}") from None
    copy_dsn = make_conninfo(admin, dbname=name)
    restored = schema_copy.restore(psql, copy_dsn, dump)
    for err in restored.errors[:5]:
        log.warning("the schema copy lacks something: %s", err)
    return copy_dsn, {"how": how, "server_version": copy_version, "restore_errors": restored.errors,
                      "roles_created": len(created_roles)}  # fmt: skip


def _drop_copy(admin: str, name: str, roles: list[str]) -> None:
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for role in roles:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    except psycopg.Error as exc:
        log.warning("could not drop the schema copy %s: %s", name, str(exc).splitlines()[0])


def _on_target(job: Job, steps: list[trace.Step]) -> list[dict[str, Any]]:
    """The opt-in mode: every statement inside one transaction on the target, rolled back at the end."""
    conninfo, password = job.conninfo()
    kwargs = {"password": password} if password else {}
    with psycopg.connect(conninfo, autocommit=True, fallback_application_name="pg-auditor", **kwargs) as conn:
        return trace.apply(conn, steps, job.target_statement_timeout, rollback=True, lock_timeout=job.lock_timeout)


def _facts(result: dict[str, Any], sizes: dict[str, dict[str, Any]]) -> mig.Facts:
    return mig.Facts(locks=result.get("locks") or [], rewrites=result.get("rewrites") or [],
                     scans=result.get("scans") or [], sizes=sizes, error=result.get("error"))  # fmt: skip


def _statement(s: mig.Statement, r: dict[str, Any], f: mig.Facts, advice: list[mig.Advice], job: Job) -> dict[str, Any]:
    locks = [
        {"relation": lk["relation"], "mode": mig.MODE_NAMES.get(lk["mode"], lk["mode"]), "kind": lk["kind"],
         "new": lk["new"], "blocks": _blocks(lk["mode"]), "granted": lk.get("granted", True)}
        for lk in f.locks
    ]  # fmt: skip
    touched = {lk["relation"] for lk in f.locks if not lk["new"]} | set(f.rewrites) | set(f.scans)
    live = {rel: f.sizes[rel] for rel in sorted(touched) if rel in f.sizes}
    blocking = sorted({
        lk["relation"] for lk in f.locks
        if not lk["new"] and lk["mode"] in mig.BLOCKS_WRITES
        and ((f.sizes.get(lk["relation"]) or {}).get("bytes") or 0) >= job.max_locked_bytes
    })  # fmt: skip
    return {
        "index": s.index,
        "file": s.file,
        "line": s.line,
        "text": s.text,
        "command": s.command,
        "transactional": s.in_transaction_ok,
        "status": r["status"],
        "reason": r.get("reason"),
        "error": r.get("error"),
        "seconds_on_copy": r.get("seconds"),
        "measured": r.get("measured"),
        "locks": locks,
        "table_locks": _strongest(locks),
        "rewrite": bool(f.rewrites),
        "rewrites": f.rewrites,
        "scan": bool(f.scans) if r.get("scans") is not None else None,
        "scans": f.scans,
        "live": live,
        "blocking_large": blocking,
        "advice": [a.as_dict() for a in advice],
    }


def _strongest(locks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per existing table, the strongest lock the statement held on it: what the target would feel."""
    order = list(mig.MODE_NAMES.values())
    best: dict[str, dict[str, Any]] = {}
    for lk in locks:
        if lk["new"] or lk["kind"] != "table":
            continue
        if lk["relation"] not in best or order.index(lk["mode"]) > order.index(best[lk["relation"]]["mode"]):
            best[lk["relation"]] = {"relation": lk["relation"], "mode": lk["mode"], "blocks": lk["blocks"]}
    return sorted(best.values(), key=lambda b: (-order.index(b["mode"]), b["relation"]))


def _blocks(mode: str) -> str:
    if mode in mig.BLOCKS_READS:
        return "reads and writes"
    if mode in mig.BLOCKS_WRITES:
        return "writes"
    if mode == "ShareUpdateExclusiveLock":
        return "DDL and VACUUM"
    return "nothing (conflicts only with stronger locks)"


def _diff(live: Report | None, before: Report, after: Report) -> dict[str, Any]:
    """The findings of the copy after the migration against the copy before it (same fidelity on both
    sides: a copy lacks statistics and data), as new / fixed with the baselines' fingerprints; `fixed`
    keeps only what the live target has too."""
    changes = baseline.apply(after, baseline.build(before), "the schema before the migration")
    live_fps = {f.fingerprint for f in live.findings} if live is not None else None
    introduced = [f for f in after.findings if f.state == "new"]
    removed = [f for f in changes["fixed"] if live_fps is None or f["fingerprint"] in live_fps]
    return {
        "against": "the live target's schema (copied), before the migration",
        "introduced": [_finding(f) for f in introduced],
        "removed": removed,
        "unchanged": len(changes["known"]),
        "live_findings": len(live.findings) if live is not None else None,
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {"fingerprint": f.fingerprint, "code": f.code, "severity": f.severity, "object": f.obj.display,
            "message": f.message, "title": f.title, "fix": f.fix}  # fmt: skip


def _gate(review: dict[str, Any], job: Job) -> dict[str, Any]:
    reasons = []
    fail_on = job.config.fail_on
    diff = review.get("audit_diff") or {}
    if fail_on != "never":
        rank = SEVERITY_RANK[fail_on]
        for f in diff.get("introduced", []):
            if SEVERITY_RANK[f["severity"]] >= rank:
                reasons.append(f"introduces {f['code']} ({f['severity']}) on {f['object']}")
    for s in review["migration"]["statements"]:
        for rel in s["blocking_large"]:
            mode = max((lk["mode"] for lk in s["locks"] if lk["relation"] == rel),
                       key=lambda m: list(mig.MODE_NAMES.values()).index(m))  # fmt: skip
            reasons.append(f"statement {s['index']} (line {s['line']}) takes {mode} on {rel}, "
                           f"{mig.human_bytes(s['live'][rel]['bytes'])} on the target")  # fmt: skip
    failed = review["migration"].get("failed")
    if failed:
        reasons.append(f"statement {failed['index']} (line {failed['line']}) fails on the copy: {failed['error']}")
    return {"fail_on": fail_on, "max_locked_bytes": job.max_locked_bytes, "reasons": reasons}


def verdict(review: dict[str, Any], job: Job) -> int:
    if job.exit_zero:
        return 0
    return 1 if review["gate"]["reasons"] else 0


def target_conninfo(target: Target, password: str | None) -> tuple[str, str | None]:
    """The conninfo pg_dump gets, its password taken out (pg_dump reads it from PGPASSWORD: not in `ps`)."""
    conninfo, _ = target.resolve()
    params = conninfo_to_dict(conninfo)
    pw = params.pop("password", None) or password
    return make_conninfo(**{k: v for k, v in params.items() if v is not None}), pw


__all__ = ["Job", "Outcome", "Timeouts", "run"]
