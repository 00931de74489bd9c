-- Seed for chatbot-ui: three users, each with their own rows in every table.
--   alice, bob, carol: every row "private" (the column default), except
--   alice's one prompt and one chat shared with sharing = 'public'.
-- Each user's profile and home workspace come from the app's own
-- create_profile_and_workspace trigger on auth.users.
-- Ids are md5(<user>-<thing>)::uuid, so prove.py can name other users' rows.
-- Loaded as postgres after supabase_stub.sql and schema.sql.

\set ON_ERROR_STOP 1
begin;

-- storage buckets the migrations create (moved here from schema.sql)
insert into storage.buckets (id, name, public) values
  ('profile_images', 'profile_images', true),
  ('files', 'files', false),
  ('assistant_images', 'assistant_images', false),
  ('message_images', 'message_images', false),
  ('workspace_images', 'workspace_images', false);

insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at) values
  ('aaaaaaaa-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'alice@example.test', '{"provider":"email"}', '{}', now(), now()),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'authenticated', 'authenticated', 'bob@example.test',   '{"provider":"email"}', '{}', now(), now()),
  ('cccccccc-0000-4000-8000-000000000003', 'authenticated', 'authenticated', 'carol@example.test', '{"provider":"email"}', '{}', now(), now());

do $$
declare
  u record;
  home uuid;
  k text;
  function_id uuid;
begin
  for u in select id, split_part(email, '@', 1) as n from auth.users order by email loop
    k := u.n;
    update profiles set display_name = initcap(k), bio = 'I am ' || k, has_onboarded = true,
                        openai_api_key = 'sk-test-' || k, username = k || '_chat'
     where user_id = u.id;
    select id into home from workspaces where user_id = u.id and is_home;

    insert into workspaces (id, user_id, default_context_length, default_model, default_prompt, default_temperature,
                            description, embeddings_provider, include_profile_context, include_workspace_instructions,
                            instructions, name)
    values (md5(k || '-ws')::uuid, u.id, 4096, 'gpt-4-turbo-preview', 'Be brief.', 0.2,
            'Work', 'openai', true, true, '', k || ' work');

    insert into folders (id, user_id, workspace_id, name, description, type)
    values (md5(k || '-folder')::uuid, u.id, home, 'Drafts', '', 'chats');

    insert into files (id, user_id, folder_id, description, file_path, name, size, tokens, type)
    values (md5(k || '-file')::uuid, u.id, null, k || ' notes', u.id || '/' || md5(k || '-file')::uuid || '/notes.txt',
            'notes.txt', 1200, 300, 'text/plain');
    insert into file_workspaces (user_id, file_id, workspace_id) values (u.id, md5(k || '-file')::uuid, home);
    insert into file_items (id, file_id, user_id, content, tokens, local_embedding)
    values (md5(k || '-item1')::uuid, md5(k || '-file')::uuid, u.id, k || ' chunk one', 150, array[0.1, 0.2, 0.3]::real[]),
           (md5(k || '-item2')::uuid, md5(k || '-file')::uuid, u.id, k || ' chunk two', 150, array[0.3, 0.2, 0.1]::real[]);

    insert into presets (id, user_id, context_length, description, embeddings_provider, include_profile_context,
                         include_workspace_instructions, model, name, prompt, temperature)
    values (md5(k || '-preset')::uuid, u.id, 4096, '', 'openai', true, true, 'gpt-4-turbo-preview', 'Terse', 'Be terse.', 0.1);
    insert into preset_workspaces (user_id, preset_id, workspace_id) values (u.id, md5(k || '-preset')::uuid, home);

    insert into assistants (id, user_id, context_length, description, embeddings_provider, include_profile_context,
                            include_workspace_instructions, model, name, image_path, prompt, temperature)
    values (md5(k || '-asst')::uuid, u.id, 4096, '', 'openai', true, true, 'gpt-4-turbo-preview', k || ' helper', '', 'Help.', 0.5);
    insert into assistant_workspaces (user_id, assistant_id, workspace_id) values (u.id, md5(k || '-asst')::uuid, home);
    insert into assistant_files (user_id, assistant_id, file_id) values (u.id, md5(k || '-asst')::uuid, md5(k || '-file')::uuid);

    insert into collections (id, user_id, description, name) values (md5(k || '-coll')::uuid, u.id, '', k || ' papers');
    insert into collection_workspaces (user_id, collection_id, workspace_id) values (u.id, md5(k || '-coll')::uuid, home);
    insert into collection_files (user_id, collection_id, file_id) values (u.id, md5(k || '-coll')::uuid, md5(k || '-file')::uuid);
    insert into assistant_collections (user_id, assistant_id, collection_id) values (u.id, md5(k || '-asst')::uuid, md5(k || '-coll')::uuid);

    insert into tools (id, user_id, description, name, url, schema) values (md5(k || '-tool')::uuid, u.id, '', 'weather', 'https://tools.example.test/weather', '{}');
    insert into tool_workspaces (user_id, tool_id, workspace_id) values (u.id, md5(k || '-tool')::uuid, home);
    insert into assistant_tools (user_id, assistant_id, tool_id) values (u.id, md5(k || '-asst')::uuid, md5(k || '-tool')::uuid);

    insert into models (id, user_id, api_key, base_url, description, model_id, name)
    values (md5(k || '-model')::uuid, u.id, 'key-' || k, 'https://llm.example.test/v1', '', 'llama-3-8b', 'Local llama');
    insert into model_workspaces (user_id, model_id, workspace_id) values (u.id, md5(k || '-model')::uuid, home);

    insert into prompts (id, user_id, content, name) values (md5(k || '-prompt')::uuid, u.id, 'Summarise this.', 'Summary');
    insert into prompt_workspaces (user_id, prompt_id, workspace_id) values (u.id, md5(k || '-prompt')::uuid, home);

    insert into chats (id, user_id, workspace_id, assistant_id, folder_id, context_length, embeddings_provider,
                       include_profile_context, include_workspace_instructions, model, name, prompt, temperature)
    values (md5(k || '-chat')::uuid, u.id, home, md5(k || '-asst')::uuid, md5(k || '-folder')::uuid, 4096, 'openai',
            true, true, 'gpt-4-turbo-preview', k || ' private chat', 'Help.', 0.5);
    insert into chat_files (user_id, chat_id, file_id) values (u.id, md5(k || '-chat')::uuid, md5(k || '-file')::uuid);
    insert into messages (id, chat_id, user_id, content, image_paths, model, role, sequence_number)
    values (md5(k || '-msg1')::uuid, md5(k || '-chat')::uuid, u.id, 'What is in my notes?', '{}', 'gpt-4-turbo-preview', 'user', 0),
           (md5(k || '-msg2')::uuid, md5(k || '-chat')::uuid, u.id, 'Your notes say ...', '{}', 'gpt-4-turbo-preview', 'assistant', 1);
    insert into message_file_items (user_id, message_id, file_item_id) values (u.id, md5(k || '-msg2')::uuid, md5(k || '-item1')::uuid);

    -- storage objects: an avatar (public bucket), the uploaded file, a message image
    insert into storage.objects (bucket_id, name, owner, owner_id) values
      ('profile_images', u.id || '/avatar.png', u.id, u.id::text),
      ('files', u.id || '/' || md5(k || '-file')::uuid || '/notes.txt', u.id, u.id::text),
      ('message_images', u.id || '/' || md5(k || '-msg1')::uuid || '/shot.png', u.id, u.id::text);
  end loop;

  -- alice shares one prompt and one chat (with two messages)
  insert into prompts (id, user_id, content, name, sharing)
  values (md5('alice-prompt-shared')::uuid, 'aaaaaaaa-0000-4000-8000-000000000001', 'Translate to French.', 'French', 'public');
  insert into chats (id, user_id, workspace_id, context_length, embeddings_provider, include_profile_context,
                     include_workspace_instructions, model, name, prompt, temperature, sharing)
  select md5('alice-chat-shared')::uuid, user_id, id, 4096, 'openai', true, true, 'gpt-4-turbo-preview',
         'alice shared chat', 'Help.', 0.5, 'public'
    from workspaces where user_id = 'aaaaaaaa-0000-4000-8000-000000000001' and is_home;
  insert into messages (id, chat_id, user_id, content, image_paths, model, role, sequence_number)
  values (md5('alice-shared-msg1')::uuid, md5('alice-chat-shared')::uuid, 'aaaaaaaa-0000-4000-8000-000000000001', 'Bonjour?', '{}', 'gpt-4-turbo-preview', 'user', 0),
         (md5('alice-shared-msg2')::uuid, md5('alice-chat-shared')::uuid, 'aaaaaaaa-0000-4000-8000-000000000001', 'Bonjour !', '{}', 'gpt-4-turbo-preview', 'assistant', 1);
end $$;

commit;
