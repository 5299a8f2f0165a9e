// One LiveKit node must stay the very plan it was before multi-node existed:
// the same resource URNs (no replacement of the production server, its IPs or
// its DNS records on upgrade) with the same inputs. The reviewed lists in
// test/__snapshots__/plan-*.txt were written by the single-node program.
// The edge functions' code and the migrations are left out: other changes
// move them, and they hold no server, address or name.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { readMigrations } from "../../db/migrations";
import { inputsDigest, planProgram } from "../support/programPlan";

const MIGRATIONS = readMigrations(join(__dirname, "..", "..", "migrations"));
const SETTLED = [
  "livekit-deploy-apply",
  "livekit-dns-turn.roamcast.app-AAAA",
  "supabase-function-secrets-values",
  "supabase-migration-identities",
  ...MIGRATIONS.map((m) => `supabase-migration-${m.version}`),
];

for (const [stack, overrides] of [
  ["dev", {}],
  ["prod", { production: true, location: "fsn1" }],
] as const) {
  describe(`the ${stack} stack with one LiveKit node`, () => {
    it("plans the same resources, with the same inputs, as the single-node program did", async () => {
      const { run, resources } = await planProgram(stack, overrides, SETTLED);
      const digests = new Map(run.resources.map((r) => [r.name, inputsDigest(r.inputs)]));
      const lines = resources
        .filter((r) => !/^supabase-(function-livekit-|migration-)/.test(r.name))
        .map((r) => `${r.urn}${digests.has(r.name) ? ` ${digests.get(r.name)}` : ""}`)
        .sort()
        .join("\n");
      await expect(lines + "\n").toMatchFileSnapshot(join(__dirname, "..", "__snapshots__", `plan-${stack}.txt`));
    });
  });
}
