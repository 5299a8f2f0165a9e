-- Undoes 20261125100100_livekit_rooms. The rooms and the tours' room columns
-- are records of tours that ran: they are dropped only while they hold
-- nothing, unless data loss is allowed for this migration (the migrator sets
-- roamcast.allow_data_loss for this transaction alone).
do $$
declare
  v_rooms bigint;
  v_tours bigint;
begin
  if current_setting('roamcast.allow_data_loss', true) is distinct from 'on' then
    select count(*) into v_rooms from public.livekit_rooms;
    if v_rooms > 0 then
      raise exception 'refusing to drop public.livekit_rooms: it holds % rows', v_rooms
        using errcode = 'RD001', hint = 'move or delete the rows first, keep this migration, or allow data loss for it';
    end if;
    select count(*) into v_tours from public.tours
     where livekit_room_id is not null or livekit_room_status <> 'pending';
    if v_tours > 0 then
      raise exception 'refusing to drop public.tours.livekit_room_id and livekit_room_status: % tours have a room', v_tours
        using errcode = 'RD001', hint = 'move or clear the values first, keep this migration, or allow data loss for it';
    end if;
  end if;
end
$$;

drop table if exists public.livekit_rooms;
alter table public.tours drop constraint if exists tours_livekit_room_status_check;
alter table public.tours drop column if exists livekit_room_status, drop column if exists livekit_room_id;
