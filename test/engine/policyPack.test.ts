// The policy pack under the real engine: a preview with the pack loads
// policy/ and a mandatory violation fails the preview.
//
// `--policy-pack policy` (a folder) makes this CLI (pkg/v3 resource/plugin/
// analyzer_plugin.go) start the pack through the Node language host,
// pulumi-language-nodejs, which Pulumi's release ships but which is not a
// module on the Go proxy, so it is not built here. The same CLI also takes an
// executable as a pack and runs it with the engine's address: the launcher
// below is that executable, running the pack's folder through
// @pulumi/pulumi/cmd/run-policy-pack exactly as the language host would.
//
// The cloud providers (hcloud, cloudflare, command) are not installed here, so
// their resources cannot be previewed: test/unit/policy*.test.ts covers those
// policies. Here a stack output and a component registered under the
// firewall's type token stand in.
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../local/temp";
import { type EngineStack, engineStack, failureOf } from "../support/engine";

const PACK_DIR = join(__dirname, "..", "..", "policy");

/** An executable policy pack: run-policy-pack in policy/, with the engine address the CLI passes. */
function packLauncher(): string {
  const launcher = join(tempDir(), "roamcast-policy-pack");
  const host = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
  writeFileSync(launcher, `#!/bin/sh\ncd "${PACK_DIR}" && exec "${process.execPath}" "${host}" "$1" .\n`);
  chmodSync(launcher, 0o755);
  return launcher;
}

class FakeFirewall extends pulumi.ComponentResource {
  constructor(name: string) {
    super("hcloud:index/firewall:Firewall", name, {}, {});
  }
}

let scenario: "compliant" | "plaintext-output" | "firewall" = "compliant";

async function program() {
  if (scenario === "firewall") new FakeFirewall("livekit-firewall");
  if (scenario === "plaintext-output") return { redisPassword: "hunter2-in-plain-text", livekitUrl: "wss://x" };
  return { livekitUrl: "wss://live.roamcast.app", apiSecret: pulumi.secret("kept-secret-value") };
}

describe("the policy pack under the engine", () => {
  let engine: EngineStack;
  let PACK: string;
  beforeAll(async () => {
    engine = await engineStack("policytest", program);
    PACK = packLauncher();
  });
  afterAll(() => {
    engine?.remove();
    if (PACK) rmSync(dirname(PACK), { recursive: true, force: true });
  });

  it("loads the pack and passes a compliant program", async () => {
    scenario = "compliant";
    const result = await engine.stack.preview({ policyPacks: [PACK] });
    expect(result.stdout).toMatch(/Policies:\s+✅ roamcast@v0\.1\.0/);
    expect(result.stdout).not.toMatch(/mandatory/i);
  });

  it("fails the preview on a stack policy's mandatory violation: a plaintext secret-looking output", async () => {
    scenario = "plaintext-output";
    const message = await failureOf(() => engine.stack.preview({ policyPacks: [PACK] }));
    expect(message).toMatch(/no-plaintext-secret-outputs/);
    expect(message).toMatch(/output "redisPassword" is named like a secret/);
  });

  it("fails the preview on a resource policy's mandatory violation: a firewall without the planned ports", async () => {
    scenario = "firewall";
    const message = await failureOf(() => engine.stack.preview({ policyPacks: [PACK] }));
    expect(message).toMatch(/firewall-planned-ports-only/);
    expect(message).toMatch(/planned port tcp 443 has no rule/);
  });
});
