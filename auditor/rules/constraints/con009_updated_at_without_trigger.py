"""CON009: `updated_at` with no BEFORE UPDATE trigger where the schema's other tables keep one."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from auditor.base.names import quote_ident
from auditor.catalog.model import Snapshot, Table, Trigger
from auditor.rules.common import table_obj
from auditor.rules.constraints._shared import (
    judged_tables,
)
from auditor.rules.registry import Hit, rule


def before_update_row(trg: Trigger) -> bool:
    return trg.timing == "BEFORE" and "UPDATE" in trg.events and trg.level == "ROW"


def touches_updated_at(snap: Snapshot, t: Table) -> str | None:
    """The function of an enabled BEFORE UPDATE row trigger on the table (or its root), or None."""
    for table in (t, snap.root_of(t)):
        for trg in snap.triggers_of.get(table.oid, []):
            if before_update_row(trg) and trg.enabled != "D":
                return trg.function
    return None


@rule(
    "CON009",
    "updated-at-without-trigger",
    severity="low",
    subject="table",
    requires=("tables", "columns", "triggers"),
    population="tables",
)
def updated_at_without_trigger(snap: Snapshot) -> Iterator[Hit]:
    """`updated_at` with no BEFORE UPDATE trigger where the schema's other tables have one.

    ## Why it matters
    When most tables of a schema keep `updated_at` with a trigger, code (and people) trust the
    column. On a table that lacks the trigger it only changes when the application remembers to set
    it, so a bulk `UPDATE` from a script or migration leaves it stale, and incremental exports and
    caches keyed on it miss rows.

    ## What it checks
    The tables with an `updated_at` column, schema by schema. A schema is judged only when at least
    one of them has an enabled BEFORE UPDATE ... FOR EACH ROW trigger and those are at least as
    many as the ones without; then each table without one is reported, with the function the others
    use. Schemas where no table has such a trigger (the ORM sets the column) are not judged. A
    disabled trigger counts as missing, and the fix enables it. Any BEFORE UPDATE row trigger
    counts: the rule does not read the function's body.

    ## Bad
    ```sql
    CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql
        AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
    CREATE TABLE projects (id bigint PRIMARY KEY, name text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    CREATE TRIGGER set_updated_at BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
    CREATE TABLE tasks (id bigint PRIMARY KEY, title text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    ```

    ## Good
    ```sql
    CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql
        AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
    CREATE TABLE projects (id bigint PRIMARY KEY, name text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    CREATE TRIGGER set_updated_at BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
    CREATE TABLE tasks (id bigint PRIMARY KEY, title text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    CREATE TRIGGER set_updated_at BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
    ```

    ## Fix
    ```sql
    CREATE TRIGGER set_updated_at BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
    ```

    ## False positives
    A table whose `updated_at` means something else on purpose (the last edit by a person, which
    background jobs must not move), so the application sets it. Suppress on the table:
    `COMMENT ON TABLE tasks IS 'pg-auditor: ignore CON009 -- updated_at is the last human edit'`;
    or `--ignore CON009` / `ignore = ["CON009"]` in the config.
    """
    by_schema: dict[str, list[tuple[Table, str | None]]] = defaultdict(list)
    for t in judged_tables(snap):
        if (t.oid, "updated_at") in snap.column_by_name:
            by_schema[t.schema].append((t, touches_updated_at(snap, t)))
    for tables in by_schema.values():
        with_trigger = [f for _, f in tables if f]
        without = [t for t, f in tables if not f]
        if not with_trigger or len(with_trigger) < len(without):
            continue
        function, uses = Counter(with_trigger).most_common(1)[0]
        for t in without:
            taken = {trg.name for trg in snap.triggers_of.get(t.oid, [])}
            name = "set_updated_at" if "set_updated_at" not in taken else f"{t.name}_set_updated_at"
            disabled = next((trg for trg in snap.triggers_of.get(t.oid, []) if before_update_row(trg)), None)
            fix = (
                f"CREATE TRIGGER {quote_ident(name)} BEFORE UPDATE ON {t.qualified} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}();"
            )
            if disabled is not None:
                fix = f"ALTER TABLE {t.qualified} ENABLE TRIGGER {quote_ident(disabled.name)};  -- it is disabled"
            yield Hit(
                obj=table_obj(t),
                message=f"updated_at has no BEFORE UPDATE trigger; {len(with_trigger)} of {len(tables)} tables "
                f"with updated_at in this schema have one",
                evidence={"function_used_elsewhere": function, "tables_using_it": uses},
                fix=fix,
            )
