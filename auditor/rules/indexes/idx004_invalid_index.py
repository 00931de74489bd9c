"""IDX004: an invalid index left by a failed concurrent build, which the planner ignores but writes maintain."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from auditor.base.names import qualified
from auditor.catalog.model import Snapshot
from auditor.rules.common import human_bytes, index_obj
from auditor.rules.guarded import commented
from auditor.rules.indexes._shared import index_bytes, user_indexes
from auditor.rules.registry import Hit, rule


@rule("IDX004", "invalid-index", severity="high", subject="index", requires=("indexes",), population="indexes")
def invalid_index(snap: Snapshot) -> Iterator[Hit]:
    """Invalid index, left by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY.

    ## Why it matters
    When `CREATE INDEX CONCURRENTLY` fails (a deadlock, a cancelled statement, a duplicate value for
    a unique index) it leaves the index behind, marked invalid. The planner never uses it, yet once
    it is "ready" every write still maintains it, and an invalid unique index still rejects
    duplicates. Migrations that believe the index exists run slow queries; a later `CREATE INDEX IF
    NOT EXISTS` silently keeps the broken one. `REINDEX CONCURRENTLY` leaves `_ccnew`/`_ccold`
    indexes the same way.

    ## What it checks
    Every index on an application table whose `pg_index.indisvalid` is false. A leftover of
    `REINDEX CONCURRENTLY` (named `..._ccnew` or `..._ccold`) is named as such, and its fix drops it.
    The finding is high when the index is ready (writes maintain it) or unique, medium otherwise. A
    partitioned index left invalid by `ON ONLY` is reported by PAR007, with the partitions that lack
    it.

    An index being built by a running `CREATE INDEX CONCURRENTLY` is also invalid until it
    finishes: tables with a build in progress (`pg_stat_progress_create_index`) are left out; a
    role without pg_read_all_stats cannot see other users' builds, so the fix says to check.

    ## Bad (not run: only a failed CREATE INDEX CONCURRENTLY leaves one, and it cannot run in a transaction)
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    INSERT INTO users VALUES (1, 'ana@example.com'), (2, 'ana@example.com');
    CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
    -- ERROR:  could not create unique index "users_email_key"
    -- DETAIL:  Key (email)=(ana@example.com) is duplicated.
    -- users_email_key stays behind, invalid
    ```

    ## Good
    ```sql
    CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
    INSERT INTO users VALUES (1, 'ana@example.com'), (2, 'bo@example.com');
    CREATE UNIQUE INDEX users_email_key ON users (email);
    ```

    ## Fix
    ```sql
    DROP INDEX CONCURRENTLY IF EXISTS users_email_key;  -- leftover _ccnew/_ccold
    REINDEX INDEX CONCURRENTLY users_email_key;          -- wanted (fix duplicates first if unique)
    ```
    For an index that is not a leftover the fix rebuilds it and prints the drop, for an index that is
    not wanted, as a comment: running the block never does both.

    ## False positives
    An index whose build is running right now, started by another role, when the auditing role
    lacks pg_read_all_stats (part of pg_monitor) to see it in `pg_stat_progress_create_index`: check
    there and run the audit again after the build. Otherwise an invalid index is always a leftover.
    To accept it meanwhile, ignore the rule (`--ignore IDX004`, `ignore = ["IDX004"]`) or tag the
    index:
    ```sql
    COMMENT ON INDEX users_email_key IS 'pg-auditor: ignore IDX004 -- rebuilt in tonight''s window';
    ```
    """
    building = {b.table_oid for b in snap.index_builds}
    for t, i in user_indexes(snap):
        if i.is_valid or t.oid in building:
            continue  # an index being built right now is invalid until the build finishes
        evidence: dict[str, Any] = {"definition": i.definition, "ready": i.is_ready}
        if i.is_partitioned:
            continue  # an invalid partitioned index is PAR007's, with the partitions that lack it
        leftover = re.search(r"_cc(new|old)\d*$", i.name) is not None
        evidence["bytes"] = human_bytes(index_bytes(snap, [i]))
        drop = f"DROP INDEX CONCURRENTLY IF EXISTS {qualified(t.schema, i.name)};"
        if leftover:
            message = f"index {i.name} is an invalid leftover of a failed REINDEX CONCURRENTLY"
            fix = drop
        else:
            what = "unique index" if i.is_unique else "index"
            message = f"{what} {i.name} is invalid (a failed CREATE INDEX CONCURRENTLY?): the planner never uses it"
            if i.is_ready:
                message += ", yet every write still maintains it"
            fix = (
                "-- first make sure it is not being built right now: SELECT * FROM pg_stat_progress_create_index;\n"
                + ("-- unique: remove the duplicate values first, or the rebuild fails again\n" if i.is_unique else "")
                + f"REINDEX INDEX CONCURRENTLY {qualified(t.schema, i.name)};\n"
                + f"-- or, if it is not wanted, instead:\n{commented(drop)}"
            )
        yield Hit(
            obj=index_obj(t, i),
            message=message,
            evidence=evidence,
            fix=fix,
            severity="high" if i.is_ready or i.is_unique else "medium",
        )
