-- Undoes 20261125100000_tours. The tables may have existed before it (it
-- creates them only where absent), and their rows are the business: they are
-- dropped only while empty, unless data loss is allowed for this migration
-- (the migrator sets roamcast.allow_data_loss for this transaction alone).
do $$
begin
  if current_setting('roamcast.allow_data_loss', true) is distinct from 'on'
     and (exists (select 1 from public.tour_participants) or exists (select 1 from public.tours)) then
    raise exception 'refusing to drop public.tours and public.tour_participants: they hold rows'
      using errcode = 'RD001', hint = 'move or delete the rows first, keep this migration, or allow data loss for it';
  end if;
end
$$;

drop policy if exists "guides read their participants, participants their own row" on public.tour_participants;
drop policy if exists "guides and participants read their tours" on public.tours;
drop table if exists public.tour_participants;
drop table if exists public.tours;
drop function if exists private.is_tour_guide(uuid);
drop function if exists private.is_tour_participant(uuid);
