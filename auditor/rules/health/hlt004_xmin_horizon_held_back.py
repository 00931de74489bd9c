"""HLT004: sessions, prepared transactions and replication slots that hold the xmin horizon back."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.base.names import quote_ident, quote_literal
from auditor.base.text import sql_comment
from auditor.catalog.model import HorizonHolder, Snapshot
from auditor.rules.registry import Hit, Obj, rule, threshold

IDLE_IN_TRANSACTION_SECONDS = threshold(
    "idle_in_transaction_seconds", 300, "seconds a session may sit idle in a transaction before HLT004 names it"
)
LONG_TRANSACTION_SECONDS = threshold(
    "long_transaction_seconds", 3600, "seconds a transaction may stay open before HLT004 names it"
)
HORIZON_XMIN_AGE = threshold(
    "horizon_xmin_age", 10_000_000, "transactions a session or slot may hold the horizon back before HLT004 names it"
)
SERIOUS_XMIN_AGE = 100_000_000
DAY = 86_400


def why(snap: Snapshot, h: HorizonHolder) -> str | None:
    """Why this holder is worth a finding (None: it is not)."""
    age = h.xmin_age or 0
    held = f", holding back {age} transactions" if age else ""
    if h.kind == "slot":
        if h.state == "inactive" and h.xmin_age is not None:
            return f"inactive replication slot {h.name} ({h.detail}){held}"
        return f"replication slot {h.name} ({h.detail}){held}" if age >= HORIZON_XMIN_AGE(snap) else None
    secs = h.seconds or 0
    if h.kind == "prepared":
        return f"prepared transaction {h.name} open for {secs / 60:.0f} min{held}" if secs >= 300 else None
    if (h.state or "").startswith("idle in transaction") and secs >= IDLE_IN_TRANSACTION_SECONDS(snap):
        return f"session {h.name} ({h.role}) idle in transaction for {secs / 60:.0f} min{held}"
    if secs >= LONG_TRANSACTION_SECONDS(snap):
        return f"session {h.name} ({h.role}) in a transaction for {secs / 3600:.1f} h{held}"
    if age >= HORIZON_XMIN_AGE(snap):
        state = h.state or "state hidden from this role: GRANT pg_read_all_stats"
        return f"session {h.name} ({h.role}, {state}){held}"
    return None


def fix_for(snap: Snapshot, h: HorizonHolder) -> str:
    """Prevention where there is one; the statement that ends this holder, commented: it is the DBA's call."""
    if h.kind == "slot":
        return f"-- once no consumer needs it: SELECT pg_drop_replication_slot({sql_comment(quote_literal(h.name))});"
    if h.kind == "prepared":
        return (
            f"-- in database {sql_comment(h.database or '?')}, after asking the transaction manager: "
            f"ROLLBACK PREPARED {sql_comment(quote_literal(h.name))};"
        )
    return (
        f"ALTER DATABASE {quote_ident(snap.server.database)} SET idle_in_transaction_session_timeout = '10min';\n"
        f"-- ends this session now: SELECT pg_terminate_backend({int(h.name)});"
    )


@rule("HLT004", "xmin-horizon-held-back", severity="low", subject="database", requires=("horizon",))
def xmin_horizon_held_back(snap: Snapshot) -> Iterator[Hit]:
    """Session, prepared transaction or replication slot holding back vacuum.

    ## Why it matters
    VACUUM may remove a dead row or freeze an old one only once no transaction can still see it. One
    session left idle in a transaction, one long report, one forgotten prepared transaction or one
    replication slot whose consumer went away holds that horizon back for every table: dead rows
    pile up (HLT001), indexes bloat, and transaction ID age grows toward wraparound (HLT003) while
    autovacuum runs and achieves nothing.

    ## What it checks
    From `pg_stat_activity`, `pg_prepared_xacts` and `pg_replication_slots` (as pghero and
    check_postgres' `txn_idle`, `txn_time`, `prepared_txns`, `replication_slots`): sessions idle in a
    transaction for `idle-in-transaction-seconds` (300), transactions open for
    `long-transaction-seconds` (3,600), prepared transactions older than five minutes, inactive
    replication slots that hold an xmin, and any of them holding the horizon back by
    `horizon-xmin-age` (10 million) transactions. Medium past a day or 100 million transactions.
    Without `pg_read_all_stats` (in `pg_monitor`) another role's session shows its xmin but not its
    state or age: grant it for the full picture.

    ## Bad (not run: it needs a session left open for minutes)
    ```sql
    BEGIN;
    SELECT txid_current();
    -- ... and the application never commits
    ```

    ## Good
    ```sql
    SET idle_in_transaction_session_timeout = '10min';  -- or per database, as the fix does
    ```

    ## Fix
    ```sql
    ALTER DATABASE app SET idle_in_transaction_session_timeout = '10min';
    -- ends this session now: SELECT pg_terminate_backend(12345);
    ```
    Ending a session, rolling back a prepared transaction or dropping a slot loses that work or that
    consumer's position: those statements are printed as comments, for the DBA to run after checking.

    ## False positives
    A nightly report that runs for an hour by design: raise `long-transaction-seconds`, or run it on a
    replica without `hot_standby_feedback`.
    """
    for h in sorted(snap.horizon, key=lambda h: (h.kind, h.name)):
        reason = why(snap, h)
        if reason is None:
            continue
        serious = (h.seconds or 0) >= DAY or (h.xmin_age or 0) >= SERIOUS_XMIN_AGE
        yield Hit(
            obj=Obj("database", name=snap.server.database),
            message=reason,
            evidence={
                "kind": h.kind,
                "name": h.name,
                "role": h.role,
                "database": h.database,
                "state": h.state,
                "seconds": h.seconds,
                "xmin_age": h.xmin_age,
                "detail": h.detail,
            },
            members=(h.kind, h.name),
            severity="medium" if serious else None,
            fix=fix_for(snap, h),
        )
