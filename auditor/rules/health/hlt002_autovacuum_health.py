"""HLT002: tables autovacuum does not look after: disabled, never analyzed, or dead rows piling up."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot, Table, TableStats
from auditor.rules.common import table_obj
from auditor.rules.health._shared import is_off, setting_number
from auditor.rules.registry import Hit, Obj, rule, threshold

UNANALYZED_CHANGES = threshold(
    "autovacuum_unanalyzed_changes", 10_000, "rows changed since a table was never analyzed from which HLT002 fires"
)
DEAD_ROWS_BEHIND = threshold(
    "autovacuum_dead_rows_behind", 10_000, "dead rows past twice autovacuum's trigger from which HLT002 fires"
)


def disabled(t: Table) -> list[str]:
    """The storage parameters that switch autovacuum off on this table (or its TOAST table)."""
    return [o for o in ("autovacuum_enabled", "toast.autovacuum_enabled") if is_off(t.option(o))]


def vacuum_trigger(snap: Snapshot, t: Table) -> float:
    """Dead rows from which autovacuum vacuums the table: threshold + scale factor x rows (per table if set)."""
    base = t.option("autovacuum_vacuum_threshold") or setting_number(snap, "autovacuum_vacuum_threshold", 50)
    scale = t.option("autovacuum_vacuum_scale_factor") or setting_number(snap, "autovacuum_vacuum_scale_factor", 0.2)
    return float(base) + float(scale) * t.estimated_rows


def problems(snap: Snapshot, t: Table, st: TableStats | None) -> tuple[list[str], list[str]]:
    """What is wrong, and the statements that fix it."""
    found, fix = [], []
    off = disabled(t)
    if off:
        found.append(f"autovacuum disabled ({', '.join(off)} = false)")
        fix.append(f"ALTER TABLE {t.qualified} RESET ({', '.join(off)});")
    if st is None:
        return found, fix
    never = not (st.last_analyze or st.last_autoanalyze)
    if never and st.n_mod_since_analyze >= UNANALYZED_CHANGES(snap):
        found.append(f"never analyzed since the statistics were reset, {st.n_mod_since_analyze} rows changed")
    trigger = vacuum_trigger(snap, t)
    if st.n_dead_tup >= max(2 * trigger, DEAD_ROWS_BEHIND(snap)):
        found.append(f"{st.n_dead_tup} dead rows, past twice autovacuum's trigger of {int(trigger)}")
    if found:
        fix.append(f"VACUUM (ANALYZE) {t.qualified};")
    return found, fix


@rule("HLT002", "autovacuum-health", severity="low", subject="table", requires=("tables", "table_stats"))
def autovacuum_health(snap: Snapshot) -> Iterator[Hit]:
    """Table autovacuum does not look after.

    ## Why it matters
    Autovacuum removes dead rows, keeps the planner's statistics fresh and freezes old rows before
    transaction IDs wrap around. A table where it is switched off, or where it has fallen behind,
    grows (HLT001), gets plans built on statistics that no longer describe it, and eventually forces
    an anti-wraparound vacuum at the worst moment (HLT003).

    ## What it checks
    Per application table (as pghero's maintenance page and check_postgres' `last_vacuum` /
    `last_analyze`): autovacuum switched off with `autovacuum_enabled = false` (on the table or its
    TOAST table); never analyzed since the statistics were reset while `autovacuum-unanalyzed-changes`
    (10,000) rows changed; dead rows past twice the trigger at which autovacuum should have vacuumed
    it (`autovacuum_vacuum_threshold` + `autovacuum_vacuum_scale_factor` x rows, the table's own
    settings first) and at least `autovacuum-dead-rows-behind` (10,000). With autovacuum off for the
    whole server, one finding names the database. Medium when autovacuum is off and dead rows pile up.

    ## Bad
    ```sql
    CREATE TABLE jobs (id bigint PRIMARY KEY, state text) WITH (autovacuum_enabled = false);
    ```

    ## Good
    ```sql
    CREATE TABLE jobs (id bigint PRIMARY KEY, state text);
    ```

    ## Fix
    ```sql
    ALTER TABLE jobs RESET (autovacuum_enabled);
    VACUUM (ANALYZE) jobs;
    ```
    When dead rows pile up with autovacuum on, look for what holds it back (a long transaction, a
    prepared transaction, a replication slot) and give busy tables their own, lower
    `autovacuum_vacuum_scale_factor`.

    ## False positives
    A table whose maintenance a job does on purpose (a staging table emptied by TRUNCATE, vacuumed
    by a scheduled `VACUUM`): ignore the rule for it with an `ignore-objects` entry.
    """
    if is_off(snap.server.settings.get("autovacuum")):
        yield Hit(
            obj=Obj("database", name=snap.server.database),
            message="autovacuum is off for the whole server: no table is vacuumed, analyzed or frozen automatically",
            evidence={"autovacuum": snap.server.settings.get("autovacuum")},
            severity="high",
            fix="ALTER SYSTEM SET autovacuum = on;\nSELECT pg_reload_conf();",
        )
    for t in sorted(snap.user_tables, key=lambda t: (t.schema, t.name)):
        if t.kind != "r":
            continue
        st = snap.stats_of.get(t.oid)
        found, fix = problems(snap, t, st)
        if not found:
            continue
        piling = bool(disabled(t) and st and st.n_dead_tup >= max(vacuum_trigger(snap, t), DEAD_ROWS_BEHIND(snap)))
        yield Hit(
            obj=table_obj(t),
            message=f"{t.qualified}: " + "; ".join(found),
            evidence={
                "dead_rows": st.n_dead_tup if st else None,
                "changed_since_analyze": st.n_mod_since_analyze if st else None,
                "last_vacuum": st.last_vacuum if st else None,
                "last_autovacuum": st.last_autovacuum if st else None,
                "last_analyze": st.last_analyze if st else None,
                "last_autoanalyze": st.last_autoanalyze if st else None,
                "options": t.options,
            },
            severity="medium" if piling else None,
            fix="\n".join(fix),
        )
