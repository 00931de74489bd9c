-- pg-auditor fixes for billing: 25 findings with fix SQL.
-- Review every block before running it, on a copy first: psql -v ON_ERROR_STOP=1 -f this-file.sql
-- Blocks are in dependency order: partitions, indexes, keys, constraints and policies, then maintenance.
\set ON_ERROR_STOP on

-- [1/25] PAR002 high: Default partition holds rows
-- on public.events (fingerprint b913b19a72123481)
BEGIN;
SELECT partman.partition_data_proc('public.events');
COMMIT;

-- [2/25] IDX001 high: Foreign key with no index leading with its columns
-- on line_items_invoice_id_fkey on public.line_items (fingerprint 5ec8602ec659f221)
-- not wrapped in a transaction (CONCURRENTLY, VACUUM, ALTER SYSTEM, CALL, \gexec, or its own)
CREATE INDEX CONCURRENTLY line_items_invoice_id_idx ON public.line_items (invoice_id);

-- [3/25] IDX002 medium: Index duplicated by another index
-- on invoices_org_id_idx on public.invoices (fingerprint a2e72f51b4017422)
-- not wrapped in a transaction (CONCURRENTLY, VACUUM, ALTER SYSTEM, CALL, \gexec, or its own)
DROP INDEX CONCURRENTLY public.invoices_org_id_idx;

