"""PAR017 constraint-on-some-partitions: FKs and CHECKs on some partitions only; the parent-level fix run and
re-audited; LIST sets and partition-wise keys left alone."""

from __future__ import annotations

from support import hits, run_fix, snapshot_after

DDL = """
CREATE SCHEMA t;
CREATE TABLE t."Customer" (id bigint PRIMARY KEY);
CREATE TABLE t.pay ("customer Id" bigint NOT NULL, amount int, paid_on date NOT NULL) PARTITION BY RANGE (paid_on);
CREATE TABLE t.pay_2024 PARTITION OF t.pay FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE t.pay_2025 PARTITION OF t.pay FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE t.pay_2026 PARTITION OF t.pay FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE t.pay_2024 ADD FOREIGN KEY ("customer Id") REFERENCES t."Customer" (id);
ALTER TABLE t.pay_2025 ADD FOREIGN KEY ("customer Id") REFERENCES t."Customer" (id);
ALTER TABLE t.pay_2024 ADD CONSTRAINT positive CHECK (amount > 0);
-- LIST: one rule per kind of row is the design
CREATE TABLE t.runners (id bigint NOT NULL, kind int NOT NULL, org bigint) PARTITION BY LIST (kind);
CREATE TABLE t.runners_1 PARTITION OF t.runners FOR VALUES IN (1);
CREATE TABLE t.runners_2 PARTITION OF t.runners FOR VALUES IN (2);
ALTER TABLE t.runners_1 ADD CHECK (org IS NULL);
"""


def test_constraint_on_some_partitions(conn):
    found = hits(snapshot_after(conn, DDL), "PAR017")
    assert {(f.obj.table, f.evidence["constraint"]) for f in found} == {
        ("pay", 'FOREIGN KEY ("customer Id") REFERENCES t."Customer" (id)'),
        ("pay", "CHECK (amount > 0)"),
    }
    fk = next(f for f in found if f.evidence["constraint"].startswith("FOREIGN"))
    assert fk.evidence["on_partitions"] == [
        "pay_2024_customer Id_fkey on t.pay_2024",
        "pay_2025_customer Id_fkey on t.pay_2025",
    ]
    run_fix(conn, fk.fix)
    left = hits(snapshot_after(conn, "SELECT 1"), "PAR017")
    assert [f.evidence["constraint"] for f in left] == ["CHECK (amount > 0)"]
    # the parent's key now covers every partition, including the one that had none
    count = conn.execute(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 't.pay_2026'::regclass"
    ).fetchone()[0]
    assert count == 1
