#!/usr/bin/env python3
"""Prove what each app user can read and write, the way Supabase's API runs queries.

For one app directory under tests/realschemas/ this script

  1. builds a fresh database: ../_supabase/supabase_stub.sql, <app>/schema.sql,
     <app>/seed.sql and, with --leak NAME, the block `-- leak: NAME` of
     <app>/planted_leaks.sql;
  2. connects as `authenticator` (what PostgREST logs in as) and, for each
     persona, does `SET ROLE anon|authenticated` and sets `request.jwt.claims`
     to {"sub": <user id>, "role": "authenticated"} as PostgREST does;
  3. counts the rows each persona can SELECT from every table of the app, and
     runs each write attempt of the app (another user's or team's rows, and
     TRUNCATE) inside a transaction that is rolled back.

It prints the result as TOML; --write stores it in <app>/rls_expected.toml
(the base run as [select]/[writes], each leak as [leak.NAME.*]), --check
compares against that file and exits 1 on a difference.

The server comes from libpq's environment (PGHOST, PGPORT; default a socket in
/tmp, port 55431); the database is connected to as `postgres` to build and as
`authenticator` to prove. Needs psql on PATH and psycopg 3.

    python prove.py basejump                     # print
    python prove.py chatbot_ui --write --all-leaks
    python prove.py basejump --leak using_true --keep   # leave the database for an audit
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
STUB = HERE / "_supabase" / "supabase_stub.sql"

# --------------------------------------------------------------------------
# Per-app cases. Users are the seed's auth.users ids.
# --------------------------------------------------------------------------
ALICE = "aaaaaaaa-0000-4000-8000-000000000001"
BOB = "bbbbbbbb-0000-4000-8000-000000000002"
CAROL = "cccccccc-0000-4000-8000-000000000003"
ACME = "acacacac-0000-4000-8000-0000000000a1"
GLOBEX = "6b6b6b6b-0000-4000-8000-0000000000b1"


def md5uuid(key: str) -> str:
    return f"md5('{key}')::uuid"


APPS: dict[str, dict] = {
    "basejump": {
        "users": {"alice": ALICE, "bob": BOB, "carol": CAROL},
        "tables": [
            "basejump.accounts",
            "basejump.account_user",
            "basejump.invitations",
            "basejump.billing_customers",
            "basejump.billing_subscriptions",
            "basejump.config",
        ],
        # persona -> name -> list of statements; the result is the last one's
        "writes": {
            "carol": {
                "update_other_team_account": [f"update basejump.accounts set name = 'pwned' where id = '{ACME}'"],
                "join_other_team_as_owner": [
                    f"insert into basejump.account_user (user_id, account_id, account_role) values ('{CAROL}', '{ACME}', 'owner')"
                ],
                "invite_into_other_team": [
                    f"insert into basejump.invitations (account_role, account_id, invitation_type) values ('owner', '{ACME}', 'one_time')"
                ],
                "remove_member_of_other_team": [
                    f"delete from basejump.account_user where account_id = '{ACME}' and user_id = '{BOB}'"
                ],
                "delete_other_team_invitation": [f"delete from basejump.invitations where account_id = '{ACME}'"],
                "insert_billing_for_other_team": [
                    f"insert into basejump.billing_customers (id, account_id) values ('cus_x', '{ACME}')"
                ],
                "rpc_get_members_of_other_team": [f"select public.get_account_members('{ACME}')"],
                "rpc_update_other_team": [f"select public.update_account('{ACME}', name => 'pwned')"],
                "truncate_account_user": ["truncate basejump.account_user"],
                # joins Acme (refused unless an INSERT policy lets it), then counts
                # the Acme billing rows it can read
                "join_other_team_then_read_billing": [
                    f"insert into basejump.account_user (user_id, account_id, account_role) values ('{CAROL}', '{ACME}', 'owner')",
                    f"select count(*) from basejump.billing_customers where account_id = '{ACME}'",
                ],
            },
            "bob": {
                "member_updates_team_account": [f"update basejump.accounts set name = 'renamed' where id = '{ACME}'"],
                "member_promotes_self": [
                    f"update basejump.account_user set account_role = 'owner' where user_id = '{BOB}' and account_id = '{ACME}'"
                ],
                "member_removes_owner": [
                    f"delete from basejump.account_user where account_id = '{ACME}' and user_id = '{ALICE}'"
                ],
                "member_reads_invitation_tokens": [
                    f"select count(*) from basejump.invitations where account_id = '{ACME}'"
                ],
            },
            "anon": {
                "truncate_accounts": ["truncate basejump.accounts cascade"],
            },
        },
    },
    "chatbot_ui": {
        "users": {"alice": ALICE, "bob": BOB, "carol": CAROL},
        "tables": [
            "public.profiles",
            "public.workspaces",
            "public.folders",
            "public.files",
            "public.file_workspaces",
            "public.file_items",
            "public.presets",
            "public.preset_workspaces",
            "public.assistants",
            "public.assistant_workspaces",
            "public.assistant_files",
            "public.assistant_collections",
            "public.assistant_tools",
            "public.chats",
            "public.chat_files",
            "public.messages",
            "public.message_file_items",
            "public.prompts",
            "public.prompt_workspaces",
            "public.collections",
            "public.collection_workspaces",
            "public.collection_files",
            "public.tools",
            "public.tool_workspaces",
            "public.models",
            "public.model_workspaces",
            "storage.objects",
        ],
        "writes": {
            "bob": {
                "update_other_users_chat": [f"update chats set name = 'pwned' where id = {md5uuid('alice-chat')}"],
                "update_other_users_shared_chat": [
                    f"update chats set name = 'pwned' where id = {md5uuid('alice-chat-shared')}"
                ],
                "delete_other_users_messages": [f"delete from messages where user_id = '{ALICE}'"],
                "insert_prompt_owned_by_other_user": [
                    f"insert into prompts (user_id, content, name) values ('{ALICE}', 'x', 'x')"
                ],
                "read_other_users_api_keys": [f"select count(*) from profiles where user_id = '{ALICE}'"],
                # RLS does not cover the foreign key check: bob's own message row
                # may point at alice's private chat.
                "insert_message_into_other_users_chat": [
                    "insert into messages (chat_id, user_id, content, image_paths, model, role, sequence_number) "
                    f"values ({md5uuid('alice-chat')}, '{BOB}', 'injected', '{{}}', 'x', 'user', 9)"
                ],
                # ... and a row of bob's own public collection may point at alice's
                # private file, which the files policy "for non-private collections"
                # then shows to everyone. Result: alice's private files bob can read.
                "expose_other_users_file_via_own_collection": [
                    f"update collections set sharing = 'public' where id = {md5uuid('bob-coll')}",
                    "insert into collection_files (user_id, collection_id, file_id) "
                    f"values ('{BOB}', {md5uuid('bob-coll')}, {md5uuid('alice-file')})",
                    f"select count(*) from files where user_id = '{ALICE}'",
                ],
                "truncate_messages": ["truncate messages cascade"],
            },
            "anon": {
                "read_shared_chat_messages": [
                    f"select count(*) from messages where chat_id = {md5uuid('alice-chat-shared')}"
                ],
                "update_any_row": [f"update chats set name = 'pwned' where user_id = '{ALICE}'"],
                "truncate_profiles": ["truncate profiles cascade"],
                "execute_service_key_function": [
                    "select has_function_privilege('anon', 'public.delete_storage_object(text, text)', 'execute')"
                ],
            },
        },
    },
}


# --------------------------------------------------------------------------
def psql(dbname: str, *files: Path, stdin: str | None = None) -> None:
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", dbname]
    for f in files:
        cmd += ["-f", str(f)]
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"psql failed on {dbname}: {r.stderr.strip()}")


def leak_blocks(app: str) -> dict[str, dict]:
    """Blocks of planted_leaks.sql. In a block, `-- count: REL` adds a relation to
    count and `-- as: NAME USER {json}` adds a persona: USER's claims merged with json."""
    path = HERE / app / "planted_leaks.sql"
    if not path.exists():
        return {}
    blocks: dict[str, dict] = {}
    cur = None
    for line in path.read_text().splitlines(keepends=True):
        m = re.match(r"--\s*leak:\s*(\S+)", line)
        if m:
            cur = blocks[m.group(1)] = {"sql": "", "count": [], "as": {}}
            continue
        if cur is None:
            continue
        m = re.match(r"--\s*count:\s*(\S+)", line)
        if m:
            cur["count"].append(m.group(1))
        m = re.match(r"--\s*as:\s*(\S+)\s+(\S+)\s+(\{.*\})\s*$", line)
        if m:
            cur["as"][m.group(1)] = (m.group(2), json.loads(m.group(3)))
        cur["sql"] += line
    return blocks


