-- Planted isolation leaks for basejump. Each block is independent: apply ONE
-- block to a database loaded with supabase_stub.sql, schema.sql and seed.sql
-- (prove.py --leak NAME does that). Lines "-- count: REL" and "-- as: ..."
-- tell prove.py what else to count and which forged persona to try.

-- leak: using_true
-- A permissive SELECT policy that opens every team's subscriptions to any
-- signed-in user (ORed with the members-only policy).
create policy "Subscriptions are viewable" on basejump.billing_subscriptions
    for select to authenticated using (true);

-- leak: rls_disabled
-- Row-level security switched off on a tenant table that authenticated can read.
alter table basejump.invitations disable row level security;

-- leak: or_null_branch
-- "Global" invitations with no account, made visible through an
-- `OR account_id IS NULL` branch; any user (not only owners) can now read and
-- use the token of such an invitation, and the insert policy below lets any
-- user create one.
alter table basejump.invitations alter column account_id drop not null;
drop policy "Invitations viewable by account owners" on basejump.invitations;
create policy "Invitations viewable by account owners" on basejump.invitations
    for select to authenticated
    using (account_id is null
           or (created_at > (now() - interval '24 hours')
               and basejump.has_role_on_account(account_id, 'owner') = true));
select set_config('request.jwt.claims', '{"sub":"cccccccc-0000-4000-8000-000000000003"}', false);
insert into basejump.invitations (account_role, account_id, token, invited_by_user_id, invitation_type)
values ('member', null, 'orphan-invite-token', 'cccccccc-0000-4000-8000-000000000003', '24_hour');

-- leak: definer_view
-- A convenience view in public (owned by postgres, no security_invoker) over a
-- tenant table; the public schema's default privileges grant it to anon and
-- authenticated. It runs with its owner's rights, so basejump's policies on
-- invitations are not applied: every team's invitation tokens are readable.
-- count: public.team_invitations
create view public.team_invitations as
    select id, account_id, account_name, account_role, token, invitation_type, created_at
    from basejump.invitations;

-- leak: user_metadata_policy
-- Team membership read from the JWT's user_metadata, which the user can set
-- with supabase.auth.updateUser(): mallory is carol claiming Acme's id.
-- as: mallory carol {"user_metadata": {"account_id": "acacacac-0000-4000-8000-0000000000a1"}}
create policy "Accounts are viewable by metadata team" on basejump.accounts
    for select to authenticated
    using (id = (auth.jwt() -> 'user_metadata' ->> 'account_id')::uuid);
create policy "Billing viewable by metadata team" on basejump.billing_customers
    for select to authenticated
    using (account_id = (auth.jwt() -> 'user_metadata' ->> 'account_id')::uuid);

-- leak: membership_with_check_true
-- An INSERT policy on the membership table with WITH CHECK (true): any user can
-- add themselves to any team (as owner), and then has_role_on_account() opens
-- all of that team's rows to them (writes.carol.join_other_team_then_read_billing).
create policy "Users can join accounts" on basejump.account_user
    for insert to authenticated with check (true);
