import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dataGuardProblem, destructiveStatements } from "../../db/dataLoss";

const downDir = join(__dirname, "..", "..", "migrations", "down");

describe("down files that delete data", () => {
  it.each([
    ["drop table if exists public.t;", 1],
    ["alter table public.t drop column if exists c, drop column d;", 1],
    ["truncate public.t;", 1],
    ["delete from public.t where true;", 1],
    ["drop schema private cascade;", 1],
    ["-- drop table in a comment\ndrop function f();", 0],
    ["alter table public.t drop constraint if exists c;", 0],
    ["do $$ begin raise exception 'refusing to drop column c'; end $$;", 0],
  ])("%s has %i destructive statement(s)", (sql, count) => {
    expect(destructiveStatements(sql)).toHaveLength(count);
  });

  it("need a guard first that honours the allowance and raises RD001", () => {
    const guard =
      "do $$ begin if current_setting('roamcast.allow_data_loss', true) is distinct from 'on' then raise exception 'no' using errcode = 'RD001'; end if; end $$;";
    expect(dataGuardProblem(`${guard}\ndrop table public.t;`)).toBeUndefined();
    expect(dataGuardProblem("drop table public.t;")).toMatch(/^its down file deletes data \("drop table public.t …"\)/);
    // A guard that comes after the drop guards nothing.
    expect(dataGuardProblem(`drop table public.t;\n${guard}`)).toBeDefined();
    expect(dataGuardProblem("drop function f();")).toBeUndefined();
  });

  it("every committed down file follows the rule", () => {
    const files = readdirSync(downDir).filter((f) => f.endsWith(".sql"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(dataGuardProblem(readFileSync(join(downDir, file), "utf8")), file).toBeUndefined();
    const guarded = files.filter((f) => destructiveStatements(readFileSync(join(downDir, f), "utf8")).length > 0);
    expect(guarded).toEqual([
      "20261125100000_tours.sql",
      "20261125100100_livekit_rooms.sql",
      "20261125100300_livekit_webhook_events.sql",
    ]);
  });
});
