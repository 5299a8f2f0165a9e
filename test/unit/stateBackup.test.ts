// The backup's names and pruning (scripts/up/backup.ts); the export itself runs
// against the real CLI in test/engine/stateBackup.test.ts.
import { describe, expect, it } from "vitest";
import { backupFileName, backupsToPrune } from "../../scripts/up/backup";

const at = (iso: string) => new Date(iso);

describe("backup names", () => {
  it("carry the stack and the UTC time, without ':', and sort by time", () => {
    expect(backupFileName("dev", at("2026-11-30T01:59:38.123Z"))).toBe("dev-2026-11-30T01-59-38.123Z.json");
    const names = ["2026-11-30T10:00:00.000Z", "2026-02-01T09:00:00.000Z", "2026-11-30T09:59:59.999Z"].map((t) =>
      backupFileName("prod", at(t)),
    );
    expect([...names].sort()).toEqual([names[1], names[2], names[0]]);
  });
});

describe("pruning", () => {
  const names = (stack: string, n: number) =>
    Array.from({ length: n }, (_, i) => backupFileName(stack, new Date(Date.UTC(2026, 10, 30, 0, i))));

  it("deletes the oldest beyond the newest N of that stack only", () => {
    const dev = names("dev", 5);
    const other = [...names("dev.old", 2), "notes.txt", `${dev[0]}.partial`, "dev-latest.json"];
    expect(backupsToPrune([...other, ...dev].reverse(), "dev", 3)).toEqual(dev.slice(0, 2));
  });

  it("deletes nothing when there are N or fewer", () => {
    expect(backupsToPrune(names("dev", 3), "dev", 3)).toEqual([]);
    expect(backupsToPrune([], "dev", 1)).toEqual([]);
  });
});
