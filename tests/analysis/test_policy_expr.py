"""Policy-expression reading on the text pg_get_expr prints (shapes taken from a PostgreSQL 15 server)."""

from __future__ import annotations

import pytest

from auditor.analysis.policy_expr import Subject, classify_atom, issues, parse, score_expr, settings_in, verdict_key

ORG = Subject(frozenset({"org_id"}), "t")
CTX = "(current_setting('app.org'::text))::bigint"


@pytest.mark.parametrize(
    ("expr", "score"),
    [
        (f"(org_id = {CTX})", 1.0),
        ("(org_id = (NULLIF(current_setting('app.org'::text, true), ''::text))::bigint)", 1.0),
        (f"(( SELECT {CTX} AS current_setting) = org_id)", 1.0),  # scalar sub-select, either side
        (f"(t.org_id = {CTX})", 1.0),  # qualified with the table's own name
        (f"(m.org_id = {CTX})", 0.0),  # another table's column
        (f"((org_id IS NULL) OR (org_id = {CTX}))", 0.0),
        (f"((org_id = {CTX}) AND (id > 5))", 1.0),
        (f"((org_id = {CTX}) OR true)", 0.0),
        ("true", 0.0),
        ("false", 1.0),
        (f"(org_id <> {CTX})", 0.0),  # inverted
        ("(org_id = 5)", 0.0),  # a literal tenant
        ("(org_id = CURRENT_USER)", 0.0),
        ("(has_org_access(org_id))", 0.5),  # a helper we cannot read
        (
            "(org_id IN ( SELECT m.org_id\n   FROM m\n"
            "  WHERE (m.user_id = (current_setting('app.uid'::text))::integer)))",
            1.0,
        ),
        ("(org_id = ANY ((string_to_array(current_setting('app.orgs'::text), ','::text))::bigint[]))", 1.0),
        ("(current_setting('app.user_role'::text) = 'admin'::text)", 0.0),
        ("(org_id = auth.uid())", 1.0),
    ],
)
def test_scores(expr, score):
    assert score_expr(expr, ORG) == score


def test_quoted_mixed_case_column_and_literals():
    subj = Subject(frozenset({"Org Id"}), "Tasks")
    assert score_expr(f'("Org Id" = {CTX})', subj) == 1.0
    # the column name inside a string literal is not a reference, and ' OR ' inside a literal does not split
    assert score_expr("(name = 'Org Id OR x'::text)", subj) == 0.0
    assert parse("(name = 'a OR b'::text)").op == "atom"


def test_indirect_tables_accept_a_subquery_through_the_parent():
    subj = Subject(frozenset(), "task_events", indirect=True)
    expr = f"(EXISTS ( SELECT 1 FROM tasks t WHERE ((t.id = task_events.task_id) AND (t.org_id = {CTX}))))"
    assert score_expr(expr, subj) == 1.0
    assert score_expr("(EXISTS ( SELECT 1 FROM tasks t WHERE (t.id = task_events.task_id)))", subj) == 0.0


def test_issues():
    i = issues(f"((org_id IS NULL) OR (org_id = {CTX}))", ORG, {"app.org"})
    assert i.null_branches == ["org_id IS NULL"] and not i.always_true
    i = issues(f"((org_id = {CTX}) OR (current_setting('app.user_role'::text) = 'admin'::text))", ORG, {"app.org"})
    assert i.setting_escapes == ["current_setting('app.user_role'::text) = 'admin'::text"]
    assert issues("true", ORG, set()).always_true
    assert issues("(owner = CURRENT_USER)", ORG, set()).no_tenant_reference
    assert issues("(org_id = CURRENT_USER)", ORG, set()).current_user == ["org_id = CURRENT_USER"]
    # the tenant setting itself is not an escape
    assert not issues(f"(org_id = {CTX})", ORG, {"app.org"}).setting_escapes


def test_null_branch_on_the_setting():
    assert classify_atom("(current_setting('app.org'::text, true) IS NULL)", ORG) == "null-branch"
    assert classify_atom("(org_id IS NOT NULL)", ORG) != "null-branch"


def test_settings_in():
    assert settings_in(f"((org_id = {CTX}) AND (current_setting('app.o''x'::text) = ''::text))") == {
        "app.org",
        "app.o'x",
    }


def test_verdict_key_leaves_out_only_what_the_text_does_not_use():
    """Subjects whose verdict on a text is shared (Tenancy.score) get one key; a name the text uses splits it."""
    expr = f"(org_id = {CTX})"
    cols, fks = frozenset({"id", "org_id", "name"}), frozenset({"org_id"})

    def key(table="tasks", columns=frozenset({"org_id"}), every=cols, text=expr, indirect=False):
        return verdict_key(text, Subject(columns, table, indirect=indirect, fk_columns=fks, all_columns=every))

    assert key() == key(table="notes", every=frozenset({"id", "org_id", "body"}))
    assert key() != key(every=frozenset({"id", "name"}))  # a column it names
    assert key() != key(every=frozenset())  # columns not known
    assert key() != key(columns=frozenset(), indirect=True)
    qualified = f"(tasks.org_id = {CTX})"  # the table's own name qualifies a column: it matters
    assert key(text=qualified) != key(table="notes", text=qualified)
    assert key(text=f'("Org Id" = {CTX})') is None  # quoted names: no shared key
    assert key(text="(x::int[]y = 1)") is None  # a cast glued to a name
