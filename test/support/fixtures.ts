// Shared test inputs: a valid raw config and a host model with test secrets.
import { generateKeyPairSync } from "node:crypto";
import { ConfigError, parseStackConfig } from "../../config/schema";
import type { HostModel } from "../../templates";
import { roomPolicy } from "../../templates";
import { planNodes } from "../../plans/nodes";

/** A real OpenSSH ed25519 public key line, made fresh for the tests. */
export function opensshPublicKey(comment = "test@roamcast"): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const type = Buffer.from("ssh-ed25519");
  const blob = Buffer.concat([u32(type.length), type, u32(raw.length), raw]);
  return `ssh-ed25519 ${blob.toString("base64")} ${comment}`;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function validRawConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    zoneName: "roamcast.app",
    livekitHost: "live.roamcast.app",
    turnHost: "turn.roamcast.app",
    acmeEmail: "ops@roamcast.app",
    sshPublicKeys: [opensshPublicKey()],
    operatorCidrs: ["85.214.0.7/32"],
    supabaseProjectRef: "abcdefghijklmnopqrst",
    ...overrides,
  };
}

export const TEST_SECRETS = {
  apiKey: "APItestKey123",
  apiSecret: "test-secret-0123456789abcdefghijklmnopqrstuvwxyz",
  redisPassword: "redis-test-password-0123456789",
  alertReceiverSecret: "https://hooks.roamcast.app/alerts/test-webhook-token-0123456789",
} as const;

export function testModel(overrides: Partial<HostModel> = {}): HostModel {
  return {
    livekitHost: "live.roamcast.app",
    turnHost: "turn.roamcast.app",
    acmeEmail: "ops@roamcast.app",
    publicIpv4: "198.51.100.20",
    publicIpv6: "2001:db8:1::1",
    images: {
      livekit: "livekit/livekit-server:v1.13.5",
      caddy: "livekit/caddyl4:v2.11.4",
      redis: "redis:7.4.2-alpine",
      prometheus: "prom/prometheus:v3.16.0",
      alertmanager: "prom/alertmanager:v0.35.0",
      nodeExporter: "prom/node-exporter:v1.12.1",
      redisExporter: "oliver006/redis_exporter:v1.90.0",
      blackboxExporter: "prom/blackbox-exporter:v0.27.0",
    },
    room: roomPolicy(30),
    redundantAudio: true,
    media: { mode: "mux", sockets: 4 },
    secrets: TEST_SECRETS,
    monitoring: { receiver: { kind: "webhook" }, monthlyTrafficBytes: 20e12 },
    ...overrides,
  };
}

/** The model with alerts going by e-mail (the default fixture uses the webhook receiver). */
export function emailReceiverModel(): HostModel {
  return testModel({
    monitoring: {
      receiver: {
        kind: "email",
        to: "oncall@roamcast.app",
        from: "alerts@roamcast.app",
        smarthost: "smtp.roamcast.app:587",
        username: "alerts@roamcast.app",
      },
      monthlyTrafficBytes: 20e12,
    },
    secrets: { ...TEST_SECRETS, alertReceiverSecret: "smtp-password-0123456789" },
  });
}

/** Secret settings as `pulumi config set --secret` would hold them. */
export function validSecretConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    supabaseDbUrl:
      "postgresql://postgres.abcdefghijklmnopqrst:db-password@aws-0-eu-central-1.pooler.supabase.com:5432/postgres",
    supabaseAccessToken: "sbp_0123456789abcdef0123456789abcdef01234567",
    alertWebhookUrl: "https://hooks.roamcast.app/alerts/0123456789abcdef",
    ...overrides,
  };
}

/** The stack config's problems, as the one ConfigError lists them; none when it parses. */
export function configProblems(
  stack: string,
  raw: Record<string, unknown>,
  secretsAvailable = false,
): readonly string[] {
  try {
    parseStackConfig(stack, raw, { secretsAvailable });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

/** Node `index` of a `count`-node stack (plans/nodes.ts) over testModel: its own names and Redis placement. */
export function nodeModel(index: number, count: number, overrides: Partial<HostModel> = {}): HostModel {
  const node = planNodes("live.roamcast.app", "turn.roamcast.app", count)[index - 1];
  if (!node) throw new Error(`nodeModel: a ${count}-node stack has no node ${index}`);
  const redis = node.redis.role === "single" ? {} : { redis: node.redis };
  return testModel({ ...overrides, livekitHost: node.livekitHost, turnHost: node.turnHost, ...redis });
}
