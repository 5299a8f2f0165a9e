-- Roamcast's tours and who is on them. Created only where absent: a database
-- that already holds Roamcast's tables keeps them and their rows.
-- Row-level security: a tour's guide and its participants read it; nobody
-- writes through the Data API (bookings arrive through the service role).

create table if not exists public.tours (
  id uuid primary key default extensions.uuid_generate_v4(),
  guide_id uuid not null references auth.users (id) on delete restrict,
  title text not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  created_at timestamptz not null default now(),
  constraint tours_ends_after_start check (ends_at > starts_at)
);

create table if not exists public.tour_participants (
  tour_id uuid not null references public.tours (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  constraint tour_participants_tour_id_user_id_key unique (tour_id, user_id)
);

-- The columns every policy below filters on.
create index if not exists tours_guide_id_idx on public.tours (guide_id);
create index if not exists tour_participants_user_id_idx on public.tour_participants (user_id);

-- Policies on tours and tour_participants look at each other; these helpers
-- run as their owner (who bypasses RLS), so the policies do not recurse.
create schema if not exists private;
revoke all on schema private from public;

create or replace function private.is_tour_guide(p_tour_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.tours t
    where t.id = p_tour_id and t.guide_id = (select auth.uid())
  )
$$;

create or replace function private.is_tour_participant(p_tour_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.tour_participants p
    where p.tour_id = p_tour_id and p.user_id = (select auth.uid())
  )
$$;

revoke all on function private.is_tour_guide(uuid), private.is_tour_participant(uuid) from public, anon, authenticated, service_role;
grant usage on schema private to authenticated;
grant execute on function private.is_tour_guide(uuid), private.is_tour_participant(uuid) to authenticated;

alter table public.tours enable row level security;
alter table public.tour_participants enable row level security;

-- Reads only: the default grants give the API roles everything, so take the
-- writes back as well as refusing them in policy.
revoke all on public.tours, public.tour_participants from anon;
revoke insert, update, delete, truncate on public.tours, public.tour_participants from authenticated;

drop policy if exists "guides and participants read their tours" on public.tours;
create policy "guides and participants read their tours"
  on public.tours for select to authenticated
  using (guide_id = (select auth.uid()) or (select private.is_tour_participant(id)));

drop policy if exists "guides read their participants, participants their own row" on public.tour_participants;
create policy "guides read their participants, participants their own row"
  on public.tour_participants for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_tour_guide(tour_id)));
