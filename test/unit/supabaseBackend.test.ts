// The SupabaseBackend's allowDataLoss entries, under Pulumi's mocks: warned
// about at every preview, refused when malformed or naming another migration.
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { type Migration, readMigrations } from "../../db/migrations";
import { withMocks } from "../support/pulumiMocks";

const [tours] = readMigrations(join(__dirname, "..", "..", "migrations")) as [Migration];

describe("the SupabaseBackend's allowDataLoss entries", () => {
  it("are warned about at every preview; a malformed or misnamed one is refused", async () => {
    const run = await withMocks("dev", {});
    const warn = vi.spyOn(run.pulumi.log, "warn");
    const { SupabaseBackend } = await import("../../components/supabase");
    const args = (allowDataLoss: string[]) => ({
      projectRef: "abcdefghijklmnopqrst",
      dbUrl: "postgresql://postgres:test@127.0.0.1:5432/postgres",
      accessToken: "sbp_test_token_0123456789abcdefghij",
      migrations: [tours],
      functionSources: {
        "livekit-token": [{ path: "livekit-token/index.ts", content: "// token" }],
        "livekit-webhook": [{ path: "livekit-webhook/index.ts", content: "// webhook" }],
      },
      livekit: { url: "wss://live.test", apiKey: "APIkey", apiSecret: "s".repeat(48) },
      tokenMaxSeconds: 12_600,
      allowDataLoss,
    });
    new SupabaseBackend("supabase", args(["20261125100000", "20261125100100_livekit_rooms"]));
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      "data loss is allowed for 20261125100000_tours: a revert of it may delete rows",
      "allowDataLoss names 20261125100100_livekit_rooms, which is not in migrations/: it takes effect only if it was applied (pulumi up) while the file was there; remove the entry once the revert is done",
    ]);
    expect(() => new SupabaseBackend("a", args(["livekit_rooms"]))).toThrow(
      'SupabaseBackend: allowDataLoss entry "livekit_rooms" is not a migration id or version; write it as migrations/ names the file without .sql (e.g. 20261125100100_livekit_rooms) or as its 14-digit version',
    );
    expect(() => new SupabaseBackend("b", args(["20261125100000_tour"]))).toThrow(
      'SupabaseBackend: allowDataLoss entry "20261125100000_tour" names version 20261125100000, which is 20261125100000_tours',
    );
  });
});
