-- Minimal stand-in for the Supabase platform a Supabase app's migrations expect.
-- Load into an EMPTY PostgreSQL 15 database as the bootstrap superuser (named
-- postgres), before an app's schema.sql:
--     psql -v ON_ERROR_STOP=1 -f supabase_stub.sql -f <app>/schema.sql
-- Every statement is taken from, or shaped after, Supabase's own init scripts;
-- SOURCE.md beside this file says which file each part comes from and what is
-- left out.

\set ON_ERROR_STOP 1
set client_min_messages = warning;

-- ---------------------------------------------------------------------------
-- Roles (supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql,
-- later changed by migrations/db/migrations/20221103090837_revoke_admin.sql
-- and 20230529180330_alter_api_roles_for_inherit.sql).
-- In a hosted project `postgres` is NOSUPERUSER BYPASSRLS (10000000000000_demote-postgres.sql);
-- here it is the cluster's bootstrap superuser. Either way it owns the app's
-- tables and skips their row-level security.
-- ---------------------------------------------------------------------------
-- Roles are cluster-wide: created only where missing, so several fixture
-- databases can share one throwaway cluster.
do $$
declare
  r record;
begin
  for r in select * from (values
      ('supabase_admin',         'nologin'),
      ('anon',                   'nologin noinherit'),
      ('authenticated',          'nologin noinherit'),
      ('service_role',           'nologin noinherit bypassrls'),
      ('authenticator',          'login noinherit'),
      ('supabase_auth_admin',    'noinherit createrole login noreplication'),
      ('supabase_storage_admin', 'noinherit createrole login noreplication')
    ) as v(name, attrs)
  loop
    if not exists (select from pg_roles where rolname = r.name) then
      execute format('create role %I %s', r.name, r.attrs);
    end if;
  end loop;
end $$;
alter role supabase_admin with superuser createdb createrole replication bypassrls;
grant anon          to authenticator;
grant authenticated to authenticator;
grant service_role  to authenticator;
-- 20230529180330_alter_api_roles_for_inherit.sql
alter role authenticated inherit;
alter role anon inherit;
alter role service_role inherit;

-- 20220609081115_grant-supabase-auth-admin-and-supabase-storage-admin-to-postgres.sql
grant supabase_auth_admin, supabase_storage_admin to postgres;

-- Short statement timeouts for the API roles (initial-schema.sql).
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

-- ---------------------------------------------------------------------------
-- Extensions schema and the default privileges of the public schema
-- (initial-schema.sql). The init scripts run as postgres, so the
-- un-FOR-ROLE'd ALTER DEFAULT PRIVILEGES below are postgres's: every table,
-- function and sequence postgres later creates in public is granted ALL
-- (for a table: SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER)
-- to anon, authenticated and service_role.
-- ---------------------------------------------------------------------------
create schema if not exists extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto    with schema extensions;

grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on tables    to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;

grant usage on schema extensions to postgres, anon, authenticated, service_role;

alter default privileges for user supabase_admin in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for user supabase_admin in schema public grant all on tables    to postgres, anon, authenticated, service_role;
alter default privileges for user supabase_admin in schema public grant all on functions to postgres, anon, authenticated, service_role;

-- 00000000000003-post-setup.sql sets this per role; the stub's own session
-- (and the schema.sql that follows it in the same psql run) needs it too.
alter role postgres set search_path to "$user", public, extensions;
set search_path to "$user", public, extensions;

-- ---------------------------------------------------------------------------
-- auth schema (00000000000001-auth-schema.sql; functions as GoTrue's
-- migrations 20220224000811_update_auth_functions.up.sql and
-- 20220531120530_add_auth_jwt_function.up.sql redefine them).
-- ---------------------------------------------------------------------------
create schema if not exists auth authorization supabase_admin;

