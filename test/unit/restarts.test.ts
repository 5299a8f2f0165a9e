// Which containers each kind of change pulls and restarts: the apply script
// runs for real under bash on a stand-in host whose stub docker and systemctl
// log every call (test/support/fakeHost.ts).
import { readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOST_FILE_LAYOUT, type HostFileName } from "../../templates";
import { SERVICE_NAMES } from "../../templates/compose";
import { CHANGED_DEFINITIONS, WHOLE_STACK } from "../../templates/files";
import { freePort } from "../../local/processes";
import { clearLogs, composeActions, deployment, type FakeHost, fakeHost, live, restarts } from "../support/fakeHost";

let healthServer: Server;
let healthUrl: string;
beforeAll(async () => {
  const port = await freePort();
  healthServer = createServer((_, res) => res.end("OK"));
  await new Promise<void>((r) => healthServer.listen(port, "127.0.0.1", r));
  healthUrl = `http://127.0.0.1:${port}/`;
});
afterAll(() => healthServer?.close());

const composeFile = (images: Partial<Record<string, string>> = {}) =>
  SERVICE_NAMES.map((s) => `${s}: image ${images[s] ?? "v1"}\n`).join("");

const GOOD: Record<HostFileName, string> = {
  "livekit.yaml": "keys: v1\nredis: password1\n",
  "caddy.yaml": "caddy v1\n",
  "redis.conf": "requirepass password1\n",
  "docker-compose.yaml": composeFile(),
  "livekit-docker.service": "[Service]\nType=oneshot\n",
  "prometheus.yml": "scrape_configs: v1\n",
  "alert-rules.yml": "groups: v1\n",
  "alertmanager.yml": "receivers: v1\n",
  "blackbox.yml": "modules: v1\n",
  "redis-exporter-password.json": '{"redis://127.0.0.1:6379":"password1"}\n',
};

/** A host running GOOD, with the stubs' logs cleared. */
async function runningHost(): Promise<FakeHost> {
  const host = fakeHost();
  const first = deployment(host, GOOD, healthUrl);
  await first.stage(Object.keys(GOOD));
  const result = await first.apply();
  expect(result.status, result.stderr).toBe(0);
  clearLogs(host);
  return host;
}

/** Stages and applies a change of the named files; returns the result and what the stubs were asked. */
async function change(host: FakeHost, changed: Partial<Record<HostFileName, string>>) {
  const intended = deployment(host, { ...GOOD, ...changed }, healthUrl);
  await intended.stage(Object.keys(changed));
  const result = await intended.apply();
  return { ...result, actions: composeActions(host), restarts: restarts(host) };
}

describe("the compose services each host file is read by", () => {
  it("names a real compose service, or a whole-stack marker, for every file", () => {
    const known = new Set<string>([...SERVICE_NAMES, WHOLE_STACK, CHANGED_DEFINITIONS]);
    for (const f of HOST_FILE_LAYOUT) {
      expect(f.services.length, f.name).toBeGreaterThan(0);
      for (const s of f.services) expect(known, `${f.name}: ${s}`).toContain(s);
    }
  });
});

