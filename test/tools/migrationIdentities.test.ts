// The preview-time refusal of a renamed or edited applied migration, run by
// the real Pulumi engine (the CLI from scripts/build-tools.sh, the Automation
// API with an inline program, the Node dynamic-provider host): an `up`
// records the identities, then each preview compares migrations/ with them.
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { beforeAll, describe, expect, it } from "vitest";
import { type Migration, readMigrations } from "../../db/migrations";
import { identityRecord } from "../../db/plan";
import { pulumiRoot } from "../support/engine";
import { tempDir } from "../../local/temp";

const migrations = readMigrations(join(__dirname, "..", "..", "migrations"));
const [tours, rooms, joinRoom, webhookEvents] = migrations as [Migration, Migration, Migration, Migration];

describe("MigrationIdentities under the real Pulumi engine", () => {
  let stack: Stack;
  let current: readonly Migration[] = migrations;

  beforeAll(async () => {
    const root = pulumiRoot();
    const state = tempDir();
    const envVars = {
      PATH: `${join(root, "bin")}:${process.env.PATH}`,
      PULUMI_HOME: tempDir(),
      PULUMI_BACKEND_URL: `file://${state}`,
      PULUMI_CONFIG_PASSPHRASE: "test-only",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
    const { MigrationIdentities } = await import("../../components/supabase");
    stack = await LocalWorkspace.createOrSelectStack(
      {
        stackName: "dev",
        projectName: "roamcast",
        program: async () => {
          new MigrationIdentities("supabase-migration-identities", identityRecord(current));
        },
      },
      {
        envVars,
        pulumiCommand: await PulumiCommand.get({ root, skipVersionCheck: true }),
        projectSettings: { name: "roamcast", runtime: "nodejs", backend: { url: `file://${state}` } },
      },
    );
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
  }, 120_000);

  const previewError = async (list: readonly Migration[]): Promise<string> => {
    current = list;
    try {
      await stack.preview();
      return "";
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("refuses, at preview, a renamed applied migration, saying what to do", async () => {
    const message = await previewError([tours, rooms, joinRoom, { ...webhookEvents, name: "event_log" }]);
    expect(message).toContain(
      "has a problem: migration 20261125100300 was applied as 20261125100300_livekit_webhook_events, but migrations/ now names it 20261125100300_event_log: a migration's identity is its version. Rename the file and its down file back to 20261125100300_livekit_webhook_events.sql",
    );
    expect(message).not.toMatch(/\n\s+at /);
  });

  it("refuses, at preview, an applied migration whose statements changed", async () => {
    const message = await previewError([tours, { ...rooms, up: `${rooms.up}\ncomment on table public.tours is 'x';` }]);
    expect(message).toContain(
      "has a problem: migration 20261125100100_livekit_rooms was changed after it was applied (its statements differ from the applied ones): restore the file and put the change in a new migration with a later version",
    );
  });

  it("lets a revert (the newest file removed), a new migration and a reworded down file through", async () => {
    const next = { version: "20261125100400", name: "notes", up: "select 1;", down: "select 1;" };
    expect(await previewError([tours, rooms, { ...joinRoom, down: `-- why\n${joinRoom.down}` }, next])).toBe("");
  });
});
