import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { planFirewallRules } from "../../plans/firewall";
import { caddyConfig } from "../../templates/caddy";
import { USER_DATA_LIMIT_BYTES } from "../../templates/cloudInit";
import { composeConfig, SERVICE_NAMES } from "../../templates/compose";
import { HOST_FILE_LAYOUT, publicPorts, renderHost, roomPolicy } from "../../templates";
import { livekitConfig } from "../../templates/livekit";
import { isPinnedImage } from "../../config/rules";
import { TEST_SECRETS, testModel } from "../support/fixtures";

const model = testModel();
const rendered = renderHost(model);
const file = (name: string) => rendered.files.find((f) => f.name === name)!.content;

/** A snapshot of an env file is not an env file: no tool (nor the repo's .env rule) should take it for one. */
const snapshotName = (name: string) => (name.endsWith(".env") ? `${name}.snapshot` : name);

describe("rendered host files", () => {
  it.each(HOST_FILE_LAYOUT.map((f) => f.name))("%s matches its reviewed snapshot", async (name) => {
    await expect(file(name)).toMatchFileSnapshot(`../__snapshots__/${snapshotName(name)}`);
  });

  it("cloud-init.yaml matches its reviewed snapshot", async () => {
    await expect(rendered.cloudInit).toMatchFileSnapshot("../__snapshots__/cloud-init.yaml");
  });

  it("livekit.yaml parses back to the object it was built from", () => {
    expect(parse(file("livekit.yaml"))).toEqual(JSON.parse(JSON.stringify(livekitConfig(model))));
  });

  it("livekit.yaml uses the known node IP, not STUN discovery", () => {
    const rtc = livekitConfig(model).rtc;
    expect(rtc.use_external_ip).toBe(false);
    expect(rtc.node_ip).toBe("198.51.100.20");
    expect(file("livekit.yaml")).toContain("use_external_ip: false");
  });

  it("livekit.yaml keeps signalling and metrics on loopback and negotiates audio codecs only", () => {
    const c = livekitConfig(model);
    expect(c.bind_addresses).toEqual(["127.0.0.1", "::1"]);
    expect(c.room.enabled_codecs.map((x) => x.mime)).toEqual(["audio/opus", "audio/red"]);
    expect(livekitConfig(testModel({ redundantAudio: false })).room.enabled_codecs).toEqual([{ mime: "audio/opus" }]);
  });

  it("rooms outlive a tunnel and seat every listener, the guide and one spare", () => {
    expect(roomPolicy(30)).toEqual({ maxParticipants: 32, emptyTimeoutSeconds: 900, departureTimeoutSeconds: 600 });
    expect(livekitConfig(model).room.departure_timeout).toBeGreaterThan(20);
  });

  it("the webhook, when given, is signed with the one API key LiveKit has", () => {
    const c = livekitConfig(testModel({ webhook: { url: "https://x.supabase.co/functions/v1/livekit-webhook" } }));
    expect(c.webhook).toEqual({
      api_key: TEST_SECRETS.apiKey,
      urls: ["https://x.supabase.co/functions/v1/livekit-webhook"],
    });
    expect(Object.keys(c.keys)).toEqual([c.webhook!.api_key]);
    expect(livekitConfig(model).webhook).toBeUndefined();
  });

  it("caddy routes the TURN name to TURN on the public IPv4 and the LiveKit name to loopback 7880 with http/1.1", () => {
    const routes = (caddyConfig(model) as any).apps.layer4.servers.main.routes;
    expect(routes.map((r: any) => r.match[0].tls.sni)).toEqual([["turn.roamcast.app"], ["live.roamcast.app"]]);
    expect(routes[0].handle[1].upstreams[0].dial).toEqual(["198.51.100.20:5349"]);
    expect(routes[1].handle[0].connection_policies).toEqual([{ alpn: ["http/1.1"] }]);
    expect(routes[1].handle[1].upstreams[0].dial).toEqual(["localhost:7880"]);
    expect((caddyConfig(model) as any).apps.http).toBeUndefined();
  });

  it("caddy asks for certificates for both names with the ACME e-mail", () => {
    const tlsApp = (caddyConfig(model) as any).apps.tls;
    expect(tlsApp.certificates.automate).toEqual(["live.roamcast.app", "turn.roamcast.app"]);
    expect(tlsApp.automation.policies[0].issuers).toEqual([{ module: "acme", email: "ops@roamcast.app" }]);
  });

  it("docker-compose.yaml runs every service on the host network with a pinned image and a restart policy", () => {
    const compose = parse(file("docker-compose.yaml"));
    expect(Object.keys(compose.services).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const [name, service] of Object.entries<any>(compose.services)) {
      expect(service.network_mode, name).toBe("host");
      expect(service.restart, name).toBe("unless-stopped");
      expect(isPinnedImage(service.image), `${name}: ${service.image}`).toBe(true);
      expect(service.image).not.toMatch(/:latest\b/);
    }
    expect(compose).toEqual(JSON.parse(JSON.stringify(composeConfig(model))));
  });

  it("redis.conf binds loopback, keeps protected mode and requires the password", () => {
    const conf = file("redis.conf");
    expect(conf).toMatch(/^bind 127\.0\.0\.1 -::1$/m);
    expect(conf).toMatch(/^protected-mode yes$/m);
    expect(conf).toContain(`requirepass ${TEST_SECRETS.redisPassword}\n`);
  });

  it("secrets appear only in the files marked secret, and those are readable by their owner alone", () => {
    for (const f of rendered.files) {
      const holds = Object.values(TEST_SECRETS).some((s) => f.content.includes(s));
      expect(holds, f.name).toBe(f.secret);
      expect(f.mode, f.name).toBe(f.secret ? "0600" : "0644");
    }
  });

  it("cloud-init carries none of the secrets, in plain text or base64", () => {
    for (const [name, secret] of Object.entries(TEST_SECRETS)) {
      expect(rendered.cloudInit, name).not.toContain(secret);
      for (const encoded of base64Forms(secret)) expect(rendered.cloudInit, `${name} as base64`).not.toContain(encoded);
    }
  });

  it("cloud-init prepares Docker only; every host file (and the stack's start) arrives over SSH", () => {
    const cloud = parse(rendered.cloudInit, { version: "1.1" });
    const written: string[] = cloud.write_files.map((w: any) => w.path);
    for (const f of rendered.files) expect(written, f.path).not.toContain(f.path);
    expect(written).toEqual(["/etc/sysctl.d/60-livekit-udp.conf", "/etc/docker/daemon.json"]);
    expect(JSON.stringify(cloud.runcmd)).not.toContain("livekit-docker");
    expect(cloud.runcmd.at(-1)).toEqual(["systemctl", "enable", "--now", "docker.service"]);
    expect(cloud.packages).toEqual(["docker.io", "docker-compose-v2"]);
    expect(rendered.cloudInit.startsWith("#cloud-config\n")).toBe(true);
  });

  it("cloud-init is the same for every model, so no setting can ever replace the server", () => {
    const other = renderHost(
      testModel({
        publicIpv4: "203.0.113.99",
        secrets: {
          apiKey: "APIother",
          apiSecret: "o".repeat(48),
          redisPassword: "p".repeat(40),
          alertReceiverSecret: "https://other.roamcast.app/hook",
        },
      }),
    );
    expect(other.cloudInit).toBe(rendered.cloudInit);
  });

  it("cloud-init fits Hetzner's user data limit with room to spare", () => {
    expect(Buffer.byteLength(rendered.cloudInit)).toBeLessThan(USER_DATA_LIMIT_BYTES / 2);
  });

  it("the firewall opens every port LiveKit and Caddy listen on publicly, and no other", () => {
    // The port range: LiveKit's media ports in either mode (the mux's are its first, test/unit/mediaPorts.test.ts).
    const lk = livekitConfig({ ...model, media: { mode: "range" } });
    const caddy = caddyConfig(model) as any;
    const listening = new Set<string>([
      `tcp:${lk.rtc.tcp_port}`,
      `udp:${lk.turn.udp_port}`,
      `udp:${lk.rtc.port_range_start}-${lk.rtc.port_range_end}`,
      ...caddy.apps.layer4.servers.main.listen.map((l: string) => `tcp:${l.replace(/^:/, "")}`),
      "tcp:80", // the TLS app's ACME HTTP-01 solver
    ]);
    const open = planFirewallRules(publicPorts(), ["203.0.113.7/32"])
      .filter((r) => r.sourceIps.includes("0.0.0.0/0"))
      .map((r) => `${r.protocol}:${r.port}`);
    expect(new Set(open)).toEqual(listening);
    // Loopback-only and behind-Caddy ports stay closed.
    for (const closed of ["tcp:7880", "tcp:5349", "tcp:6379", "tcp:6789", "udp:443"])
      expect(open).not.toContain(closed);
  });

  it("refuses to render with a short API secret or equal host names", () => {
    expect(() => renderHost(testModel({ secrets: { ...TEST_SECRETS, apiSecret: "short" } }))).toThrow(
      "Cannot render the LiveKit host files: the LiveKit API secret must be at least 32 characters",
    );
    expect(() => renderHost(testModel({ turnHost: "live.roamcast.app" }))).toThrow(
      "Cannot render the LiveKit host files: the TURN host name must differ from the LiveKit host name",
    );
  });
});

describe("migration transport", () => {
  it("refuses a ROAMCAST_MIGRATION that is not what the component wrote, naming it", async () => {
    const { decodeMigration, encodeMigration } = await import("../../db/migrations");
    const m = { version: "20261125100000", name: "tours", up: "select 1", down: "select 2" };
    expect(decodeMigration(encodeMigration(m))).toEqual(m);
    expect(() => decodeMigration("%%%")).toThrow("ROAMCAST_MIGRATION is not base64 JSON of {version, name, up, down}");
    expect(() => decodeMigration(Buffer.from('{"version":"1"}').toString("base64"))).toThrow(
      'ROAMCAST_MIGRATION lacks "name"',
    );
    expect(() => decodeMigration(undefined)).toThrow("ROAMCAST_MIGRATION is not set");
  });
});

/** The base64 text a secret leaves inside any base64 string, whatever its byte offset there. */
function base64Forms(secret: string): string[] {
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), Buffer.from(secret)]).toString("base64");
    // Drop the groups shared with neighbouring bytes: what is left comes from the secret alone.
    return encoded.slice(offset === 0 ? 0 : 4, -4);
  });
}
