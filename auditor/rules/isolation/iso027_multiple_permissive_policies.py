"""ISO027: two or more permissive policies for the same role and command on one table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from auditor.catalog.model import Snapshot
from auditor.rules.common import table_obj
from auditor.rules.registry import Hit, rule

COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")


@rule("ISO027", "multiple-permissive-policies", severity="low", subject="table", requires=("tables", "policies"))
def multiple_permissive_policies(snap: Snapshot) -> Iterator[Hit]:
    """Several permissive policies for the same role and command.

    ## Why it matters
    Permissive policies combine with OR: for every row, each of them is evaluated until one admits
    it, so two policies for the same role and command cost (up to) two checks per row where one
    policy with both conditions OR-ed costs one, and the planner cannot use an index for either
    branch alone. Several policies are also harder to review: what a role may see is the union of
    them all, read from several places.

    ## What it checks
    Per table, each role a policy names (and `public`, which every role is) and each command
    (`FOR ALL` counts for SELECT, INSERT, UPDATE and DELETE): two or more permissive policies that
    apply to it (as splinter's `multiple_permissive_policies`). Restrictive policies are ANDed and
    are not counted. One finding per table, naming each role and command and the policies.

    ## Bad
    ```sql
    CREATE TABLE documents (id bigint PRIMARY KEY, org_id bigint NOT NULL, owner text, shared boolean);
    ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own ON documents FOR SELECT USING (owner = current_user);
    CREATE POLICY shared ON documents FOR SELECT USING (shared);
    ```

    ## Good
    ```sql
    CREATE TABLE documents (id bigint PRIMARY KEY, org_id bigint NOT NULL, owner text, shared boolean);
    ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
    CREATE POLICY visible ON documents FOR SELECT USING (owner = current_user OR shared);
    ```

    ## Fix
    ```sql
    BEGIN;
    DROP POLICY own ON documents;
    DROP POLICY shared ON documents;
    CREATE POLICY visible ON documents FOR SELECT USING ((owner = current_user) OR shared);
    COMMIT;
    ```
    No fix SQL is printed: merging is only exact when the policies name the same roles and commands,
    and the merged policy's name and shape are a design choice.

    ## False positives
    Policies kept apart on purpose for readability on small tables. Ignore the rule for the table
    with an `ignore-objects` entry (`rule = "ISO027"`, `object = "public.documents"`).
    """
    for t in snap.tables:
        pols = [p for p in snap.policies_of.get(t.oid, []) if p.permissive]
        if len(pols) < 2:
            continue
        roles = sorted({r for p in pols for r in p.roles} | {"public"})
        overlaps: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for role in roles:
            for cmd in COMMANDS:
                names = tuple(
                    sorted(
                        p.name for p in pols if p.command in (cmd, "ALL") and ("public" in p.roles or role in p.roles)
                    )
                )
                if len(names) > 1:
                    overlaps[names].append(f"{role} {cmd}")
        if not overlaps:
            continue
        pairs = [{"policies": list(names), "for": where} for names, where in sorted(overlaps.items())]
        first = pairs[0]
        yield Hit(
            obj=table_obj(t),
            message=(
                f"{len(first['policies'])} permissive policies ({', '.join(first['policies'])}) apply to "
                f"{', '.join(first['for'][:4])} on {t.qualified}: merge them into one"
                + (f" (and {len(pairs) - 1} more overlaps)" if len(pairs) > 1 else "")
            ),
            evidence={"overlaps": pairs},
        )
