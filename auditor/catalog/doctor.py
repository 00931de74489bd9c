"""`pg-auditor doctor DSN`: what this role can read, the GRANTs for the rest, and which libpq files applied.

It runs the same collection an audit runs (so what it says is what the audit will get) and prints
a plain-text diagnosis; it never prints a password, only where one came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from auditor.base.names import quote_ident
from auditor.catalog.collect import collect
from auditor.catalog.db import Session, Target
from auditor.catalog.model import SECTIONS, Snapshot

SETUP_SCRIPT = "docs/setup-role.sql"
LIBPQ_ENV = (
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSYSCONFDIR",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGOPTIONS",
    "PGAPPNAME",
    "PGCONNECT_TIMEOUT",
    "PGTARGETSESSIONATTRS",
)


@dataclass
class LibpqFile:
    what: str
    path: Path
    exists: bool
    used: bool | None  # None when libpq does not tell us


@dataclass
class Diagnosis:
    server: str
    role: str
    attributes: list[str]
    memberships: list[str]
    standby: bool
    readable: list[tuple[str, int]]
    limited: dict[str, tuple[str, str | None]]
    unavailable: dict[str, tuple[str, str | None]]
    grants: list[str]
    password_source: str
    files: list[LibpqFile]
    environment: list[str]
    conninfo: str
    source: str
    notes: list[str] = field(default_factory=list)


def effective_options(session: Session) -> dict[str, str]:
    """The connection options libpq actually used (never the password)."""
    out: dict[str, str] = {}
    for opt in session.conn.pgconn.info:
        if opt.val is None or opt.keyword == b"password":
            continue
        out[opt.keyword.decode()] = opt.val.decode(errors="replace")
    return out


def libpq_files(options: dict[str, str], used_password: bool, password_given: bool) -> list[LibpqFile]:
    """The password, service and TLS files libpq looks at for this connection, and which ones mattered."""
    home = Path.home()
    files: list[LibpqFile] = []
    passfile = Path(options.get("passfile") or os.environ.get("PGPASSFILE") or home / ".pgpass")
    from_file = passfile.exists() and used_password and not password_given
    files.append(LibpqFile("passfile", passfile, passfile.exists(), from_file))
    service = options.get("service") or os.environ.get("PGSERVICE")
    if service:
        user_file = Path(os.environ.get("PGSERVICEFILE") or home / ".pg_service.conf")
        sys_dir = os.environ.get("PGSYSCONFDIR")
        candidates = [user_file] + ([Path(sys_dir) / "pg_service.conf"] if sys_dir else [])
        found = False
        for path in candidates:
            has = path.exists() and f"[{service}]" in path.read_text(encoding="utf-8", errors="replace")
            files.append(LibpqFile(f"service file ([{service}])", path, path.exists(), has and not found))
            found = found or has
    if options.get("sslmode") not in (None, "disable"):
        tls_dir = home / ".postgresql"
        for key, default in (("sslrootcert", "root.crt"), ("sslcert", "postgresql.crt"), ("sslkey", "postgresql.key")):
            path = Path(options.get(key) or tls_dir / default)
            if options.get(key) or path.exists():
                files.append(LibpqFile(f"TLS {key}", path, path.exists(), None))
    return files


def password_source(used_password: bool, in_conninfo: bool, prompted: bool, files: list[LibpqFile]) -> str:
    if not used_password:
        return "none asked for (trust, peer, certificate or GSSAPI authentication)"
    if prompted:
        return "typed at the prompt (-W)"
    if in_conninfo:
        return "from the connection string"
    if os.environ.get("PGPASSWORD"):
        return "from PGPASSWORD"
    used = [f for f in files if f.what == "passfile" and f.used]
    return f"from the password file {used[0].path}" if used else "from libpq (source unknown)"


def grants_for(snap: Snapshot) -> list[str]:
    """The statements an administrator runs so this role reads everything, deduplicated, in order."""
    role = quote_ident(snap.server.current_user)
    out: list[str] = []
    if not snap.server.is_superuser and "pg_monitor" not in snap.server.privileged_memberships:
        out.append(f"GRANT pg_monitor TO {role};")
    for problems in (snap.unavailable, snap.limited):
        for _, u in sorted(problems.items()):
            if u.grant and u.grant not in out and not (out and "included in pg_monitor" in u.grant):
                out.append(u.grant)
    return out


def diagnose(session: Session, target: Target, prompted: bool = False) -> Diagnosis:

    conninfo, source = target.resolve()
    given = conninfo_to_dict(conninfo)
    in_conninfo = bool(given.get("password"))
    options = effective_options(session)
    used_password = bool(session.conn.pgconn.used_password)
    files = libpq_files(options, used_password, in_conninfo or prompted or bool(os.environ.get("PGPASSWORD")))
    snap = collect(session)
    s = snap.server
    attributes = ["superuser" if s.is_superuser else "not a superuser"]
    if s.bypassrls:
        attributes.append("BYPASSRLS")
    readable = [
        (name, len(getattr(snap, name)))
        for name in SECTIONS
        if name not in snap.unavailable and name not in snap.limited and not skipped_section(snap, name)
    ]
    shown = {k: v for k, v in options.items() if k in ("host", "hostaddr", "port", "user", "dbname", "sslmode")}
    notes = []
    if not s.is_superuser:
        notes.append(
            f"Managed services (RDS, Cloud SQL, Azure, Aiven) without pg_read_all_data: install the SECURITY "
            f"DEFINER helper in {SETUP_SCRIPT} as the admin user; pg-auditor uses it when it is there."
        )
    if s.in_recovery:
        notes.append("This is a hot standby: activity statistics are its own, and findings based on them say so.")
    return Diagnosis(
        server=s.version.split(" on ")[0].split(",")[0],
        role=s.current_user,
        attributes=attributes,
        memberships=s.privileged_memberships,
        standby=s.in_recovery,
        readable=readable,
        limited={k: (v.reason, v.grant) for k, v in sorted(snap.limited.items())},
        unavailable={k: (v.reason, v.grant) for k, v in sorted(snap.unavailable.items())},
        grants=grants_for(snap),
        password_source=password_source(used_password, in_conninfo, prompted, files),
        files=files,
        environment=sorted(k for k in LIBPQ_ENV if os.environ.get(k)),
        conninfo=" ".join(f"{k}={v}" for k, v in shown.items()),
        source=source,
        notes=notes,
    )


def skipped_section(snap: Snapshot, name: str) -> bool:
    """Sections collect leaves out on purpose (extension not installed)."""
    return (
        (name == "partman_config" and snap.installed("pg_partman") is None)
        or (name == "cron_jobs" and snap.installed("pg_cron") is None)
        or (name in ("statements", "index_candidates") and snap.installed("pg_stat_statements") is None)
    )


def format_diagnosis(d: Diagnosis) -> str:
    lines = ["Connection"]
    lines.append(f"  target       {d.conninfo} (named by {d.source})")
    lines.append(f"  server       {d.server}{' (hot standby)' if d.standby else ''}")
    lines.append(f"  password     {d.password_source}")
    env = [f"{k}=***" if k == "PGPASSWORD" else f"{k}={os.environ[k]}" for k in d.environment]
    lines.append(f"  environment  {', '.join(env) if env else 'no PG* variables set'}")
    for f in d.files:
        state = "used" if f.used else ("present, not used" if f.exists and f.used is False else "present")
        lines.append(f"  {f.what:<12} {f.path} ({state if f.exists else 'not found'})")
    lines.append("")
    member_of = ", ".join(d.memberships) or "no monitoring role"
    lines.append(f"Role {d.role}: {', '.join(d.attributes)}; member of {member_of}")
    lines.append("")
    lines.append("What this role can read")
    for name, rows in d.readable:
        lines.append(f"  ok       {name} ({rows} rows)")
    for name, (reason, _) in d.limited.items():
        lines.append(f"  limited  {name}: {reason}")
    for name, (reason, _) in d.unavailable.items():
        lines.append(f"  skipped  {name}: {reason}")
    lines.append("")
    if d.grants:
        lines.append("To read the rest, an administrator runs (or see docs/setup-role.sql):")
        lines.extend(f"  {g}" for g in d.grants)
    else:
        lines.append("This role reads everything pg-auditor collects.")
    for note in d.notes:
        lines.append("")
        lines.append(note)
    return "\n".join(lines)