describe("restarting only the containers whose files changed", { timeout: 120_000 }, () => {
  it("a first deployment pulls every image and starts the whole stack through systemd", async () => {
    const host = fakeHost();
    const first = deployment(host, GOOD, healthUrl);
    await first.stage(Object.keys(GOOD));
    const result = await first.apply();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("services to restart: all");
    expect(composeActions(host)).toEqual(["pull"]);
    expect(restarts(host)).toBe(1);
  });

  it.each([
    ["livekit.yaml", ["livekit"], { "livekit.yaml": "keys: v2\nredis: password1\n" }],
    ["caddy.yaml", ["caddy"], { "caddy.yaml": "caddy v2\n" }],
    ["redis.conf", ["redis"], { "redis.conf": "requirepass password1\nmaxmemory 1gb\n" }],
    [
      "a Redis password (redis.conf and livekit.yaml)",
      ["livekit", "redis"],
      { "redis.conf": "requirepass password2\n", "livekit.yaml": "keys: v1\nredis: password2\n" },
    ],
    ["the compose file (Redis image bump)", ["redis"], { "docker-compose.yaml": composeFile({ redis: "v2" }) }],
    [
      "the compose file (LiveKit image bump) and caddy.yaml",
      ["caddy", "livekit"],
      { "docker-compose.yaml": composeFile({ livekit: "v2" }), "caddy.yaml": "caddy v2\n" },
    ],
  ] as const)("a change of %s pulls, then recreates, exactly %j", async (_, services, changed) => {
    const host = await runningHost();
    const result = await change(host, changed);
    expect(result.status, result.stderr).toBe(0);
    const names = (action: string | undefined) => action?.split(" ").slice(1).sort();
    expect(result.actions).toHaveLength(2);
    expect(result.actions[0]).toMatch(/^pull /);
    expect(names(result.actions[0])).toEqual([...services].sort());
    expect(result.actions[1]).toMatch(/^recreate /);
    expect(names(result.actions[1])).toEqual([...services].sort());
    expect(result.restarts).toBe(0);
    for (const [name, content] of Object.entries(changed)) expect(live(host, name as HostFileName)).toBe(content);
  });

  it("a compose file whose services compose cannot list restarts the whole stack rather than nothing", async () => {
    const host = await runningHost();
    const result = await change(host, { "docker-compose.yaml": "# no service compose could hash\n" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.actions).toEqual(["pull"]);
    expect(result.restarts).toBe(1);
  });

  it("a compose change no service's definition sees is installed, restarting nothing", async () => {
    const host = await runningHost();
    const commented = `# pinned images\n${GOOD["docker-compose.yaml"]}`;
    const result = await change(host, { "docker-compose.yaml": commented });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("services to restart: none");
    expect(result.actions).toEqual([]);
    expect(result.restarts).toBe(0);
    expect(live(host, "docker-compose.yaml")).toBe(commented);
    expect(readdirSync(host.staging)).toEqual([]);
  });

  it("a change of the unit pulls every image and restarts the whole stack once", async () => {
    const host = await runningHost();
    const result = await change(host, { "livekit-docker.service": "[Service]\nType=oneshot\nTimeoutStopSec=91s\n" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.actions).toEqual(["pull"]);
    expect(result.restarts).toBe(1);
  });

  it("a stack that is not running is started whole, even for a one-file change", async () => {
    const host = await runningHost();
    writeFileSync(join(host.root, "unit-inactive"), "");
    const result = await change(host, { "caddy.yaml": "caddy v2\n" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.actions).toEqual(["pull"]);
    expect(result.restarts).toBe(1);
  });

  it("restarts and pulls nothing when every file is already the intended one", async () => {
    const host = await runningHost();
    const result = await deployment(host, GOOD, healthUrl).apply();
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("nothing restarted");
    expect(composeActions(host)).toEqual([]);
    expect(restarts(host)).toBe(0);
  });

  it("a failed pull changes nothing on the host and says so", async () => {
    const host = await runningHost();
    writeFileSync(join(host.root, "registry-down"), "");
    const bump = { "docker-compose.yaml": composeFile({ livekit: "v2" }) };
    const result = await change(host, bump);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("could not pull the images of: livekit; nothing was changed on the host");
    expect(result.actions).toEqual(["pull livekit"]);
    expect(result.restarts).toBe(0);
    expect(live(host, "docker-compose.yaml")).toBe(GOOD["docker-compose.yaml"]);
    // Still staged: the next up, with the registry back, applies it.
    expect(readdirSync(host.staging)).toEqual(["docker-compose.yaml"]);
  });

  it("an unhealthy change puts the previous file back and restarts the same container again, no other", async () => {
    const host = await runningHost();
    const result = await change(host, { "livekit.yaml": "keys: v2 BROKEN\n" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("restoring the previous files");
    expect(result.actions).toEqual(["pull livekit", "recreate livekit", "recreate livekit"]);
    expect(result.restarts).toBe(0);
    expect(live(host, "livekit.yaml")).toBe(GOOD["livekit.yaml"]);
  });
});
