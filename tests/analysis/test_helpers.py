"""SQL helper bodies read as the predicate they produce (shapes of basejump, chatbot-ui and Supabase's auth)."""

from __future__ import annotations

from auditor.analysis.helpers import Helpers, readable_body
from auditor.analysis.policy_expr import Subject, classify_atom, scoped_core, score_expr, without_branches
from auditor.catalog.model import Function

UID = """select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid"""
HAS_ROLE = """select exists(select 1 from basejump.account_user wu
    where wu.user_id = auth.uid() and wu.account_id = has_role_on_account.account_id)"""
FLAG = "SELECT EXISTS (SELECT 1 FROM files WHERE (id::text = (storage.foldername(p_name))[2]) AND sharing <> 'private')"


def fn(oid: int, schema: str, name: str, body: str | None, language: str = "sql", **kw) -> Function:
    base = dict(
        oid=oid,
        schema=schema,
        name=name,
        arguments="",
        owner="postgres",
        security_definer=True,
        kind="f",
        language=language,
        volatility="s",
        leakproof=False,
        config=[],
        public_execute=False,
        returns_trigger=False,
        body=body,
    )
    return Function(**(base | kw))


def helpers_of(*funcs: Function, **kw) -> Helpers:
    by_name: dict[str, list[Function]] = {}
    for f in funcs:
        by_name.setdefault(f"{f.schema}.{f.name}", []).append(f)
        by_name.setdefault(f.name, []).append(f)
    return Helpers(by_name, **kw)


H = helpers_of(
    fn(1, "auth", "uid", UID, security_definer=False),
    fn(2, "basejump", "has_role_on_account", HAS_ROLE),
    fn(3, "public", "non_private_file_exists", FLAG),
    fn(4, "app", "teams", "BEGIN RETURN QUERY SELECT team_id FROM m WHERE user_id = auth.uid(); END", "plpgsql"),
    fn(5, "app", "is_member", " begin return exists (select 1 from m where m.user_id = auth.uid()); end ", "plpgsql"),
    fn(6, "app", "meta", "select (auth.jwt() -> 'user_metadata' ->> 'account_id')::uuid"),
)


def test_membership_helper_is_tenant_scoped():
    assert H.verdict_of_call("basejump.has_role_on_account").kind == "membership"
    assert H.verdict_of_call("app.is_member").kind == "membership"  # a one-RETURN plpgsql body is read
    assert H.verdict_of_call("app.teams").kind == "membership"  # RETURN QUERY SELECT ... is read too
    assert H.verdict_of_call("auth.uid").kind == "context"
    assert H.verdict_of_call("non_private_file_exists").kind == "flag"
    assert H.verdict_of_call("app.meta").kind == "untrusted"
    assert H.verdict_of_call("lower") is None  # not ours: a built-in


def test_configured_helpers():
    h = helpers_of(trusted=frozenset({"app.can_see"}), user_functions=frozenset({"app.me"}))
    assert h.verdict_of_call("app.can_see").kind == "membership"
    assert h.verdict_of_call("app.me").kind == "context"


def test_plpgsql_single_return_only():
    assert readable_body(fn(9, "a", "b", "BEGIN RETURN x = 1; END;", "plpgsql")) == "SELECT x = 1"
    assert readable_body(fn(9, "a", "b", "DECLARE r int; BEGIN r := 1; RETURN r; END", "plpgsql")) is None
    assert readable_body(fn(9, "a", "b", None, "c")) is None
    assert H.verdict_of_call("app.dyn") is None
    dyn = helpers_of(fn(7, "app", "dyn", "BEGIN EXECUTE format('select 1'); RETURN true; END", "plpgsql"))
    assert dyn.verdict_of_call("app.dyn").kind == "unknown" and not dyn.verdict_of_call("app.dyn").readable


ACCOUNT = Subject(frozenset({"account_id"}), "invitations", all_columns=frozenset({"account_id", "user_id"}), helpers=H)
OWNER = Subject(
    frozenset({"user_id"}),
    "files",
    all_columns=frozenset({"id", "user_id", "sharing", "folder_id"}),
    fk_columns=frozenset({"user_id", "folder_id"}),
    helpers=H,
)


def test_policy_atoms_judged_through_helpers():
    assert classify_atom("(basejump.has_role_on_account(account_id) = true)", ACCOUNT) == "membership"
    assert score_expr("(basejump.has_role_on_account(account_id) = true)", ACCOUNT) == 1.0
    assert classify_atom("(user_id = auth.uid())", ACCOUNT) == "user"  # narrower than the tenant
    assert classify_atom("((auth.jwt() -> 'user_metadata'::text) ->> 'role'::text) = 'admin'::text", OWNER) == (
        "untrusted"
    )
    assert classify_atom("(unknown_helper(account_id))", ACCOUNT) == "helper"


def test_sharing_flags_open_reads_only():
    assert score_expr("(sharing <> 'private'::text)", OWNER, reading=True) == 1.0
    assert score_expr("(sharing <> 'private'::text)", OWNER) == 0.0  # an UPDATE/DELETE on shared rows is open
    parent = "(folder_id IN ( SELECT folders.id FROM folders WHERE (folders.sharing <> 'private'::text)))"
    assert classify_atom(parent, OWNER) == "parent-flag"
    link = "(id IN ( SELECT collection_files.file_id FROM collection_files WHERE (collection_files.x = 1)))"
    assert classify_atom(link, OWNER) == "link"  # rows other users write point at this row: open
    assert score_expr(link, OWNER, reading=True) == 0.0
    assert classify_atom("(status = 'active'::text)", OWNER) == "other"  # not a sharing column


def test_scoped_core_and_branch_removal():
    expr = "((user_id = auth.uid()) OR (user_id IS NULL))"
    assert scoped_core(expr, OWNER) == "(user_id = auth.uid())"
    assert scoped_core("true", OWNER) is None
    assert without_branches(expr, ["user_id IS NULL"]) == "(user_id = auth.uid())"
    assert without_branches("(user_id = auth.uid())", ["x"]) is None