def build(app: str, dbname: str, leak: str | None) -> None:
    with psycopg.connect(dbname="postgres", user="postgres", autocommit=True) as c:
        c.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(dbname)))
        c.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    psql(dbname, STUB, HERE / app / "schema.sql", HERE / app / "seed.sql")
    if leak:
        psql(dbname, stdin="\\set ON_ERROR_STOP 1\n" + leak_blocks(app)[leak]["sql"])
    with psycopg.connect(dbname=dbname, user="postgres", autocommit=True) as c:
        c.execute("analyze")


def outcome(exc: Exception | None, cur) -> str:
    if exc is not None:
        state = getattr(exc, "sqlstate", None) or "error"
        msg = str(exc).splitlines()[0]
        msg = re.sub(r'"[0-9a-f-]{36}"', '"<uuid>"', msg)
        return f"error {state}: {msg}"
    if cur.description is not None:
        row = cur.fetchone()
        return f"returns {row[0]}" if row is not None else "returns no row"
    return f"{cur.rowcount} rows" if cur.rowcount != -1 else "ok"


def become(conn, persona: str, users: dict[str, str], forged: dict | None = None) -> None:
    conn.execute("reset role")
    if persona == "anon":
        conn.execute("set role anon")
        claims = {"role": "anon"}
    elif forged and persona in forged:
        base, extra = forged[persona]
        conn.execute("set role authenticated")
        claims = {"sub": users[base], "role": "authenticated", "aud": "authenticated", **extra}
    else:
        conn.execute("set role authenticated")
        claims = {"sub": users[persona], "role": "authenticated", "aud": "authenticated"}
    conn.execute("select set_config('request.jwt.claims', %s, false)", [json.dumps(claims)])
    conn.execute("set search_path to public, extensions")


