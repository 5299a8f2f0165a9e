// The stack's settings: every key, its type, default and rule, in one table.
// Pulumi.yaml declares the same keys (a test keeps the two equal), the Pulumi
// program reads them through config/index.ts, and the offline renderer reads
// them straight from Pulumi.<stack>.yaml. Nothing here imports @pulumi/pulumi.

import { isValidCidr, isValidHostName, isHostInZone, isPinnedImage, isSshPublicKey } from "./rules";

export const CONFIG_NAMESPACE = "roamcast";

export type ConfigType = "string" | "integer" | "boolean" | "array";

export interface FieldSpec {
  readonly type: ConfigType;
  readonly description: string;
  /** Absent means the key is required. */
  readonly default?: string | number | boolean | readonly string[];
  /** Set with `pulumi config set --secret`; never part of StackSettings. */
  readonly secret?: boolean;
  /** A key without a default that may stay unset. */
  readonly optional?: boolean;
}

export const CONFIG_FIELDS = {
  zoneName: {
    type: "string",
    description: "Cloudflare zone (apex domain) that holds the LiveKit and TURN host names, e.g. roamcast.app.",
  },
  livekitHost: {
    type: "string",
    description:
      "Host name clients use for LiveKit signalling over WSS, e.g. live.roamcast.app. Must be inside zoneName.",
  },
  turnHost: {
    type: "string",
    description:
      "Host name of the TURN/TLS relay, e.g. turn.roamcast.app. Inside zoneName, and different from livekitHost.",
  },
  acmeEmail: {
    type: "string",
    description: "E-mail address Caddy registers with Let's Encrypt for the two certificates.",
  },
  sshPublicKeys: {
    type: "array",
    description: "Operators' SSH public keys (OpenSSH format) allowed to log in as root.",
  },
  operatorCidrs: {
    type: "array",
    description: "Source addresses (CIDR) allowed to reach SSH on 22/tcp. Never 0.0.0.0/0 or ::/0 in production.",
  },
  production: {
    type: "boolean",
    default: false,
    description: "Production stack: delete and rebuild protection on, SSH from anywhere refused.",
  },
  serverType: {
    type: "string",
    default: "cx33",
    description: "Hetzner server type. cx33 is the orderable successor of the CX32 class (4 shared vCPU, 8 GB).",
  },
  location: {
    type: "string",
    default: "nbg1",
    description: "Hetzner location of the server and its primary IPs (fsn1, nbg1, hel1, ...).",
  },
  image: {
    type: "string",
    default: "ubuntu-24.04",
    description: "Hetzner OS image: an Ubuntu LTS release.",
  },
  livekitImage: {
    type: "string",
    default: "livekit/livekit-server:v1.13.5",
    description: "LiveKit server container image, pinned by tag (and optionally @sha256 digest). v1.13.2 or later.",
  },
  caddyImage: {
    type: "string",
    default: "livekit/caddyl4:v2.11.4",
    description: "Caddy image with the layer4 and yaml-adapter modules, pinned by tag (and optionally digest).",
  },
  redisImage: {
    type: "string",
    default: "redis:7.4.2-alpine",
    description: "Redis container image, pinned by tag (and optionally digest).",
  },
  listenersPerTour: {
    type: "integer",
    default: 30,
    description: "Most listeners on one tour; sizes the room's participant limit.",
  },
  tourHours: {
    type: "integer",
    default: 3,
    description: "Longest tour in hours; tokens and room timeouts are sized for it.",
  },
  redundantAudio: {
    type: "boolean",
    default: true,
    description:
      "Allow Opus RED (redundant audio): about twice the bandwidth per listener, far fewer audible gaps on lossy mobile links.",
  },
  peakConcurrentTours: {
    type: "integer",
    default: 20,
    description:
      "Most tours expected at once; pulumi preview warns when one server cannot carry them (figures from bench/results).",
  },
  supabaseProjectRef: {
    type: "string",
    description:
      "Supabase project reference (the 20 letters in https://<ref>.supabase.co) that holds the tours and the edge functions.",
  },
  supabaseDbUrl: {
    type: "string",
    secret: true,
    description:
      "Secret. Postgres URL of the project's connection pooler (Supavisor, host *.pooler.supabase.com, user postgres.<ref>): migrations run through it.",
  },
  supabaseAccessToken: {
    type: "string",
    secret: true,
    description:
      "Secret. Supabase personal access token (sbp_...) used to deploy the edge functions and set their secrets.",
  },
  supabaseLegacyJwtSecret: {
    type: "string",
    secret: true,
    optional: true,
    description: "Secret, optional. The project's legacy HS256 JWT secret, while it still signs user tokens with it.",
  },
} as const satisfies Record<string, FieldSpec>;

