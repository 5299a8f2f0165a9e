-- What LiveKit's webhooks tell us, applied once each. LiveKit retries
-- deliveries and does not keep their order (a leave can arrive before its
-- join), so every event is recorded by id, and presence keeps the time of the
-- newest event per participant: an older event never overrides a newer one.

create table if not exists private.livekit_webhook_events (
  id text primary key,
  event text not null,
  room_id text,
  participant_identity text,
  created_at timestamptz not null,
  received_at timestamptz not null default now()
);

create table if not exists private.livekit_room_presence (
  room_id text not null,
  identity text not null,
  present boolean not null,
  last_event_at timestamptz not null,
  primary key (room_id, identity)
);

revoke all on private.livekit_webhook_events, private.livekit_room_presence from public, anon, authenticated;

-- Returns 'applied', 'duplicate' (this event id was seen before) or
-- 'ignored' (an event about a room Roamcast did not create, or not one we use).
create or replace function private.apply_livekit_event(
  p_event_id text,
  p_event text,
  p_room_id text,
  p_identity text,
  p_created_at timestamptz
)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_room public.livekit_rooms%rowtype;
  v_guide text;
  v_inserted integer;
begin
  if p_event_id is null or p_event_id = '' then
    raise exception 'event id is required' using errcode = 'RT400';
  end if;

  insert into private.livekit_webhook_events (id, event, room_id, participant_identity, created_at)
  values (p_event_id, p_event, p_room_id, p_identity, coalesce(p_created_at, now()))
  on conflict (id) do nothing;
  get diagnostics v_inserted = row_count;
  if v_inserted = 0 then
    return 'duplicate';
  end if;

  select * into v_room from public.livekit_rooms r where r.room_id = p_room_id for update;
  if not found then
    return 'ignored';
  end if;
  select t.guide_id::text into v_guide from public.tours t where t.id = v_room.tour_id;

  if p_event = 'room_started' then
    update public.livekit_rooms set started_at = coalesce(started_at, p_created_at) where id = v_room.id;
  elsif p_event = 'room_finished' then
    update public.livekit_rooms
       set status = 'finished', finished_at = coalesce(finished_at, p_created_at), listener_count = 0
     where id = v_room.id;
    update public.tours set livekit_room_status = 'finished'
     where id = v_room.tour_id and livekit_room_id = p_room_id;
    delete from private.livekit_room_presence where room_id = p_room_id;
  elsif p_event in ('participant_joined', 'participant_left') then
    if p_identity is null or p_identity = '' then
      raise exception 'participant identity is required for %', p_event using errcode = 'RT400';
    end if;
    insert into private.livekit_room_presence as p (room_id, identity, present, last_event_at)
    values (p_room_id, p_identity, p_event = 'participant_joined', p_created_at)
    on conflict (room_id, identity) do update
      set present = excluded.present, last_event_at = excluded.last_event_at
      where p.last_event_at < excluded.last_event_at;
    if v_room.status = 'active' then
      update public.livekit_rooms
         set listener_count = (
           select count(*) from private.livekit_room_presence p
            where p.room_id = p_room_id and p.present and p.identity is distinct from v_guide)
       where id = v_room.id;
    end if;
  else
    return 'ignored';
  end if;
  return 'applied';
end
$$;

revoke all on function private.apply_livekit_event(text, text, text, text, timestamptz) from public, anon, authenticated, service_role;
grant usage on schema private to service_role;
grant execute on function private.apply_livekit_event(text, text, text, text, timestamptz) to service_role;
