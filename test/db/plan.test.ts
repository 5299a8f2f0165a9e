import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { identityConflicts } from "../../db/identity";
import { folderConflict, identityRecord, migrationIdentity, newerApplied, revertOrderProblem } from "../../db/plan";

const tours = { version: "20261125100000", name: "tours", up: "create table t (x int);" };
const rooms = { version: "20261125100100", name: "livekit_rooms", up: "create table r (x int);" };
const events = { version: "20261125100300", name: "livekit_webhook_events", up: "create table e (x int);" };
const row = (m: { version: string; name: string }) => ({ version: m.version, name: m.name });

describe("which migration may be reverted", () => {
  it("the newest applied one may, whatever is pending in migrations/", () => {
    expect(revertOrderProblem(events, [tours, rooms, events].map(row))).toBeUndefined();
    expect(revertOrderProblem(rooms, [tours, rooms].map(row))).toBeUndefined();
  });

  it("a middle one may not: the message lists the newer applied ones, newest first, and says what to do", () => {
    expect(revertOrderProblem(tours, [tours, events, rooms].map(row))).toBe(
      "cannot revert 20261125100000_tours: newer migrations are still applied and may depend on it: 20261125100300_livekit_webhook_events, 20261125100100_livekit_rooms. Revert those first, newest first (remove their files and run `pulumi up`, or `npm run migrate -- revert <version>` for each); only the newest applied migration may be reverted",
    );
  });

  it("counts ledger rows the project does not know, and names a nameless row by its version", () => {
    expect(newerApplied(tours.version, [row(tours), { version: "20270101000000", name: null }])).toEqual([
      { version: "20270101000000", name: null },
    ]);
    expect(revertOrderProblem(tours, [row(tours), { version: "20270101000000", name: null }])).toMatch(
      /depend on it: 20270101000000_\?\. Revert/,
    );
  });

  it("is refused exactly when a newer version is applied, and lists exactly those", () => {
    const version = fc.integer({ min: 0, max: 99 }).map((n) => `202611251000${String(n).padStart(2, "0")}`);
    fc.assert(
      fc.property(fc.uniqueArray(version, { minLength: 1, maxLength: 10 }), fc.nat(), (versions, pick) => {
        const target = versions[pick % versions.length]!;
        const ledger = versions.map((v) => ({ version: v, name: "m" }));
        const newer = newerApplied(target, ledger).map((r) => r.version);
        expect(newer).toEqual(
          versions
            .filter((v) => v > target)
            .sort()
            .reverse(),
        );
        expect(revertOrderProblem({ version: target, name: "m", up: "" }, ledger) === undefined).toBe(
          newer.length === 0,
        );
      }),
    );
  });
});

describe("a migration's identity", () => {
  it("is its id and the hash of its statements as the CLI records them", () => {
    expect(migrationIdentity(tours)).toMatch(/^20261125100000_tours sha256:[0-9a-f]{64}$/);
    // Whitespace between statements and a trailing semicolon are not part of what the ledger records.
    expect(migrationIdentity({ ...tours, up: "\n  create table t (x int)\n" })).toBe(migrationIdentity(tours));
    expect(migrationIdentity({ ...tours, up: "create table t (x bigint);" })).not.toBe(migrationIdentity(tours));
  });

  it("a rename is a conflict that names the applied name and the fix", () => {
    const recorded = identityRecord([tours, events]);
    const now = identityRecord([tours, { ...events, name: "event_log" }]);
    expect(identityConflicts(recorded, now)).toEqual([
      {
        property: "20261125100300",
        reason:
          "migration 20261125100300 was applied as 20261125100300_livekit_webhook_events, but migrations/ now names it 20261125100300_event_log: a migration's identity is its version. Rename the file and its down file back to 20261125100300_livekit_webhook_events.sql; to change what a migration does, add a new migration with a later version",
      },
    ]);
  });

  it("an edit of an applied migration is a conflict", () => {
    const now = identityRecord([{ ...tours, up: "create table t (x int, y int);" }]);
    expect(identityConflicts(identityRecord([tours]), now)).toEqual([
      {
        property: "20261125100000",
        reason:
          "migration 20261125100000_tours was changed after it was applied (its statements differ from the applied ones): restore the file and put the change in a new migration with a later version",
      },
    ]);
  });

  it("new and removed migrations, and the provider's own inputs, are no conflict", () => {
    const recorded = { ...identityRecord([tours, rooms]), __provider: "old code" };
    expect(identityConflicts(recorded, { ...identityRecord([tours, events]), __provider: "new code" })).toEqual([]);
    expect(identityConflicts({}, identityRecord([tours, rooms, events]))).toEqual([]);
  });
});

describe("a revert's down SQL against the migrations/ folder it runs beside", () => {
  it("runs when the folder no longer has the version (a revert) or has it unchanged (a destroy)", () => {
    expect(folderConflict(events, [tours, rooms])).toBeUndefined();
    expect(folderConflict(events, [tours, rooms, events])).toBeUndefined();
  });

  it("is refused when the folder has the version renamed or edited", () => {
    expect(folderConflict(events, [tours, { ...events, name: "event_log" }])).toBe(
      "refusing to revert 20261125100300_livekit_webhook_events: migrations/ still holds version 20261125100300, as 20261125100300_event_log (renamed). The migration stays applied under its version; Pulumi deletes the old resource only because its name or statements changed. Restore migrations/20261125100300_livekit_webhook_events.sql as it was applied; put changes in a new migration with a later version",
    );
    expect(folderConflict(events, [{ ...events, up: "create table e (x text);" }])).toMatch(
      /as 20261125100300_livekit_webhook_events \(its statements changed\)/,
    );
  });
});
