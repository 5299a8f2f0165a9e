-- Undoes 20261125100200_join_tour_room.
drop function if exists private.join_tour_room(uuid);
