-- Seed for basejump: three users, two team accounts.
--   alice  owner (and primary owner) of team "Acme"
--   bob    member of "Acme"
--   carol  owner (and primary owner) of team "Globex"
-- Every user also gets the personal account basejump's on_auth_user_created
-- trigger makes. Loaded as postgres after supabase_stub.sql and schema.sql.
-- Triggers that stamp auth.uid() (created_by, invited_by_user_id) read the
-- JWT claims set with set_config(..., true) just before each statement.

\set ON_ERROR_STOP 1
begin;
\o /dev/null

insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'alice@acme.test', '{"provider":"email"}', '{"name":"Alice"}', now(), now()),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'authenticated', 'authenticated', 'bob@acme.test',   '{"provider":"email"}', '{"name":"Bob"}',   now(), now()),
  ('cccccccc-0000-4000-8000-000000000003', 'authenticated', 'authenticated', 'carol@globex.test','{"provider":"email"}', '{"name":"Carol"}', now(), now());

-- Team accounts, created the way public.create_account() does it: by the
-- signed-in user, whose trigger adds them as owner.
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-000000000001","role":"authenticated"}', true);
insert into basejump.accounts (id, primary_owner_user_id, name, slug, personal_account)
values ('acacacac-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000001', 'Acme', 'acme', false);
select set_config('request.jwt.claims', '{"sub":"cccccccc-0000-4000-8000-000000000003","role":"authenticated"}', true);
insert into basejump.accounts (id, primary_owner_user_id, name, slug, personal_account)
values ('6b6b6b6b-0000-4000-8000-0000000000b1', 'cccccccc-0000-4000-8000-000000000003', 'Globex', 'globex', false);

-- bob joined Acme as a member (what public.accept_invitation() inserts).
insert into basejump.account_user (user_id, account_id, account_role)
values ('bbbbbbbb-0000-4000-8000-000000000002', 'acacacac-0000-4000-8000-0000000000a1', 'member');

-- One open invitation per team, made by its owner.
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-000000000001","role":"authenticated"}', true);
insert into basejump.invitations (id, account_role, account_id, token, invited_by_user_id, invitation_type)
values ('1a1a1a1a-0000-4000-8000-0000000000a1', 'member', 'acacacac-0000-4000-8000-0000000000a1', 'acme-invite-token-0001', 'aaaaaaaa-0000-4000-8000-000000000001', '24_hour');
select set_config('request.jwt.claims', '{"sub":"cccccccc-0000-4000-8000-000000000003","role":"authenticated"}', true);
insert into basejump.invitations (id, account_role, account_id, token, invited_by_user_id, invitation_type)
values ('1b1b1b1b-0000-4000-8000-0000000000b1', 'owner', '6b6b6b6b-0000-4000-8000-0000000000b1', 'globex-invite-token-0001', 'cccccccc-0000-4000-8000-000000000003', 'one_time');
select set_config('request.jwt.claims', '', true);

-- Billing, as the billing webhook writes it through
-- public.service_role_upsert_customer_subscription (service_role).
select public.service_role_upsert_customer_subscription(
  'acacacac-0000-4000-8000-0000000000a1',
  '{"id":"cus_acme","billing_email":"billing@acme.test","provider":"stripe"}',
  '{"id":"sub_acme","billing_customer_id":"cus_acme","status":"active","price_id":"price_team","quantity":2,"cancel_at_period_end":false,"created":"2024-04-01T00:00:00Z","current_period_start":"2024-04-01T00:00:00Z","current_period_end":"2024-05-01T00:00:00Z","plan_name":"Team","provider":"stripe"}');
select public.service_role_upsert_customer_subscription(
  '6b6b6b6b-0000-4000-8000-0000000000b1',
  '{"id":"cus_globex","billing_email":"ap@globex.test","provider":"stripe"}',
  '{"id":"sub_globex","billing_customer_id":"cus_globex","status":"trialing","price_id":"price_team","quantity":1,"cancel_at_period_end":false,"created":"2024-04-02T00:00:00Z","current_period_start":"2024-04-02T00:00:00Z","current_period_end":"2024-05-02T00:00:00Z","plan_name":"Team","provider":"stripe"}');
select public.service_role_upsert_customer_subscription(
  'aaaaaaaa-0000-4000-8000-000000000001',
  '{"id":"cus_alice","billing_email":"alice@acme.test","provider":"stripe"}',
  '{"id":"sub_alice","billing_customer_id":"cus_alice","status":"active","price_id":"price_personal","quantity":1,"cancel_at_period_end":false,"created":"2024-03-01T00:00:00Z","current_period_start":"2024-04-01T00:00:00Z","current_period_end":"2024-05-01T00:00:00Z","plan_name":"Personal","provider":"stripe"}');

\o
commit;
