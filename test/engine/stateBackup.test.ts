// `npm run up`'s backup against the real Pulumi CLI on a file backend: a stack
// with state made through the Automation API, exported, pruned, and the up
// started only after the backup is on disk. The `pulumi` on PATH is the real
// CLI behind a wrapper that logs each invocation, so the test sees what ran in
// which order. (The up itself cannot run a TypeScript program here: the Node
// language host is not shipped; test/engine/program.test.ts says more.)
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../local/temp";
import { backedUpUp, backupFileName, backupState } from "../../scripts/up/backup";
import { type EngineStack, engineStack, PASSPHRASE, pulumiRoot } from "../support/engine";

const SECRET = "plaintext-secret-value-0123456789";
const STACK = "backuptest";

async function program() {
  new pulumi.ComponentResource("roamcast:test:Thing", "thing");
  return { url: "wss://live.example", apiSecret: pulumi.secret(SECRET) };
}

describe("npm run up's state backup, with the real CLI", () => {
  let engine: EngineStack;
  let env: NodeJS.ProcessEnv;
  let project: string;
  let backups: string;
  let log: string;
  const cleanup: string[] = [];

  beforeAll(async () => {
    engine = await engineStack(STACK, program);
    await engine.stack.up();
    const root = pulumiRoot();
    const real = join(root, "bin", "pulumi");
    const bin = tempDir();
    log = join(bin, "invocations.log");
    writeFileSync(join(bin, "pulumi"), `#!/bin/sh\necho "$*" >> "${log}"\nexec "${real}" "$@"\n`);
    chmodSync(join(bin, "pulumi"), 0o755);
    [project, backups] = [tempDir(), tempDir()];
    writeFileSync(join(project, "Pulumi.yaml"), "name: roamcast\nruntime: nodejs\n");
    cleanup.push(root, bin, project, backups);
    env = {
      PATH: `${bin}:${root}/bin:${process.env.PATH}`,
      HOME: tempDir(),
      PULUMI_HOME: tempDir(),
      PULUMI_BACKEND_URL: `file://${engine.stateDir}`,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    cleanup.push(env.HOME!, env.PULUMI_HOME!);
  });
  afterAll(() => {
    engine?.remove();
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  const options = (keep: number, iso: string) => ({
    stack: STACK,
    dir: backups,
    keep,
    cwd: project,
    env,
    now: () => new Date(iso),
  });

  it("writes the stack's state as JSON, with its resources and no plaintext secret", () => {
    const result = backupState(options(20, "2026-11-30T01:00:00.000Z"));
    expect(result).toMatchObject({ kind: "saved", pruned: [] });
    const file = join(backups, STACK, backupFileName(STACK, new Date("2026-11-30T01:00:00.000Z")));
    expect(result.kind === "saved" && result.file).toBe(file);
    const text = readFileSync(file, "utf8");
    const state = JSON.parse(text);
    const urns = state.deployment.resources.map((r: { urn: string }) => r.urn);
    expect(urns).toContain(`urn:pulumi:${STACK}::roamcast::roamcast:test:Thing::thing`);
    expect(urns).toContain(`urn:pulumi:${STACK}::roamcast::pulumi:pulumi:Stack::roamcast-${STACK}`);
    expect(text).not.toContain(SECRET);
    // The secret output is there, encrypted.
    expect(text).toContain("ciphertext");
  });

  it("keeps the newest N backups of the stack", () => {
    for (const minute of ["01", "02", "03"]) backupState(options(2, `2026-11-30T02:${minute}:00.000Z`));
    expect(readdirSync(join(backups, STACK)).sort()).toEqual([
      backupFileName(STACK, new Date("2026-11-30T02:02:00.000Z")),
      backupFileName(STACK, new Date("2026-11-30T02:03:00.000Z")),
    ]);
  });

  it("starts pulumi up only after the backup is on disk", () => {
    writeFileSync(log, "");
    const lines: string[] = [];
    const code = backedUpUp({ ...options(2, "2026-11-30T03:00:00.000Z"), upArgs: ["--yes"] }, (l) => lines.push(l));
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls[0]).toMatch(new RegExp(`^stack export --stack ${STACK} --show-secrets=false --file .*\\.partial$`));
    expect(calls[1]).toBe(`up --stack ${STACK} --yes`);
    expect(lines[0]).toMatch(/^state of backuptest \(\d+ resources\) saved to /);
    expect(existsSync(join(backups, STACK, backupFileName(STACK, new Date("2026-11-30T03:00:00.000Z"))))).toBe(true);
    // Without Node's language host the real up cannot run the program; its exit code is passed on.
    expect(code).not.toBe(0);
  });

  it("skips the backup of a stack with no state yet, with a note, and still runs the up", () => {
    const init = spawnSync("pulumi", ["stack", "init", "fresh"], { cwd: project, env, encoding: "utf8" });
    expect(init.status, init.stderr).toBe(0);
    const lines: string[] = [];
    let upRan = false;
    const code = backedUpUp(
      { ...options(2, "2026-11-30T05:00:00.000Z"), stack: "fresh", upArgs: [] },
      (l) => lines.push(l),
      () => {
        upRan = true;
        return 0;
      },
    );
    expect([code, upRan]).toEqual([0, true]);
    expect(lines).toEqual(['note: stack "fresh" has no resources yet: nothing to back up before this first up']);
    expect(readdirSync(join(backups, "fresh"))).toEqual([]);
  });

  it("npm run up -- --backup-only: the command the deploy workflow runs, without the passphrase", () => {
    writeFileSync(log, "");
    const out = tempDir();
    cleanup.push(out);
    const { PULUMI_CONFIG_PASSPHRASE: _, ...withoutPassphrase } = env;
    const tsx = join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
    const script = join(__dirname, "..", "..", "scripts", "up.ts");
    const args = [script, "--stack", STACK, "--backup-only", "--keep", "1", "--dir", out];
    for (let i = 0; i < 2; i++) {
      const result = spawnSync(tsx, args, { env: withoutPassphrase, encoding: "utf8", timeout: 60_000 });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toMatch(new RegExp(`^state of ${STACK} \\(\\d+ resources\\) saved to ${out}/${STACK}/`));
    }
    expect(readdirSync(join(out, STACK))).toHaveLength(1);
    // Only the backups ran: no up.
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual([
      expect.stringMatching(/^stack export /),
      expect.stringMatching(/^stack export /),
    ]);
  });

  it("does not run pulumi up when the export fails, and says why", () => {
    writeFileSync(log, "");
    let upRan = false;
    const run = () =>
      backedUpUp(
        { ...options(2, "2026-11-30T04:00:00.000Z"), stack: "nosuchstack", upArgs: [] },
        () => {},
        () => {
          upRan = true;
          return 0;
        },
      );
    expect(failure(run)).toBe(
      `state backup of stack "nosuchstack" failed, so pulumi up did not run: error: no stack named 'nosuchstack' found`,
    );
    expect(upRan).toBe(false);
    // The CLI ran once: the export, no up.
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual([
      expect.stringMatching(/^stack export --stack nosuchstack /),
    ]);
    expect(readdirSync(join(backups, "nosuchstack"))).toEqual([]);
  });
});

function failure(run: () => unknown): string {
  try {
    run();
    return "";
  } catch (error) {
    return (error as Error).message;
  }
}
