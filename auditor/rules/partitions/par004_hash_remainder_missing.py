"""PAR004: a hash set missing remainders: a share of inserts fails."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partbounds import hash_missing, parse_bound
from auditor.base.names import qualified
from auditor.catalog.model import Snapshot
from auditor.rules.common import new_name, table_obj
from auditor.rules.partitions._shared import children, user_parents
from auditor.rules.registry import Hit, rule


@rule(
    "PAR004",
    "hash-remainder-missing",
    severity="critical",
    subject="partitioned table",
    requires=("tables",),
    population="partition_sets",
)
def hash_remainder_missing(snap: Snapshot) -> Iterator[Hit]:
    """Hash-partitioned set with remainders no partition covers.

    ## Why it matters
    A hash set cannot have a default partition: a row whose key hashes to a missing remainder has
    nowhere to go and the insert fails. A quarter of inserts fail when one of four remainders is missing.

    ## What it checks
    Every hash-partitioned table (sub-partitions too), partitions being detached left out: from the
    partitions' `MODULUS`/`REMAINDER` pairs it computes which remainders of the largest modulus no partition
    covers (a partition of a smaller modulus covers several). It reports the missing remainders and the share
    of inserts that fail.

    ## Bad
    ```sql
    -- Four hash partitions planned, the one for remainder 2 never created (or dropped).
    CREATE TABLE sessions (
        user_id    bigint      NOT NULL,
        token      text        NOT NULL,
        expires_at timestamptz NOT NULL
    ) PARTITION BY HASH (user_id);
    CREATE TABLE sessions_p0 PARTITION OF sessions FOR VALUES WITH (MODULUS 4, REMAINDER 0);
    CREATE TABLE sessions_p1 PARTITION OF sessions FOR VALUES WITH (MODULUS 4, REMAINDER 1);
    CREATE TABLE sessions_p3 PARTITION OF sessions FOR VALUES WITH (MODULUS 4, REMAINDER 3);
    ```

    ## Good
    ```sql
    CREATE TABLE sessions (
        user_id    bigint      NOT NULL,
        token      text        NOT NULL,
        expires_at timestamptz NOT NULL
    ) PARTITION BY HASH (user_id);
    CREATE TABLE sessions_p0 PARTITION OF sessions FOR VALUES WITH (MODULUS 4, REMAINDER 0);
    CREATE TABLE sessions_p1 PARTITION OF sessions FOR VALUES WITH (MODULUS 4, REMAINDER 1);
    CREATE TABLE sessions_p2 PARTITION OF sessions FOR VALUES WITH (MODULUS 4, REMAINDER 2);
    CREATE TABLE sessions_p3 PARTITION OF sessions FOR VALUES WITH (MODULUS 4, REMAINDER 3);
    ```

    ## Fix
    Create the missing remainders (empty, so instant):
    ```sql
    CREATE TABLE public.sessions_p2 PARTITION OF public.sessions FOR VALUES WITH (MODULUS 4, REMAINDER 2);
    ```

    ## False positives
    None known: an insert that hashes to a missing remainder always fails. A set that is being rebuilt
    (partitions detached to be re-created with another modulus) shows here while the work is under way;
    ignore it for that run with `--ignore PAR004`.
    """
    for t in user_parents(snap):
        if t.partition_strategy != "h":
            continue
        bounds = [parse_bound(c.partition_bound) for c in children(snap, t) if not c.detach_pending]
        pairs = [(b.modulus, b.remainder) for b in bounds if b.kind == "hash"]
        modulus, missing = hash_missing(pairs)
        if not missing:
            continue
        share = len(missing) / modulus
        fix = "\n".join(
            f"CREATE TABLE {qualified(t.schema, new_name(snap, t, [t.name, f'p{r}'], ''))} PARTITION OF {t.qualified} "
            f"FOR VALUES WITH (MODULUS {modulus}, REMAINDER {r});"
            for r in missing
        )
        yield Hit(
            obj=table_obj(t),
            message=f"hash remainders {', '.join(map(str, missing))} of modulus {modulus} have no partition: "
            f"about {share:.0%} of inserts fail",
            evidence={
                "key": t.partition_key,
                "modulus": modulus,
                "missing_remainders": missing,
                "partitions": len(pairs),
            },
            fix=fix,
        )
