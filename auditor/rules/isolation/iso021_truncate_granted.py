"""ISO021: TRUNCATE ignores row-level security and empties every tenant at once."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.analysis.isolation_model import granted_roles
from auditor.analysis.tenancy import SCORED, TableInfo
from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot
from auditor.rules.isolation._shared import RLS, _pts, _tenant
from auditor.rules.registry import Hit, Obj, rule


@rule("ISO021", "truncate-granted", severity="high", subject="table", requires=RLS)
def truncate_granted(snap: Snapshot) -> Iterator[Hit]:
    """TRUNCATE granted to an application role (or PUBLIC) on tenant data.

    ## Why it matters
    TRUNCATE applies to the whole table and is not subject to row-level security: one tenant's
    session can empty every tenant's rows.

    ## What it checks
    Tables holding tenant data on which an application role (thresholds.app_roles, else as ISO011
    resolves them, Supabase's anon and authenticated included) or PUBLIC holds TRUNCATE, REFERENCES or
    TRIGGER through a grant, to itself or to a role whose privileges it inherits; the owner's own right
    is not counted. These act on the whole table, where no policy applies. One finding per role, with
    every table: high with TRUNCATE, medium for REFERENCES and TRIGGER alone.
    Skipped on a schema-per-tenant layout and when isolation is not applicable (no tenant model corroborated,
    or `isolation-model = "none"`).

    ## Bad
    ```sql
    CREATE ROLE app_user LOGIN;
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    GRANT ALL ON invoices TO app_user;
    ```

    ## Good
    ```sql
    CREATE ROLE app_user LOGIN;
    CREATE TABLE invoices (id bigint PRIMARY KEY, org_id bigint NOT NULL, total numeric);
    GRANT SELECT, INSERT, UPDATE, DELETE ON invoices TO app_user;
    ```

    ## Fix
    ```sql
    REVOKE TRUNCATE ON invoices FROM app_user;
    ```

    ## False positives
    A role that truncates on purpose (an ETL role that reloads staging tables) counted as an
    application role: name the real application roles with `app-roles = ["app_user"]`. A finding is
    about a role, so no comment covers it; accept one with an `ignore-objects` entry
    (`rule = "ISO021"`, `object = "etl_user"`, and a reason).
    """
    ten = _tenant(snap)
    by_role: dict[str, dict[str, list[TableInfo]]] = {}
    for info in ten.of_class(*SCORED):
        for letter, name in _PRIVILEGES.items():
            for role in granted_roles(ten, info, snap, letter):
                by_role.setdefault(role, {}).setdefault(name, []).append(info)
    for role, privs in sorted(by_role.items()):
        grantee = "PUBLIC" if role == "public" else quote_ident(role)
        parts, fixes = [], {}
        for name in _PRIVILEGES.values():
            infos = privs.get(name, [])
            if not infos:
                continue
            tables = [i.table.qualified for i in infos]
            parts.append(
                f"{name} {len(tables)} tenant table(s) ({', '.join(tables[:3])}{', ...' if len(tables) > 3 else ''})"
            )
            for t in tables:
                fixes.setdefault(t, []).append(name)
        truncate = privs.get("TRUNCATE", [])
        yield Hit(
            obj=Obj("role", name=role),
            message=f"{role} may {'; '.join(parts)}; "
            + (
                "TRUNCATE ignores row-level security"
                if truncate
                else "REFERENCES and TRIGGER act on the whole table, outside row-level security"
            ),
            evidence={
                "tables": [i.table.qualified for i in truncate],
                **{k.lower(): [i.table.qualified for i in v] for k, v in privs.items()},
            },
            fix="\n".join(f"REVOKE {', '.join(p)} ON {t} FROM {grantee};" for t, p in fixes.items()),
            severity=None if truncate else "medium",
            points=round(sum(_pts(snap, i.table, "write") or 0 for i in truncate), 1) or None,
        )


# ACL letter -> privilege: what acts on a whole table, where no policy applies
_PRIVILEGES = {"D": "TRUNCATE", "x": "REFERENCES", "t": "TRIGGER"}
