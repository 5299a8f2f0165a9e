-- Undoes 20261125100100_livekit_rooms.
drop table if exists public.livekit_rooms;
alter table public.tours drop constraint if exists tours_livekit_room_status_check;
alter table public.tours drop column if exists livekit_room_status, drop column if exists livekit_room_id;
