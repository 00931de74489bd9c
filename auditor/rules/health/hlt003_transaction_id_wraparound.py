"""HLT003: transaction or multixact IDs close to wraparound, on the database and its oldest tables."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.catalog.model import Snapshot, Table
from auditor.rules.common import table_obj
from auditor.rules.health._shared import setting_number
from auditor.rules.registry import Hit, Obj, rule, threshold

WRAP_LIMIT = 2**31  # transaction and multixact IDs compare modulo 2^32: half the circle is the horizon
WRAPAROUND_SHARE = threshold(
    "wraparound_share", 0.3, "share of the 2^31 ID horizon used (age of the oldest unfrozen ID) from which HLT003 fires"
)


def severity_of(share: float) -> str:
    """pganalyze's steps: half the horizon used is high, four fifths critical."""
    return "critical" if share >= 0.8 else "high" if share >= 0.5 else "medium"


def worst(xid: int | None, mxid: int | None) -> tuple[float, str]:
    """The larger share of the horizon used, and by which counter."""
    x, m = (xid or 0) / WRAP_LIMIT, (mxid or 0) / WRAP_LIMIT
    return (x, "transaction") if x >= m else (m, "multixact")


@rule("HLT003", "transaction-id-wraparound", severity="medium", subject="table", requires=("tables",))
def transaction_id_wraparound(snap: Snapshot) -> Iterator[Hit]:
    """Transaction IDs close to wraparound.

    ## Why it matters
    PostgreSQL compares transaction IDs on a circle of 2^32: a row older than 2^31 transactions
    would look like it is from the future. VACUUM *freezes* old rows so that never happens; when it
    falls behind, autovacuum runs an anti-wraparound vacuum that cannot be cancelled, and a few
    million IDs before the limit the server refuses every write until someone freezes the database
    by hand: hours of downtime on a large table. Multixact IDs (row locks shared by several
    transactions) wrap around the same way.

    ## What it checks
    The age of each application table's oldest unfrozen transaction ID (`age(relfrozenxid)`, its
    TOAST table's included) and multixact ID (`mxid_age(relminmxid)`), and the database's
    (`datfrozenxid`, `datminmxid`), against the 2^31 horizon (as pghero's and check_postgres'
    wraparound checks). A table is reported from `wraparound-share` (30 %, some 640 million IDs),
    high from 50 %, critical from 80 % (pganalyze's steps); the evidence compares the age with
    `autovacuum_freeze_max_age`, past which autovacuum should already be freezing it. The database
    is reported when it is that old and none of its application tables is (the oldest table is then a
    system catalog or another database object).

    ## Bad (not run: it takes hundreds of millions of transactions)
    ```sql
    CREATE TABLE ledger (id bigint PRIMARY KEY, amount numeric) WITH (autovacuum_enabled = false);
    -- ... 700 million transactions later, age(relfrozenxid) of ledger is past 640 million
    ```

    ## Good
    ```sql
    CREATE TABLE ledger (id bigint PRIMARY KEY, amount numeric);
    -- autovacuum on: it freezes the table once its age passes autovacuum_freeze_max_age
    ```

    ## Fix
    ```sql
    VACUUM (FREEZE, VERBOSE) ledger;
    ```
    If autovacuum is on and the age keeps growing, something holds the xmin horizon back: a long or
    idle-in-transaction session, a forgotten prepared transaction (`pg_prepared_xacts`) or an
    inactive replication slot (`pg_replication_slots`). Freezing cannot advance past it.

    ## False positives
    None: the age is exact. A table recently frozen by hand drops below the threshold at the next run.
    """
    freeze_max = int(setting_number(snap, "autovacuum_freeze_max_age", 200_000_000))
    mfreeze_max = int(setting_number(snap, "autovacuum_multixact_freeze_max_age", 400_000_000))
    limit = WRAPAROUND_SHARE(snap)
    old: list[tuple[Table, float, str]] = []
    for t in snap.user_tables:
        share, counter = worst(t.xid_age, t.mxid_age)
        if t.xid_age is not None and share >= limit:
            old.append((t, share, counter))
    for t, share, counter in sorted(old, key=lambda o: (-o[1], o[0].schema, o[0].name)):
        yield Hit(
            obj=table_obj(t),
            message=(
                f"{t.qualified} has used {share:.0%} of the {counter} ID horizon "
                f"(age {t.xid_age if counter == 'transaction' else t.mxid_age}): freeze it before writes stop"
            ),
            evidence=_evidence(t.xid_age, t.mxid_age, freeze_max, mfreeze_max),
            severity=severity_of(share),
            fix=f"VACUUM (FREEZE, VERBOSE) {t.qualified};",
        )
    share, counter = worst(snap.server.frozenxid_age, snap.server.minmxid_age)
    if not old and snap.server.frozenxid_age is not None and share >= limit:
        oldest = sorted((t for t in snap.user_tables if t.xid_age is not None), key=lambda t: -(t.xid_age or 0))[:5]
        yield Hit(
            obj=Obj("database", name=snap.server.database),
            message=f"database {snap.server.database} has used {share:.0%} of the {counter} ID horizon",
            evidence=_evidence(snap.server.frozenxid_age, snap.server.minmxid_age, freeze_max, mfreeze_max)
            | {"oldest_tables": {t.qualified: t.xid_age for t in oldest}},
            severity=severity_of(share),
            fix="VACUUM (FREEZE, VERBOSE);  -- the whole database: vacuumdb --freeze --jobs=4 runs it in parallel",
        )


def _evidence(xid: int | None, mxid: int | None, freeze_max: int, mfreeze_max: int) -> dict[str, object]:
    return {
        "xid_age": xid,
        "mxid_age": mxid,
        "autovacuum_freeze_max_age": freeze_max,
        "autovacuum_multixact_freeze_max_age": mfreeze_max,
        "past_autovacuum_freeze_max_age": bool((xid or 0) > freeze_max or (mxid or 0) > mfreeze_max),
    }
