-- Planted isolation leaks for chatbot-ui. Each block is independent: apply ONE
-- block to a database loaded with supabase_stub.sql, schema.sql and seed.sql
-- (prove.py --leak NAME does that). Lines "-- count: REL" and "-- as: ..."
-- tell prove.py what else to count and which forged persona to try.

-- leak: using_true
-- A permissive SELECT policy with no TO clause (so for anon too) that opens
-- every profile, with its stored provider API keys, to everyone.
create policy "Allow read access to profiles" on public.profiles
    for select using (true);

-- leak: rls_disabled
-- Row-level security switched off on a per-user table; the Supabase default
-- privileges have granted it to anon and authenticated.
alter table public.models disable row level security;

-- leak: or_null_branch
-- Rows with no owner ("system prompts") made visible through an
-- `OR user_id IS NULL` branch that also sits in the WITH CHECK, so any user
-- (or anon) can create ownerless rows everyone sees and can rewrite.
alter table public.prompts alter column user_id drop not null;
drop policy "Allow full access to own prompts" on public.prompts;
create policy "Allow full access to own prompts" on public.prompts
    using (user_id = auth.uid() or user_id is null)
    with check (user_id = auth.uid() or user_id is null);
insert into public.prompts (user_id, content, name) values (null, 'Be helpful.', 'System default');

-- leak: definer_view
-- A convenience view (owned by postgres, no security_invoker); the public
-- schema's default privileges grant it to anon and authenticated. It runs
-- with its owner's rights, so the policies on chats and messages are skipped.
-- count: public.chat_overview
create view public.chat_overview as
    select c.id, c.user_id, c.name, c.sharing, count(m.id) as messages
    from public.chats c left join public.messages m on m.chat_id = c.id
    group by c.id;

-- leak: user_metadata_policy
-- An "admin" switch read from the JWT's user_metadata, which every user can
-- set for themselves with supabase.auth.updateUser(): mallory is bob calling
-- himself admin.
-- as: mallory bob {"user_metadata": {"role": "admin"}}
create policy "Admins can read all chats" on public.chats
    for select to authenticated
    using ((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');
create policy "Admins can read all messages" on public.messages
    for select to authenticated
    using ((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');