def prove(app: str, dbname: str, leak: dict | None = None) -> dict:
    spec = APPS[app]
    forged = leak["as"] if leak else {}
    personas = ["anon", *spec["users"], *forged]
    tables = [*spec["tables"], *(leak["count"] if leak else [])]
    out: dict = {"select": {}, "writes": {}}
    with psycopg.connect(dbname=dbname, user="authenticator", autocommit=True) as conn:
        for p in personas:
            become(conn, p, spec["users"], forged)
            counts = {}
            for t in tables:
                try:
                    counts[t] = conn.execute(f"select count(*) from {t}").fetchone()[0]
                except psycopg.Error as e:
                    counts[t] = f"error {e.sqlstate}"
            out["select"][p] = counts
        for p, cases in spec["writes"].items():
            become(conn, p, spec["users"])
            res = {}
            for name, stmts in cases.items():
                cur = None
                try:
                    with conn.transaction(force_rollback=True):
                        for s in stmts:
                            cur = conn.execute(s)
                        res[name] = outcome(None, cur)
                except psycopg.Error as e:
                    res[name] = outcome(e, None)
            out["writes"][p] = res
    return out


# --------------------------------------------------------------------------
def toml_value(v) -> str:
    return str(v) if isinstance(v, int) else json.dumps(v)


def to_toml(results: dict, app: str) -> str:
    lines = [
        f"# What each persona of {app} can read and write, found by prove.py connected as",
        "# authenticator with SET ROLE anon/authenticated and request.jwt.claims set per user.",
        "# [select.<persona>]: rows visible per table (or the error). [writes.<persona>]: each",
        "# attempt's outcome inside a rolled-back transaction. [leak.<name>.*]: the same with",
        "# one block of planted_leaks.sql applied. Regenerate: python prove.py " + app + " --write --all-leaks",
        "",
    ]

    def section(prefix: str, res: dict) -> None:
        for kind in ("select", "writes"):
            for persona, vals in res[kind].items():
                lines.append(f"[{prefix}{kind}.{persona}]")
                for k, v in vals.items():
                    lines.append(f"{json.dumps(k)} = {toml_value(v)}")
                lines.append("")

    section("", results["base"])
    for name, res in results.get("leaks", {}).items():
        section(f"leak.{name}.", res)
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("app", choices=sorted(APPS))
    ap.add_argument("--leak", action="append", default=[], help="also prove this planted leak (repeat)")
    ap.add_argument("--all-leaks", action="store_true")
    ap.add_argument("--write", action="store_true", help="store the result in <app>/rls_expected.toml")
    ap.add_argument("--check", action="store_true", help="compare with <app>/rls_expected.toml")
    ap.add_argument("--keep", action="store_true", help="keep the databases built")
    ap.add_argument("--no-base", action="store_true", help="only the leaks")
    args = ap.parse_args()
    os.environ.setdefault("PGHOST", "/tmp")
    os.environ.setdefault("PGPORT", "55431")

    leaks = sorted(leak_blocks(args.app)) if args.all_leaks else args.leak
    results: dict = {"leaks": {}}
    built = []
    if not args.no_base:
        db = f"prove_{args.app}"
        build(args.app, db, None)
        built.append(db)
        results["base"] = prove(args.app, db)
    for leak in leaks:
        db = f"prove_{args.app}_{leak}"
        build(args.app, db, leak)
        built.append(db)
        results["leaks"][leak] = prove(args.app, db, leak_blocks(args.app)[leak])
    if not args.keep:
        with psycopg.connect(dbname="postgres", user="postgres", autocommit=True) as c:
            for db in built:
                c.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(db)))

    expected_path = HERE / args.app / "rls_expected.toml"
    if args.check:
        want = tomllib.loads(expected_path.read_text())
        got = tomllib.loads(to_toml({"base": results.get("base", {"select": {}, "writes": {}}), **results}, args.app))
        diffs = []
        if not args.no_base:
            for kind in ("select", "writes"):
                if want.get(kind) != got.get(kind):
                    diffs.append(kind)
        for leak in leaks:
            if want.get("leak", {}).get(leak) != got.get("leak", {}).get(leak):
                diffs.append(f"leak.{leak}")
        print("differs: " + ", ".join(diffs) if diffs else "matches rls_expected.toml")
        return 1 if diffs else 0
    if "base" not in results:
        results["base"] = {"select": {}, "writes": {}}
    text = to_toml(results, args.app)
    if args.write:
        expected_path.write_text(text)
        print(f"wrote {expected_path.relative_to(HERE)}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