export type ConfigKey = keyof typeof CONFIG_FIELDS;

/** Validated, typed stack settings. */
export interface StackSettings {
  readonly stack: string;
  readonly zoneName: string;
  readonly livekitHost: string;
  readonly turnHost: string;
  readonly acmeEmail: string;
  readonly sshPublicKeys: readonly string[];
  readonly operatorCidrs: readonly string[];
  readonly production: boolean;
  readonly serverType: string;
  readonly location: string;
  readonly image: string;
  readonly livekitImage: string;
  readonly caddyImage: string;
  readonly redisImage: string;
  readonly listenersPerTour: number;
  readonly tourHours: number;
  readonly redundantAudio: boolean;
  readonly peakConcurrentTours: number;
  readonly supabaseProjectRef: string;
}

export interface ParseOptions {
  /**
   * True under `pulumi up`/`preview`, where secret values are decrypted and
   * checked; false for offline tools, which never see them.
   */
  readonly secretsAvailable?: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

const HETZNER_LOCATIONS = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"];
const SERVER_TYPE = /^(cx|cpx|cax|ccx)\d{2}$/;
const UBUNTU_LTS = /^ubuntu-(2[2-9]|[3-9]\d)\.04$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SUPABASE_REF = /^[a-z]{20}$/;

/**
 * Parses raw config values (as Pulumi holds them: strings, or already-parsed
 * YAML values) into settings, collecting every problem before throwing one
 * ConfigError that names each key and its fix.
 */
export function parseStackConfig(
  stack: string,
  raw: Readonly<Record<string, unknown>>,
  options: ParseOptions = {},
): StackSettings {
  const problems: string[] = [];
  const key = (k: ConfigKey) => `${CONFIG_NAMESPACE}:${k}`;
  const setHint = (k: ConfigKey, example: string) => `set it with: pulumi config set ${key(k)} ${example}`;

  for (const name of Object.keys(raw)) {
    if (!(name in CONFIG_FIELDS)) {
      problems.push(
        `${key(name as ConfigKey)} is not a known setting; remove it or check its spelling (known: ${Object.keys(CONFIG_FIELDS).join(", ")})`,
      );
    }
  }

  const value = (k: ConfigKey): unknown => {
    const spec: FieldSpec = CONFIG_FIELDS[k];
    const given = raw[k];
    return given === undefined || given === null || given === "" ? spec.default : given;
  };
  const str = (k: ConfigKey, example: string): string => {
    const v = value(k);
    if (v === undefined) {
      problems.push(`${key(k)} is required; ${setHint(k, example)}`);
      return "";
    }
    if (typeof v !== "string") {
      problems.push(`${key(k)} must be a string, got ${JSON.stringify(v)}; ${setHint(k, example)}`);
      return "";
    }
    return v.trim();
  };
  const int = (k: ConfigKey, min: number, max: number): number => {
    const v = value(k);
    const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      problems.push(`${key(k)} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return min;
    }
    return n;
  };
  const bool = (k: ConfigKey): boolean => {
    const v = value(k);
    if (v === true || v === "true") return true;
    if (v === false || v === "false") return false;
    problems.push(`${key(k)} must be true or false, got ${JSON.stringify(v)}`);
    return false;
  };
  const list = (k: ConfigKey, example: string): string[] => {
    let v = value(k);
    if (typeof v === "string") {
      try {
        v = JSON.parse(v);
      } catch {
        /* reported below */
      }
    }
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string")) {
      problems.push(
        `${key(k)} must be a non-empty list of strings, got ${JSON.stringify(value(k))}; set it with: pulumi config set --path '${key(k)}[0]' ${example}`,
      );
      return [];
    }
    return v.map((x: string) => x.trim());
  };

  const zoneName = str("zoneName", "roamcast.app").toLowerCase().replace(/\.$/, "");
  const livekitHost = str("livekitHost", "live.roamcast.app").toLowerCase().replace(/\.$/, "");
  const turnHost = str("turnHost", "turn.roamcast.app").toLowerCase().replace(/\.$/, "");
  const acmeEmail = str("acmeEmail", "ops@roamcast.app");
  const sshPublicKeys = list("sshPublicKeys", "'ssh-ed25519 AAAA... alice@laptop'");
  const operatorCidrs = list("operatorCidrs", "203.0.113.7/32");
  const production = bool("production");
  const serverType = str("serverType", "cx33");
  const location = str("location", "nbg1");
  const image = str("image", "ubuntu-24.04");
  const livekitImage = str("livekitImage", "livekit/livekit-server:v1.13.5");
  const caddyImage = str("caddyImage", "livekit/caddyl4:v2.11.4");
  const redisImage = str("redisImage", "redis:7.4.2-alpine");
  const listenersPerTour = int("listenersPerTour", 1, 500);
  const tourHours = int("tourHours", 1, 12);
  const redundantAudio = bool("redundantAudio");
  const peakConcurrentTours = int("peakConcurrentTours", 1, 10_000);
  const supabaseProjectRef = str("supabaseProjectRef", "abcdefghijklmnopqrst");
  if (supabaseProjectRef && !SUPABASE_REF.test(supabaseProjectRef)) {
    problems.push(
      `${key("supabaseProjectRef")} "${supabaseProjectRef}" is not a Supabase project reference; use the 20 lower-case letters of https://<ref>.supabase.co`,
    );
  }
  if (options.secretsAvailable) problems.push(...secretProblems(raw, supabaseProjectRef));

  if (zoneName && !isValidHostName(zoneName))
    problems.push(
      `${key("zoneName")} "${zoneName}" is not a valid domain name; use the zone's apex, e.g. roamcast.app`,
    );
  for (const [k, host] of [
    ["livekitHost", livekitHost],
    ["turnHost", turnHost],
  ] as const) {
    if (!host) continue;
    if (!isValidHostName(host))
      problems.push(
        `${key(k)} "${host}" is not a valid host name; use letters, digits and hyphens in dot-separated labels`,
      );
    else if (zoneName && !isHostInZone(host, zoneName))
      problems.push(`${key(k)} "${host}" is not inside the zone "${zoneName}"; use a name ending in .${zoneName}`);
  }
  if (livekitHost && livekitHost === turnHost) {
    problems.push(
      `${key("turnHost")} must differ from ${key("livekitHost")} ("${livekitHost}"): Caddy routes :443 by TLS server name, e.g. use turn.${zoneName || "roamcast.app"}`,
    );
  }
  if (acmeEmail && !EMAIL.test(acmeEmail))
    problems.push(
      `${key("acmeEmail")} "${acmeEmail}" is not an e-mail address; Let's Encrypt needs one, e.g. ops@${zoneName || "roamcast.app"}`,
    );
  sshPublicKeys.forEach((k, i) => {
    if (!isSshPublicKey(k))
      problems.push(
        `${key("sshPublicKeys")}[${i}] is not an OpenSSH public key ("ssh-ed25519 AAAA... comment"); paste the .pub file's line, never a private key`,
      );
  });
  const seenKeys = new Set<string>();
  sshPublicKeys.forEach((k, i) => {
    const body = k.split(/\s+/).slice(0, 2).join(" ");
    if (seenKeys.has(body))
      problems.push(`${key("sshPublicKeys")}[${i}] repeats an earlier key; Hetzner refuses duplicate keys, remove it`);
    seenKeys.add(body);
  });
  operatorCidrs.forEach((c, i) => {
    if (!isValidCidr(c))
      problems.push(
        `${key("operatorCidrs")}[${i}] "${c}" is not a CIDR block; write an address with its prefix, e.g. 203.0.113.7/32 or 2001:db8::/48`,
      );
    else if ((production || stack === "prod") && /^(0\.0\.0\.0|::)\/0$/.test(c))
      problems.push(
        `${key("operatorCidrs")}[${i}] "${c}" opens SSH to the whole Internet, which a production stack refuses; list the operators' own addresses`,
      );
  });
  if (stack === "prod" && !production)
    problems.push(
      `${key("production")} must be true on the prod stack: set it with: pulumi config set ${key("production")} true`,
    );
  if (serverType && !SERVER_TYPE.test(serverType))
    problems.push(
      `${key("serverType")} "${serverType}" is not a Hetzner server type name; use e.g. cx33 (4 vCPU, 8 GB)`,
    );
  if (location && !HETZNER_LOCATIONS.includes(location))
    problems.push(
      `${key("location")} "${location}" is not a Hetzner location; use one of ${HETZNER_LOCATIONS.join(", ")}`,
    );
  if (image && !UBUNTU_LTS.test(image))
    problems.push(`${key("image")} "${image}" is not an Ubuntu LTS image; use e.g. ubuntu-24.04`);
  for (const k of ["livekitImage", "caddyImage", "redisImage"] as const) {
    const img = { livekitImage, caddyImage, redisImage }[k];
    if (img && !isPinnedImage(img))
      problems.push(
        `${key(k)} "${img}" is not pinned; name an exact tag other than latest, e.g. ${String(CONFIG_FIELDS[k].default)} (optionally @sha256:<digest>)`,
      );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    stack,
    zoneName,
    livekitHost,
    turnHost,
    acmeEmail,
    sshPublicKeys,
    operatorCidrs,
    production,
    serverType,
    location,
    image,
    livekitImage,
    caddyImage,
    redisImage,
    listenersPerTour,
    tourHours,
    redundantAudio,
    peakConcurrentTours,
    supabaseProjectRef,
  };
}

/** Checks the secret settings without ever putting their values into a message. */
function secretProblems(raw: Readonly<Record<string, unknown>>, projectRef: string): string[] {
  const problems: string[] = [];
  const secretKey = (k: string) => `${CONFIG_NAMESPACE}:${k}`;
  const setSecret = (k: string) => `set it with: pulumi config set --secret ${secretKey(k)}`;
  const given = (k: string) => (typeof raw[k] === "string" && raw[k] !== "" ? (raw[k] as string) : undefined);

  const dbUrl = given("supabaseDbUrl");
  if (!dbUrl)
    problems.push(
      `${secretKey("supabaseDbUrl")} is required; ${setSecret("supabaseDbUrl")} (the pooler URL from the dashboard's Connect dialog)`,
    );
  else problems.push(...poolerUrlProblems(dbUrl, projectRef).map((p) => `${secretKey("supabaseDbUrl")} ${p}`));

  const token = given("supabaseAccessToken");
  if (!token)
    problems.push(
      `${secretKey("supabaseAccessToken")} is required; ${setSecret("supabaseAccessToken")} (a personal access token from the dashboard's Account > Access Tokens)`,
    );
  else if (!/^sbp_[A-Za-z0-9]{20,}$/.test(token))
    problems.push(
      `${secretKey("supabaseAccessToken")} is not a Supabase personal access token (they start with sbp_); ${setSecret("supabaseAccessToken")}`,
    );

  const legacy = given("supabaseLegacyJwtSecret");
  if (legacy !== undefined && legacy.length < 32)
    problems.push(
      `${secretKey("supabaseLegacyJwtSecret")} is shorter than 32 characters, so it is not the project's JWT secret; copy it from the dashboard's JWT Keys page, or unset it`,
    );
  return problems;
}

/** Migrations connect through Supabase's pooler: CI runners often have no IPv6 route to a project's direct address. */
export function poolerUrlProblems(url: string, projectRef: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return ["is not a URL; use postgresql://postgres.<ref>:<password>@<region>.pooler.supabase.com:5432/postgres"];
  }
  const problems: string[] = [];
  if (!["postgres:", "postgresql:"].includes(parsed.protocol)) problems.push("must start with postgresql://");
  if (/^db\.[a-z]+\.supabase\.co$/.test(parsed.hostname)) {
    problems.push(
      "points at the project's direct address, which is IPv6-only; use the pooler URL instead (host <region>.pooler.supabase.com, user postgres.<ref>)",
    );
  } else if (!parsed.hostname.endsWith(".pooler.supabase.com")) {
    problems.push("must point at Supabase's connection pooler (host <region>.pooler.supabase.com)");
  }
  if (projectRef && decodeURIComponent(parsed.username) !== `postgres.${projectRef}`)
    problems.push(`must log in as postgres.${projectRef}, the pooler's user for this project`);
  if (!parsed.password) problems.push("has no password");
  if (!["5432", "6543", ""].includes(parsed.port))
    problems.push("must use the pooler's port 5432 (session) or 6543 (transaction)");
  return problems;
}