-- [4/25] IDX001 low: Foreign key with no index leading with its columns
-- on fk_`|pipe\u202etxt.exe on "Sales | EU"."Order`s" (fingerprint a2b3791b0c7514a7)
-- not wrapped in a transaction (CONCURRENTLY, VACUUM, ALTER SYSTEM, CALL, \gexec, or its own)
CREATE INDEX CONCURRENTLY "Order`s_Customer Id_idx" ON "Sales | EU"."Order`s" ("Customer Id");
-- a ``` fence inside

-- [5/25] CON003 high: Foreign key between tenant tables that ignores the tenant
-- on line_items_product_id_fkey on public.line_items (fingerprint a47bfe63d3fdfe05)
BEGIN;
ALTER TABLE public.products ADD CONSTRAINT products_org_id_id_key UNIQUE (org_id, id);
ALTER TABLE public.line_items ADD CONSTRAINT line_items_product_id_tenant_fkey
  FOREIGN KEY (org_id, product_id) REFERENCES public.products (org_id, id) NOT VALID;
ALTER TABLE public.line_items VALIDATE CONSTRAINT line_items_product_id_tenant_fkey;
COMMIT;

-- [6/25] CON001 medium: Foreign key added NOT VALID and never validated
-- on payments_invoice_id_fkey on public.payments (fingerprint 2e8e1a77134ddca2)
BEGIN;
ALTER TABLE public.payments VALIDATE CONSTRAINT payments_invoice_id_fkey;
COMMIT;

-- [7/25] CON002 low: Column should be NOT NULL
-- on public.t00.created_at (fingerprint c07d8931b1403766)
BEGIN;
ALTER TABLE public.t00 ADD CONSTRAINT t00_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [8/25] CON002 low: Column should be NOT NULL
-- on public.t01.created_at (fingerprint 78f196aa767ce23d)
BEGIN;
ALTER TABLE public.t01 ADD CONSTRAINT t01_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [9/25] CON002 low: Column should be NOT NULL
-- on public.t02.created_at (fingerprint cd9fbfcf90abd4c6)
BEGIN;
ALTER TABLE public.t02 ADD CONSTRAINT t02_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [10/25] CON002 low: Column should be NOT NULL
-- on public.t03.created_at (fingerprint a1de82b81aad05d5)
BEGIN;
ALTER TABLE public.t03 ADD CONSTRAINT t03_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [11/25] CON002 low: Column should be NOT NULL
-- on public.t04.created_at (fingerprint da4a8aa6e50ef51b)
BEGIN;
ALTER TABLE public.t04 ADD CONSTRAINT t04_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [12/25] CON002 low: Column should be NOT NULL
-- on public.t05.created_at (fingerprint d08e72aef7162325)
BEGIN;
ALTER TABLE public.t05 ADD CONSTRAINT t05_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [13/25] CON002 low: Column should be NOT NULL
-- on public.t06.created_at (fingerprint bbe56afc76dc0611)
BEGIN;
ALTER TABLE public.t06 ADD CONSTRAINT t06_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [14/25] CON002 low: Column should be NOT NULL
-- on public.t07.created_at (fingerprint 229ba5fc1bf779e7)
BEGIN;
ALTER TABLE public.t07 ADD CONSTRAINT t07_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [15/25] CON002 low: Column should be NOT NULL
-- on public.t08.created_at (fingerprint 73fe3eb93f89dee5)
BEGIN;
ALTER TABLE public.t08 ADD CONSTRAINT t08_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [16/25] CON002 low: Column should be NOT NULL
-- on public.t09.created_at (fingerprint e23e0b69bbe68c32)
BEGIN;
ALTER TABLE public.t09 ADD CONSTRAINT t09_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [17/25] CON002 low: Column should be NOT NULL
-- on public.t10.created_at (fingerprint 3e8c844185cbbe58)
BEGIN;
ALTER TABLE public.t10 ADD CONSTRAINT t10_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [18/25] CON002 low: Column should be NOT NULL
-- on public.t11.created_at (fingerprint fd9f27162bf11889)
BEGIN;
ALTER TABLE public.t11 ADD CONSTRAINT t11_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [19/25] CON002 low: Column should be NOT NULL
-- on public.t12.created_at (fingerprint 6fcac6c6d25e5886)
BEGIN;
ALTER TABLE public.t12 ADD CONSTRAINT t12_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [20/25] CON002 low: Column should be NOT NULL
-- on public.t13.created_at (fingerprint 5541786cc471a335)
BEGIN;
ALTER TABLE public.t13 ADD CONSTRAINT t13_created_at_not_null CHECK (created_at IS NOT NULL) NOT VALID;
COMMIT;

-- [21/25] ISO001 critical: Tenant table without row-level security
-- on public."<img src=x onerror=alert(1)>" (fingerprint 61fd233a3e224b2b)
BEGIN;
ALTER TABLE public."<img src=x onerror=alert(1)>" ENABLE ROW LEVEL SECURITY;
COMMIT;

-- [22/25] ISO001 critical: Tenant table without row-level security
-- on public.invoices (fingerprint 5571083bc44f3659)
BEGIN;
ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.invoices
  USING (org_id = current_setting('app.current_org')::bigint);
COMMIT;

-- [23/25] ISO004 high: Application role bypasses row-level security
-- on app_user (fingerprint 5ac7c65720b8d3d7)
BEGIN;
ALTER ROLE app_user NOBYPASSRLS;
COMMIT;

-- [24/25] HLT001 low: Table much larger than its live rows need (estimated heap bloat)
-- on public.audit_log (fingerprint 9560a8f4885bf96b)
-- not wrapped in a transaction (CONCURRENTLY, VACUUM, ALTER SYSTEM, CALL, \gexec, or its own)
VACUUM (ANALYZE) public.audit_log;
-- the file keeps its size; to give the space back, rewrite the table in a maintenance window:
-- VACUUM (FULL, ANALYZE) public.audit_log;  (ACCESS EXCLUSIVE for the rewrite), or pg_repack --table public.audit_log

-- [25/25] HLT002 low: Table autovacuum does not look after
-- on public.audit_log (fingerprint 0ee4ffc90591600d)
-- not wrapped in a transaction (CONCURRENTLY, VACUUM, ALTER SYSTEM, CALL, \gexec, or its own)
ALTER TABLE public.audit_log RESET (autovacuum_enabled);
VACUUM (ANALYZE) public.audit_log;
