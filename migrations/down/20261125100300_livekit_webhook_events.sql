-- Undoes 20261125100300_livekit_webhook_events.
drop function if exists private.apply_livekit_event(text, text, text, text, timestamptz);
drop table if exists private.livekit_room_presence;
drop table if exists private.livekit_webhook_events;
revoke usage on schema private from service_role;