create table auth.users (
    instance_id uuid null,
    id uuid not null unique,
    aud varchar(255) null,
    "role" varchar(255) null,
    email varchar(255) null unique,
    encrypted_password varchar(255) null,
    confirmed_at timestamptz null,
    invited_at timestamptz null,
    confirmation_token varchar(255) null,
    confirmation_sent_at timestamptz null,
    recovery_token varchar(255) null,
    recovery_sent_at timestamptz null,
    email_change_token varchar(255) null,
    email_change varchar(255) null,
    email_change_sent_at timestamptz null,
    last_sign_in_at timestamptz null,
    raw_app_meta_data jsonb null,
    raw_user_meta_data jsonb null,
    is_super_admin bool null,
    created_at timestamptz null,
    updated_at timestamptz null,
    constraint users_pkey primary key (id)
);
create index users_instance_id_email_idx on auth.users using btree (instance_id, email);
create index users_instance_id_idx on auth.users using btree (instance_id);
comment on table auth.users is 'Auth: Stores user login data within a secure schema.';

create or replace function auth.uid()
returns uuid
language sql stable
as $$
  select
  	coalesce(
		nullif(current_setting('request.jwt.claim.sub', true), ''),
		(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
	)::uuid
$$;

create or replace function auth.role()
returns text
language sql stable
as $$
  select
  	coalesce(
		nullif(current_setting('request.jwt.claim.role', true), ''),
		(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
	)::text
$$;

create or replace function auth.email()
returns text
language sql stable
as $$
  select
  	coalesce(
		nullif(current_setting('request.jwt.claim.email', true), ''),
		(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
	)::text
$$;

create or replace function auth.jwt()
returns jsonb
language sql stable
as $$
  select
    coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$;

comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

grant usage on schema auth to anon, authenticated, service_role;
grant all privileges on schema auth to supabase_auth_admin;
grant all privileges on all tables in schema auth to supabase_auth_admin;
alter table auth.users owner to supabase_auth_admin;
-- 20211115181400_update-auth-permissions.sql
grant usage on schema auth to postgres;
grant all on all tables in schema auth to postgres;
grant all on all routines in schema auth to postgres;
-- The auth functions belong to supabase_auth_admin in a hosted project.
alter function auth.uid()   owner to supabase_auth_admin;
alter function auth.role()  owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt()   owner to supabase_auth_admin;

-- ---------------------------------------------------------------------------
-- storage schema (00000000000002-storage-schema.sql), with two later columns
-- from supabase/storage's tenant migrations that app policies use:
-- buckets.public (0007-add-public-to-buckets.sql) and objects.owner_id
-- (0017-alter-owner-data-type.sql adds owner_id text).
-- ---------------------------------------------------------------------------
create schema if not exists storage authorization supabase_admin;

grant usage on schema storage to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on tables    to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on sequences to postgres, anon, authenticated, service_role;

create table storage.buckets (
    id text not null,
    name text not null,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    public boolean default false,
    constraint buckets_owner_fkey foreign key (owner) references auth.users (id),
    primary key (id)
);
create unique index bname on storage.buckets using btree (name);

create table storage.objects (
    id uuid not null default extensions.uuid_generate_v4(),
    bucket_id text,
    name text,
    owner uuid,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    owner_id text,
    constraint "objects_bucketId_fkey" foreign key (bucket_id) references storage.buckets (id),
    constraint objects_owner_fkey foreign key (owner) references auth.users (id),
    primary key (id)
);
create unique index bucketid_objname on storage.objects using btree (bucket_id, name);
create index name_prefix_search on storage.objects (name text_pattern_ops);

alter table storage.objects enable row level security;

create function storage.foldername(name text)
 returns text[]
 language plpgsql
as $function$
declare
_parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[1:array_length(_parts,1)-1];
end
$function$;

create function storage.filename(name text)
 returns text
 language plpgsql
as $function$
declare
_parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts,1)];
end
$function$;

create function storage.extension(name text)
 returns text
 language plpgsql
as $function$
declare
_parts text[];
_filename text;
begin
    select string_to_array(name, '/') into _parts;
    select _parts[array_length(_parts,1)] into _filename;
    return split_part(_filename, '.', 2);
end
$function$;

grant all privileges on schema storage to supabase_storage_admin;
grant all privileges on all tables in schema storage to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter table storage.buckets owner to supabase_storage_admin;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;
-- 10000000000000_demote-postgres.sql
grant all on schema storage to postgres;
grant all on all tables in schema storage to postgres;
grant all on all routines in schema storage to postgres;

reset client_min_messages;
