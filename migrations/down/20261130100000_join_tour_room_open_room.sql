-- Undoes 20261130100000_join_tour_room_open_room: private.join_tour_room as
-- 20261125100200_join_tour_room defined it (every join takes the tour's row lock).

create or replace function private.join_tour_room(p_tour_id uuid)
returns table (room_name text, participant_role text, access_until timestamptz)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_tour public.tours%rowtype;
  v_role text;
  v_room text;
  v_rooms_before integer;
  -- A tour may run over; its room stays open this long after ends_at.
  v_overrun constant interval := interval '30 minutes';
begin
  if v_user is null then
    raise exception 'not signed in' using errcode = 'RT401';
  end if;
  if p_tour_id is null then
    raise exception 'tour_id is required' using errcode = 'RT400';
  end if;

  -- Row lock: concurrent joins of one tour queue here, so exactly one of
  -- them creates the room and the others find it.
  select * into v_tour from public.tours t where t.id = p_tour_id for update;
  if not found then
    raise exception 'no such tour: %', p_tour_id using errcode = 'RT404';
  end if;

  if v_tour.guide_id = v_user then
    v_role := 'guide';
  elsif exists (select 1 from public.tour_participants p where p.tour_id = p_tour_id and p.user_id = v_user) then
    v_role := 'listener';
  else
    raise exception 'not on tour %', p_tour_id using errcode = 'RT403';
  end if;

  if now() >= v_tour.ends_at + v_overrun then
    raise exception 'tour % ended at %', p_tour_id, v_tour.ends_at using errcode = 'RT410';
  end if;

  select r.room_id into v_room from public.livekit_rooms r where r.tour_id = p_tour_id and r.status = 'active';
  if v_room is null then
    select count(*) into v_rooms_before from public.livekit_rooms r where r.tour_id = p_tour_id;
    v_room := 'tour-' || p_tour_id::text || case when v_rooms_before > 0 then '-' || (v_rooms_before + 1)::text else '' end;
    insert into public.livekit_rooms (tour_id, room_id) values (p_tour_id, v_room);
  end if;

  update public.tours t
     set livekit_room_id = v_room,
         livekit_room_status = case
           when v_role = 'guide' then 'live'
           when t.livekit_room_status in ('pending', 'finished') then 'open'
           else t.livekit_room_status
         end
   where t.id = p_tour_id;

  return query select v_room, v_role, v_tour.ends_at + v_overrun;
end
$$;

revoke all on function private.join_tour_room(uuid) from public, anon, authenticated, service_role;
grant execute on function private.join_tour_room(uuid) to authenticated;
