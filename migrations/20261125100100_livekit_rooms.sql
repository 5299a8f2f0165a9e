-- The planning document's LiveKit columns and rooms: a tour has at most one
-- active room at a time, and its status mirrors LiveKit's webhooks.

alter table public.tours
  add column if not exists livekit_room_id text,
  add column if not exists livekit_room_status text not null default 'pending';

alter table public.tours drop constraint if exists tours_livekit_room_status_check;
alter table public.tours add constraint tours_livekit_room_status_check
  check (livekit_room_status in ('pending', 'open', 'live', 'finished'));

create table if not exists public.livekit_rooms (
  id uuid primary key default extensions.uuid_generate_v4(),
  tour_id uuid not null references public.tours (id) on delete cascade,
  room_id text not null unique,
  created_at timestamptz not null default now(),
  status text not null default 'active',
  listener_count integer not null default 0,
  started_at timestamptz,
  finished_at timestamptz,
  constraint livekit_rooms_status_check check (status in ('active', 'finished')),
  constraint livekit_rooms_listener_count_check check (listener_count >= 0)
);

-- One active room per tour, even when thirty listeners ask at once.
create unique index if not exists livekit_rooms_one_active_per_tour on public.livekit_rooms (tour_id) where status = 'active';
create index if not exists livekit_rooms_tour_id_idx on public.livekit_rooms (tour_id);

alter table public.livekit_rooms enable row level security;
revoke all on public.livekit_rooms from anon;
revoke insert, update, delete, truncate on public.livekit_rooms from authenticated;

drop policy if exists "guides and participants read their tour's rooms" on public.livekit_rooms;
create policy "guides and participants read their tour's rooms"
  on public.livekit_rooms for select to authenticated
  using ((select private.is_tour_guide(tour_id)) or (select private.is_tour_participant(tour_id)));
