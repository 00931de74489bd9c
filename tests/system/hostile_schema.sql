-- A schema whose names and literals would drop public.canary if a fix printed them raw
-- (tests/system/test_fixes_hostile.py). Line breaks inside quoted names and string literals are real.
CREATE TABLE public.canary (id int PRIMARY KEY);

CREATE SCHEMA "app""; DROP TABLE public.canary; --
x";
SET search_path = "app""; DROP TABLE public.canary; --
x", public;

-- ISO001, ISO014: a tenant table without RLS, a unique key without its tenant column.
CREATE TABLE "cust'omers
; DROP TABLE public.canary; --" (
    id bigint PRIMARY KEY,
    org_id bigint NOT NULL,
    "e-mail */ DROP TABLE public.canary; /*" text,
    CONSTRAINT "uq; DROP TABLE public.canary; --
" UNIQUE ("e-mail */ DROP TABLE public.canary; /*")
);

-- IDX001: a foreign key with no index; CON005: a CHECK left NOT VALID, holding a line break in a literal.
CREATE TABLE "ord
ers" (
    id bigint PRIMARY KEY,
    org_id bigint NOT NULL,
    "cust
; DROP TABLE public.canary; --_id" bigint,
    "no'te" text,
    CONSTRAINT "fk x CHECK (true); DROP TABLE public.canary; --" FOREIGN KEY ("cust
; DROP TABLE public.canary; --_id") REFERENCES "cust'omers
; DROP TABLE public.canary; --" (id)
);
ALTER TABLE "ord
ers" ADD CONSTRAINT "chk
DROP TABLE public.canary; --" CHECK ("no'te" <> E'x\n; DROP TABLE public.canary; --') NOT VALID;

-- IDX001's tenant-scoped alternative: an index leads with the tenant column, then the key.
CREATE INDEX "tenant
; DROP TABLE public.canary; --" ON "ord
ers" (org_id, "cust
; DROP TABLE public.canary; --_id");

-- IDX002: two partial indexes, the same predicate holding a line break in a literal; IDX003: a prefix.
CREATE INDEX "dup1
; DROP TABLE public.canary; --" ON "ord
ers" (org_id) WHERE "no'te" <> E'a\n; DROP TABLE public.canary; --';
CREATE INDEX "dup2 */ DROP TABLE public.canary; /*" ON "ord
ers" (org_id) WHERE "no'te" <> E'a\n; DROP TABLE public.canary; --';
CREATE INDEX "short;
DROP TABLE public.canary; --" ON "ord
ers" ("no'te");
CREATE INDEX "long" ON "ord
ers" ("no'te", org_id);

-- CON012: a composite foreign key whose columns may be NULL one at a time.
CREATE TABLE "pro'jects
--" (org_id bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (org_id, id));
CREATE TABLE "ta""sks" (
    id bigint PRIMARY KEY,
    org_id bigint,
    "pro'ject
; DROP TABLE public.canary; --" bigint,
    CONSTRAINT "fk2
; DROP TABLE public.canary; --" FOREIGN KEY (org_id, "pro'ject
; DROP TABLE public.canary; --") REFERENCES "pro'jects
--" (org_id, id)
);
CREATE INDEX ON "ta""sks" (org_id, "pro'ject
; DROP TABLE public.canary; --");

-- CON002: a column named like a reference to a table, with no foreign key.
CREATE TABLE "wid;gets" (id bigint PRIMARY KEY, org_id bigint NOT NULL);
CREATE TABLE "gad--gets" (id bigint PRIMARY KEY, org_id bigint NOT NULL, "wid;get_id" bigint NOT NULL);

-- PAR001, PAR003, PAR006, PAR008: partitions that ended, a gap, rows in the default, an index on
-- some partitions only; every partition named to hurt.
CREATE TABLE "ev'ents
; DROP TABLE public.canary; --" (
    org_id bigint NOT NULL,
    "created
at" timestamptz NOT NULL,
    "kind */ DROP TABLE public.canary; /*" text NOT NULL
) PARTITION BY RANGE ("created
at");
CREATE TABLE "p1
; DROP TABLE public.canary; --" PARTITION OF "ev'ents
; DROP TABLE public.canary; --" FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE "p3"" */ DROP TABLE public.canary; /*" PARTITION OF "ev'ents
; DROP TABLE public.canary; --" FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
CREATE TABLE "p4 x CHECK (true); DROP TABLE public.canary; --" PARTITION OF "ev'ents
; DROP TABLE public.canary; --" FOR VALUES FROM ('2024-04-01') TO ('2024-05-01');
CREATE TABLE "def
ault; DROP TABLE public.canary; --" PARTITION OF "ev'ents
; DROP TABLE public.canary; --" DEFAULT;
CREATE INDEX "pi1
; DROP TABLE public.canary; --" ON "p3"" */ DROP TABLE public.canary; /*" ("kind */ DROP TABLE public.canary; /*", "created
at");
CREATE INDEX "pi2
; DROP TABLE public.canary; --" ON "p4 x CHECK (true); DROP TABLE public.canary; --" ("kind */ DROP TABLE public.canary; /*", "created
at");
INSERT INTO "ev'ents
; DROP TABLE public.canary; --" VALUES (1, '2024-06-15', E'login\n; DROP TABLE public.canary; --');

-- ISO002: RLS enabled, not forced, on a table a non-superuser owns; the policy's name and its
-- predicate's literal hold a line break.
CREATE ROLE "own'er
; DROP TABLE public.canary; --" NOLOGIN;
CREATE TABLE "invo""ices
--" (id bigint PRIMARY KEY, org_id bigint NOT NULL, "to;tal" numeric);
ALTER TABLE "invo""ices
--" OWNER TO "own'er
; DROP TABLE public.canary; --";
CREATE POLICY "pol
; DROP TABLE public.canary; --" ON "invo""ices
--" USING (org_id = NULLIF(current_setting('app.tenant_id', true), E'\n; DROP TABLE public.canary; --')::bigint);
ALTER TABLE "invo""ices
--" ENABLE ROW LEVEL SECURITY;

RESET search_path;
