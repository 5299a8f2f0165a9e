-- private.join_tour_room without the tour's row lock when the join changes
-- nothing. 20261125100200 took the tour's row `for update` on every join, so
-- a tour's listeners, asking for tokens at once, ran one after another, each
-- holding the lock until its commit. The lock is there so that exactly one
-- join creates the room and the tour's room columns are set once; a join to a
-- room that is already active, with the tour already pointing at it and
-- already open (a listener) or live (anyone), would only write back the
-- values the row holds. Such a join now reads without the lock and returns.
-- Every other join (the first, which opens the room; the guide's first, which
-- makes it live; one after a finished room) takes the lock and re-reads under
-- it, exactly as before. The checks (signed in, tour id, tour exists, guide or
-- participant, not ended) run on each read, in the same order, with the same
-- errors; the function keeps its owner, definer rights, search_path and grants.
--
-- A join that skips the lock can race a room_finished webhook: it returns the
-- room that was active when it read, as a join that committed just before the
-- webhook would have under the old function.

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
  v_locked boolean;
  -- A tour may run over; its room stays open this long after ends_at.
  v_overrun constant interval := interval '30 minutes';
begin
  if v_user is null then
    raise exception 'not signed in' using errcode = 'RT401';
  end if;
  if p_tour_id is null then
    raise exception 'tour_id is required' using errcode = 'RT400';
  end if;

  -- First without the lock; if this join would change the tour, again under
  -- the row lock, so concurrent openers queue there and exactly one of them
  -- creates the room while the others find it.
  foreach v_locked in array array[false, true] loop
    if v_locked then
      select * into v_tour from public.tours t where t.id = p_tour_id for update;
    else
      select * into v_tour from public.tours t where t.id = p_tour_id;
    end if;
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
    -- Nothing to change: the update below would write back what the row holds.
    if v_room is not null and v_tour.livekit_room_id = v_room
       and (v_tour.livekit_room_status = 'live' or (v_role = 'listener' and v_tour.livekit_room_status = 'open')) then
      return query select v_room, v_role, v_tour.ends_at + v_overrun;
      return;
    end if;
  end loop;

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

-- create or replace keeps the function's grants; stated again so this file alone says who may call it.
revoke all on function private.join_tour_room(uuid) from public, anon, authenticated, service_role;
grant execute on function private.join_tour_room(uuid) to authenticated;
