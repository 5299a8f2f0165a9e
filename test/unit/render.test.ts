// The offline render command, run as a user runs it.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PLACEHOLDER_SECRETS } from "../../scripts/render";
import { tempDir, writeTemp } from "../../local/temp";

const root = join(__dirname, "..", "..");
const tsx = join(root, "node_modules", ".bin", "tsx");

function render(args: string[], cwd = root, timeout = 30_000) {
  const env = { ...process.env };
  // No cloud credentials and no Pulumi CLI are needed.
  for (const key of Object.keys(env)) if (/^(PULUMI_|HCLOUD_|CLOUDFLARE_)/.test(key)) delete env[key];
  return spawnSync(tsx, [join(cwd, "scripts", "render.ts"), ...args], { cwd, encoding: "utf8", env, timeout });
}

/** A copy of the project with one more stack file, made from Pulumi.dev.yaml. */
function projectWithStack(stack: string, edit: (devStackFile: string) => string): string {
  const project = tempDir();
  for (const f of ["Pulumi.yaml", "scripts", "config", "templates", "plans", "components", "package.json"])
    cpSync(join(root, f), join(project, f), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(project, "node_modules"));
  writeFileSync(join(project, `Pulumi.${stack}.yaml`), edit(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8")));
  return project;
}

describe("npm run render", () => {
  it.each(["dev", "prod"])(
    "writes every host file of the %s stack and cloud-init, with placeholder secrets",
    (stack) => {
      const out = tempDir();
      const result = render(["--stack", stack, "--out", out]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(readdirSync(out).sort()).toEqual([
        "alert-rules.yml",
        "alertmanager.yml",
        "blackbox.yml",
        "caddy.yaml",
        "cloud-init.yaml",
        "docker-compose.yaml",
        "livekit-docker.service",
        "livekit.yaml",
        "prometheus.yml",
        "redis-exporter-password.json",
        "redis.conf",
      ]);
      // The stack files set no alert e-mail, so the receiver is the webhook, its URL a placeholder.
      expect(parse(readFileSync(join(out, "alertmanager.yml"), "utf8")).receivers[0].webhook_configs[0].url).toBe(
        PLACEHOLDER_SECRETS.alertReceiverSecret,
      );
      expect(JSON.parse(readFileSync(join(out, "redis-exporter-password.json"), "utf8"))).toEqual({
        "redis://127.0.0.1:6379": PLACEHOLDER_SECRETS.redisPassword,
      });
      const livekit = parse(readFileSync(join(out, "livekit.yaml"), "utf8"));
      expect(livekit.keys).toEqual({ [PLACEHOLDER_SECRETS.apiKey]: PLACEHOLDER_SECRETS.apiSecret });
      expect(livekit.turn.domain).toBe(stack === "prod" ? "turn.roamcast.app" : "turn.dev.roamcast.app");
      expect(readFileSync(join(out, "redis.conf"), "utf8")).toContain(
        `requirepass ${PLACEHOLDER_SECRETS.redisPassword}`,
      );
      expect(result.stdout).toContain("Secrets are placeholders");
      // The same webhook as `pulumi up` renders.
      expect(livekit.webhook).toEqual({
        api_key: PLACEHOLDER_SECRETS.apiKey,
        urls: [
          `https://${stack === "prod" ? "roamcastprodprojectr" : "roamcastdevprojectrf"}.supabase.co/functions/v1/livekit-webhook`,
        ],
      });
    },
  );

  it("takes the addresses it is given", () => {
    const out = tempDir();
    expect(render(["--stack", "dev", "--out", out, "--ipv4", "198.51.100.7", "--ipv6", "2001:db8::7"]).status).toBe(0);
    expect(parse(readFileSync(join(out, "livekit.yaml"), "utf8")).rtc.node_ip).toBe("198.51.100.7");
  });

  it("writes node 1's files as for one server and node k's into node-k/, with livekitNodes 2", () => {
    const project = projectWithStack("two", (file) => `${file}  roamcast:livekitNodes: "2"\n`);
    const out = tempDir();
    const result = render(["--stack", "two", "--out", out], project);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readdirSync(join(out, "node-2")).sort()).toEqual(
      readdirSync(out)
        .filter((f) => !["node-2", "redis.conf", "redis-exporter-password.json"].includes(f))
        .sort(),
    );
    const [one, two] = [out, join(out, "node-2")].map((dir) => parse(readFileSync(join(dir, "livekit.yaml"), "utf8")));
    expect([one.turn.domain, two.turn.domain]).toEqual(["turn.dev.roamcast.app", "turn-2.dev.roamcast.app"]);
    expect([one.rtc.node_ip, two.rtc.node_ip]).toEqual(["192.0.2.10", "192.0.2.11"]);
    expect([one.redis.address, two.redis.address]).toEqual(["localhost:6379", "10.42.1.11:6379"]);
    expect(readFileSync(join(out, "redis.conf"), "utf8")).toMatch(/^bind 127\.0\.0\.1 -::1 10\.42\.1\.11$/m);
    expect(result.stdout).toContain("node-2/livekit.yaml");
  });

  it("fails with the config problem, naming the key, and writes nothing", () => {
    const project = projectWithStack("broken", (file) =>
      file.replace("roamcast:turnHost: turn.dev.roamcast.app", "roamcast:turnHost: live.dev.roamcast.app"),
    );
    const out = join(tempDir(), "out");
    const result = render(["--stack", "broken", "--out", out], project);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'roamcast:turnHost must differ from roamcast:livekitHost ("live.dev.roamcast.app")',
    );
    expect(() => readdirSync(out)).toThrow();
  });

  it("names a missing stack file and how to create it", () => {
    const result = render(["--stack", "staging", "--out", tempDir()]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("No stack file");
    expect(result.stderr).toContain("pulumi stack init staging");
  });

  it("prints its usage without --stack or --out", () => {
    const result = render(["--stack", "dev"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("usage: npm run render -- --stack <name> --out <dir>");
  });

  // The bound is spawnSync's own: a render that spins is killed (status null) and fails here.
  it.each([
    ["a folder under /proc", "/proc/roamcast-test", "--out /proc/roamcast-test"],
    ["a folder under /sys", "/sys/roamcast-test", "--out /sys/roamcast-test"],
  ])("refuses %s at once, with one line, and creates nothing", (_, out, says) => {
    const result = render(["--stack", "dev", "--out", out], root, 8_000);
    expect(result.signal).toBeNull();
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toEqual([expect.stringContaining(says)]);
    expect(result.stderr).toContain("not a place for files");
    expect(existsSync(out)).toBe(false);
  });

  it("refuses a file given as --out, and a folder below a file, at once", () => {
    const file = writeTemp("not-a-folder.txt", "keep me\n");
    for (const out of [file, join(file, "below")]) {
      const result = render(["--stack", "dev", "--out", out], root, 8_000);
      expect(result.signal).toBeNull();
      expect(result.status).toBe(2);
      expect(result.stderr.trimEnd().split("\n")).toEqual([expect.stringContaining(`--out ${out}`)]);
      expect(result.stderr).toContain("is not a folder");
    }
    expect(readFileSync(file, "utf8")).toBe("keep me\n");
  });
});
