"""PAR004: a hash set missing remainders: a share of inserts fails."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.partbounds import hash_missing, parse_bound
from auditor.base.names import qualified
from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
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

    ## Why is this bad?
    A hash set cannot have a default partition: a row whose key hashes to a missing remainder has
    nowhere to go and the insert fails. A quarter of inserts fail when one of four remainders is missing.

    ## Example
    `MODULUS 4` partitions for remainders 0, 1 and 3 only.

    ## Fix
    Create the missing remainders (empty, so instant).
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
            f"CREATE TABLE {qualified(t.schema, f'{t.name}_p{r}')} PARTITION OF {t.qualified} "
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
