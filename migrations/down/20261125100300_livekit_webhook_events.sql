-- Undoes 20261125100300_livekit_webhook_events. The event log is what makes
-- LiveKit's retried deliveries apply once, and presence is live state: both
-- are dropped only while empty, unless data loss is allowed for this
-- migration (the migrator sets roamcast.allow_data_loss for this transaction alone).
do $$
declare
  v_events bigint;
  v_presence bigint;
begin
  if current_setting('roamcast.allow_data_loss', true) is distinct from 'on' then
    select count(*) into v_events from private.livekit_webhook_events;
    select count(*) into v_presence from private.livekit_room_presence;
    if v_events + v_presence > 0 then
      raise exception 'refusing to drop private.livekit_webhook_events and private.livekit_room_presence: they hold % and % rows', v_events, v_presence
        using errcode = 'RD001', hint = 'keep this migration, or allow data loss for it';
    end if;
  end if;
end
$$;

drop function if exists private.apply_livekit_event(text, text, text, text, timestamptz);
drop table if exists private.livekit_room_presence;
drop table if exists private.livekit_webhook_events;
revoke usage on schema private from service_role;
