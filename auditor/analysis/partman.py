"""pg_partman's configuration, typed, whatever its version (4.7 to 5.6), and who runs its maintenance.

part_config rows arrive as to_jsonb(row), so a column a version lacks is simply absent: the known keys
are typed here (absent -> None, which the checks read as "this version does not have it") and the
rest is kept in `extra`. part_config_sub rows carry the same keys behind a `sub_` prefix.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from auditor.analysis.partbounds import Step
from auditor.base.names import quote_ident, quote_literal
from auditor.catalog.model import Snapshot, Table

# Suffixes 5.x maintenance refuses ("no longer supported"): 4.x quarterly and ISO-weekly sets.
LEGACY_SUFFIXES = frozenset({'YYYY"q"Q', 'IYYY"w"IW'})
TRIGGER_TYPES = frozenset({"partman", "time-custom"})

_KNOWN = {
    "parent_table": str,
    "control": str,
    "partition_type": str,
    "partition_interval": str,
    "premake": int,
    "automatic_maintenance": str,
    "template_table": str,
    "retention": str,
    "retention_schema": str,
    "retention_keep_table": bool,
    "retention_keep_index": bool,
    "epoch": str,
    "infinite_time_partitions": bool,
    "datetime_string": str,
    "undo_in_progress": bool,
    "ignore_default_data": bool,
    "default_table": bool,
    "maintenance_order": int,
    "maintenance_last_run": str,
    "time_encoder": str,
    "child_table_prefix": str,
    "detach_before_drop": bool,
    "async_partitioning_in_progress": str,
    "constraint_valid": bool,
}


@dataclass(slots=True)
class PartmanSet:
    """One row of part_config (or part_config_sub), typed; keys this version lacks are None."""

    source: str
    parent_table: str
    control: str | None = None
    partition_type: str | None = None
    partition_interval: str | None = None
    premake: int | None = None
    automatic_maintenance: str | None = None
    template_table: str | None = None
    retention: str | None = None
    retention_schema: str | None = None
    retention_keep_table: bool | None = None
    retention_keep_index: bool | None = None
    epoch: str | None = None
    infinite_time_partitions: bool | None = None
    datetime_string: str | None = None
    undo_in_progress: bool | None = None
    ignore_default_data: bool | None = None
    default_table: bool | None = None
    maintenance_order: int | None = None
    maintenance_last_run: str | None = None
    time_encoder: str | None = None
    child_table_prefix: str | None = None
    detach_before_drop: bool | None = None
    async_partitioning_in_progress: str | None = None
    constraint_valid: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    keys: frozenset[str] = frozenset()  # the columns this install has (to tell "absent" from NULL)

    @property
    def schema(self) -> str:
        return split_name(self.parent_table)[0]

    @property
    def table(self) -> str:
        return split_name(self.parent_table)[1]

    @property
    def is_id_based(self) -> bool:
        return bool(self.partition_interval and re.fullmatch(r"-?\d+", self.partition_interval.strip()))

    @property
    def is_time_based(self) -> bool:
        return bool(self.partition_interval) and not self.is_id_based and self.time_encoder is None

    @property
    def interval(self) -> Step | None:
        if not self.partition_interval:
            return None
        if self.is_id_based:
            return Step(width=int(self.partition_interval))
        return parse_interval(self.partition_interval)

    @property
    def maintained(self) -> bool:
        """automatic_maintenance = 'on' and no undo running: run_maintenance() (no argument) visits this set."""
        return (self.automatic_maintenance or "on") == "on" and not self.undo_in_progress

    @property
    def trigger_based(self) -> bool:
        return self.partition_type in TRIGGER_TYPES

    @property
    def prefix(self) -> str:
        return self.child_table_prefix or "_p"

    def last_run(self) -> dt.datetime | None:
        return parse_timestamp(self.maintenance_last_run)


def split_name(parent_table: str) -> tuple[str, str]:
    """pg_partman stores 'schema.table' unquoted and splits on the first dot, as split_part does."""
    schema, _, table = parent_table.partition(".")
    return (schema, table) if table else ("public", schema)


def parse_row(source: str, config: dict[str, Any]) -> PartmanSet:
    """Type one to_jsonb row; a part_config_sub row loses its sub_ prefix and keys on sub_parent."""
    row = dict(config)
    if source == "part_config_sub":
        row = {(k[4:] if k.startswith("sub_") else k): v for k, v in row.items()}
        row["parent_table"] = row.pop("parent", None)
    out = PartmanSet(source=source, parent_table=str(row.get("parent_table") or ""), keys=frozenset(row))
    for key, value in row.items():
        kind = _KNOWN.get(key)
        if kind is None:
            if key != "parent_table":
                out.extra[key] = value
            continue
        if key == "parent_table":
            continue
        setattr(out, key, _typed(value, kind))
    return out


def _typed(value: Any, kind: type) -> Any:
    if value is None:
        return None
    if kind is bool:
        return value if isinstance(value, bool) else str(value).lower() in ("t", "true", "on", "1")
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    return str(value)


def partman_sets(snap: Snapshot) -> list[PartmanSet]:
    """Every part_config row, typed, sorted by parent (part_config_sub rows are separate; see sub_sets)."""
    return sorted(
        (parse_row(c.source, c.config) for c in snap.partman_config if c.source == "part_config"),
        key=lambda s: s.parent_table,
    )


def sub_sets(snap: Snapshot) -> list[PartmanSet]:
    return sorted(
        (parse_row(c.source, c.config) for c in snap.partman_config if c.source == "part_config_sub"),
        key=lambda s: s.parent_table,
    )


def parent_of(snap: Snapshot, pset: PartmanSet) -> Table | None:
    return snap.table_by_name.get(split_name(pset.parent_table))


def partman_major(snap: Snapshot) -> int | None:
    ext = snap.installed("pg_partman")
    if ext is None or not ext.installed_version:
        return None
    try:
        return int(ext.installed_version.split(".")[0])
    except ValueError:
        return None


# ---- intervals ---------------------------------------------------------------------------------

_UNIT = re.compile(r"(-?\d+(?:\.\d+)?)\s*([a-z]+)")
_CLOCK = re.compile(r"(-?)(\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?")
_MONTHS = {"year": 12, "years": 12, "yr": 12, "yrs": 12, "y": 12, "mon": 1, "mons": 1, "month": 1, "months": 1}
_SECONDS = {
    "week": 604800,
    "weeks": 604800,
    "w": 604800,
    "day": 86400,
    "days": 86400,
    "d": 86400,
    "hour": 3600,
    "hours": 3600,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "minute": 60,
    "minutes": 60,
    "min": 60,
    "mins": 60,
    "m": 60,
    "second": 1,
    "seconds": 1,
    "sec": 1,
    "secs": 1,
    "s": 1,
}


def parse_interval(text: str | None) -> Step | None:
    """'1 mon', '3 mons', '1 year', '7 days', '01:00:00', '84 months', '1 year 2 mons 3 days 04:05:06' -> Step.

    None when the text is not an interval this parser knows (ISO 8601 'P1M', SQL-standard '1-2', ...)."""
    if not text:
        return None
    s = text.strip().lower()
    months, seconds = 0, 0.0
    clock = _CLOCK.search(s)
    if clock:
        sign = -1 if clock.group(1) else 1
        seconds += sign * (int(clock.group(2)) * 3600 + int(clock.group(3)) * 60 + float(clock.group(4) or 0))
        s = s[: clock.start()] + s[clock.end() :]
    for number, unit in _UNIT.findall(s):
        if unit in _MONTHS and float(number).is_integer():
            months += int(float(number)) * _MONTHS[unit]
        elif unit in _SECONDS:
            seconds += float(number) * _SECONDS[unit]
        else:
            return None
    leftover = _UNIT.sub("", s).strip()
    if leftover or (months == 0 and seconds == 0):
        return None
    return Step(months=months, delta=dt.timedelta(seconds=seconds))


def parse_timestamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# ---- who runs maintenance ----------------------------------------------------------------------


@dataclass(slots=True)
class Scheduler:
    """What would call run_maintenance for this database, as far as the catalogs tell."""

    bgw_preloaded: bool | None  # None: shared_preload_libraries unreadable
    bgw_dbnames: list[str]
    bgw_interval_s: int | None
    cron_jobs: list[dict[str, Any]]  # active pg_cron jobs calling run_maintenance for this database
    cron_database: str | None  # cron.database_name when pg_cron is preloaded
    cron_readable: bool  # the jobs of this database could be read from here

    @property
    def bgw_covers(self) -> bool:
        return bool(self.bgw_preloaded) and bool(self.bgw_dbnames)

    @property
    def scheduled(self) -> bool:
        return self.bgw_covers or bool(self.cron_jobs)

    def describe(self) -> str:
        parts = []
        if self.bgw_covers:
            parts.append(f"pg_partman_bgw every {self.bgw_interval_s or 3600}s")
        parts += [f"pg_cron job {j.get('jobname') or j.get('jobid')} ({j.get('schedule')})" for j in self.cron_jobs]
        return ", ".join(parts) or "nothing"


def scheduler(snap: Snapshot) -> Scheduler:
    s = snap.server
    settings = s.settings or {}
    preloaded = s.preloaded
    bgw_loaded = None if preloaded is None else "pg_partman_bgw" in preloaded
    names = [n.strip() for n in (settings.get("pg_partman_bgw.dbname") or "").split(",") if n.strip()]
    try:
        interval = int(settings["pg_partman_bgw.interval"]) if "pg_partman_bgw.interval" in settings else None
    except ValueError:
        interval = None
    cron_db = settings.get("cron.database_name")
    jobs = []
    for cj in snap.cron_jobs:
        job = cj.job
        command = str(job.get("command") or "")
        if "run_maintenance" not in command or job.get("active") is False:
            continue
        if (job.get("database") or cron_db or s.database) != s.database:
            continue
        jobs.append(job)
    cron_readable = snap.installed("pg_cron") is not None and snap.available("cron_jobs")
    return Scheduler(
        bgw_preloaded=bgw_loaded,
        bgw_dbnames=[n for n in names if n == s.database],
        bgw_interval_s=interval,
        cron_jobs=sorted(jobs, key=lambda j: (str(j.get("jobname") or ""), int(j.get("jobid") or 0))),
        cron_database=cron_db,
        cron_readable=cron_readable,
    )


def maintenance_call(snap: Snapshot, pset: PartmanSet | None = None) -> str:
    """The statement that runs maintenance on this version: 5.x's procedure commits per set."""
    schema = quote_ident(partman_schema(snap))
    major = partman_major(snap) or 5
    if pset is not None:
        return f"SELECT {schema}.run_maintenance({quote_literal(pset.parent_table)});"
    return f"CALL {schema}.run_maintenance_proc();" if major >= 5 else f"SELECT {schema}.run_maintenance();"


def partman_schema(snap: Snapshot) -> str:
    ext = snap.installed("pg_partman")
    return ext.schema if ext and ext.schema else "partman"


def config_table(snap: Snapshot, pset: PartmanSet) -> str:
    table = "part_config_sub" if pset.source == "part_config_sub" else "part_config"
    return f"{quote_ident(partman_schema(snap))}.{table}"


def config_where(pset: PartmanSet) -> str:
    column = "sub_parent" if pset.source == "part_config_sub" else "parent_table"
    return f"{column} = {quote_literal(pset.parent_table)}"
