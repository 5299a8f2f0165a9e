// index.ts itself under the real Pulumi engine: the Go-built CLI previews the
// whole program, with stack config and secrets set as `pulumi config set`
// sets them, up to the first provider plugin that cannot load here (hcloud,
// cloudflare and command are not served on this machine). So a program that
// fails before any resource, on config or in a constructor, fails here under
// the real engine, not only under mocks.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it, vi } from "vitest";
import { validRawConfig, validSecretConfig } from "../support/fixtures";
import { type EngineStack, engineStack, failureOf } from "../support/engine";

const PLUGIN_MISSING = /no resource plugin 'pulumi-resource-(hcloud|cloudflare|command|random|tls)' found/;

/** Stack names whose program ran to its end: every component constructed without throwing. */
const ranToTheEnd = new Set<string>();

/** A stack running index.ts afresh (the module runs the program when imported) with this config. */
async function programStack(stackName: string, plain: Record<string, unknown>): Promise<EngineStack> {
  const engine = await engineStack(stackName, async () => {
    vi.resetModules();
    await import("../../index");
    ranToTheEnd.add(stackName);
  });
  const asText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  await engine.stack.setAllConfig({
    ...Object.fromEntries(Object.entries(plain).map(([k, v]) => [`roamcast:${k}`, { value: asText(v) }])),
    ...Object.fromEntries(
      Object.entries(validSecretConfig()).map(([k, v]) => [`roamcast:${k}`, { value: asText(v), secret: true }]),
    ),
  });
  return engine;
}

async function preview(engine: EngineStack) {
  const events: EngineEvent[] = [];
  const message = await failureOf(() => engine.stack.preview({ onEvent: (e) => events.push(e) }));
  const registered = events.flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata.type] : []));
  return { message, registered };
}

describe("index.ts under the real Pulumi engine", () => {
  const stacks: EngineStack[] = [];
  afterAll(() => stacks.forEach((s) => s.remove()));

  it("reads the config, registers the components, and stops only at the first provider plugin it cannot load", async () => {
    const engine = await programStack("dev", validRawConfig({ operatorCidrs: ["85.214.0.7/32"] }));
    stacks.push(engine);
    const { message, registered } = await preview(engine);
    expect(message).toMatch(PLUGIN_MISSING);
    expect(message).not.toMatch(/validating stack config|Running program .* failed|TypeError|ReferenceError/);
    expect(registered).toContain("pulumi:pulumi:Stack");
    // The engine may stop on the missing plugin before it reports the
    // components it was sent (a race: the Cloudflare zone lookup loads its
    // provider at once), so the program's own run is what shows they were built.
    expect(ranToTheEnd).toContain("dev");
  });

  it("fails a program whose config is wrong before any provider, naming the key", async () => {
    const engine = await programStack("prod", validRawConfig({ operatorCidrs: ["0.0.0.0/0"] }));
    stacks.push(engine);
    const { message, registered } = await preview(engine);
    expect(message).toMatch(/roamcast:operatorCidrs\[0\] "0.0.0.0\/0" opens SSH to the whole Internet/);
    expect(message).not.toMatch(PLUGIN_MISSING);
    expect(registered.filter((t) => t.startsWith("roamcast:"))).toEqual([]);
    expect(ranToTheEnd).not.toContain("prod");
  });
});
