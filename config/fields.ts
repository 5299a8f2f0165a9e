// The stack's settings: every key, its type, default, parse rule and example,
// in one table. Pulumi.yaml declares the same keys (a test keeps the two
// equal), and StackSettings is derived from this table, so a new key is
// written once here and once in Pulumi.yaml. Nothing here imports @pulumi/pulumi.

export const CONFIG_NAMESPACE = "roamcast";

export type ConfigType = "string" | "integer" | "boolean" | "array";

interface CommonSpec {
  readonly description: string;
  /** Set with `pulumi config set --secret`; never part of StackSettings. */
  readonly secret?: boolean;
  /** A key without a default that may stay unset. */
  readonly optional?: boolean;
}

export interface StringSpec extends CommonSpec {
  readonly type: "string";
  /** Absent means the key is required. */
  readonly default?: string;
  /** The value the "set it with" hint shows; the default when absent. */
  readonly example?: string;
  /** DNS names compare lower-case and without the root's trailing dot. */
  readonly normalise?: "hostName";
}

export interface IntegerSpec extends CommonSpec {
  readonly type: "integer";
  readonly default?: number;
  readonly min: number;
  readonly max: number;
  /** The value the "set it with" hint shows, when a wrong value deserves one. */
  readonly example?: number;
}

export interface BooleanSpec extends CommonSpec {
  readonly type: "boolean";
  readonly default?: boolean;
}

export interface ListSpec extends CommonSpec {
  readonly type: "array";
  readonly default?: readonly string[];
  readonly example: string;
  /** Once valid, each item is stored in its one canonical spelling (e.g. "0::0/0" as "::/0"). */
  readonly canonical?: "cidr";
}

export type FieldSpec = StringSpec | IntegerSpec | BooleanSpec | ListSpec;

export const CONFIG_FIELDS = {
  zoneName: {
    type: "string",
    example: "roamcast.app",
    normalise: "hostName",
    description: "Cloudflare zone (apex domain) that holds the LiveKit and TURN host names, e.g. roamcast.app.",
  },
  livekitHost: {
    type: "string",
    example: "live.roamcast.app",
    normalise: "hostName",
    description:
      "Host name clients use for LiveKit signalling over WSS, e.g. live.roamcast.app. Must be inside zoneName.",
  },
  turnHost: {
    type: "string",
    example: "turn.roamcast.app",
    normalise: "hostName",
    description:
      "Host name of the TURN/TLS relay, e.g. turn.roamcast.app. Inside zoneName, and different from livekitHost.",
  },
  acmeEmail: {
    type: "string",
    example: "ops@roamcast.app",
    description: "E-mail address Caddy registers with Let's Encrypt for the two certificates.",
  },
  sshPublicKeys: {
    type: "array",
    example: "'ssh-ed25519 AAAA... alice@laptop'",
    description: "Operators' SSH public keys (OpenSSH format) allowed to log in as root.",
  },
  operatorCidrs: {
    type: "array",
    example: "203.0.113.7/32",
    canonical: "cidr",
    description: "Source addresses (CIDR) allowed to reach SSH on 22/tcp. Never 0.0.0.0/0 or ::/0 in production.",
  },
  deployCidrs: {
    type: "string",
    default: "",
    example: "198.51.100.7/32",
    description:
      "Set by the deploy workflow for one up: its runner's own address (/32 or /128, comma-separated), to which SSH is opened alone; empty otherwise.",
  },
  production: {
    type: "boolean",
    default: false,
    description: "Production stack: delete and rebuild protection on, SSH from anywhere refused.",
  },
  retire: {
    type: "boolean",
    default: false,
    description:
      "Only on the prod stack, together with production false: acknowledges that protection comes off so the server can be destroyed.",
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
  prometheusImage: {
    type: "string",
    default: "prom/prometheus:v3.16.0",
    description: "Prometheus container image (monitoring, loopback only), pinned by tag (and optionally digest).",
  },
  alertmanagerImage: {
    type: "string",
    default: "prom/alertmanager:v0.35.0",
    description: "Alertmanager container image, pinned by tag (and optionally digest).",
  },
  nodeExporterImage: {
    type: "string",
    default: "prom/node-exporter:v1.12.1",
    description: "Prometheus node_exporter image (CPU, memory, disk, network, UDP buffer errors), pinned by tag.",
  },
  redisExporterImage: {
    type: "string",
    default: "oliver006/redis_exporter:v1.90.0",
    description: "Redis exporter image (redis_up and Redis memory), pinned by tag (and optionally digest).",
  },
  blackboxExporterImage: {
    type: "string",
    default: "prom/blackbox-exporter:v0.27.0",
    description: "Blackbox exporter image (TLS probes of both names on 443, certificate expiry), pinned by tag.",
  },
  alertEmail: {
    type: "string",
    default: "",
    example: "oncall@roamcast.app",
    description:
      "E-mail address Alertmanager sends alerts to, through alertSmtpSmarthost. Set this (with the alertSmtp* keys) or the secret alertWebhookUrl, not both.",
  },
  alertSmtpSmarthost: {
    type: "string",
    default: "",
    example: "smtp.example.net:587",
    description: "host:port of the SMTP server that sends alert e-mail (STARTTLS required). Only with alertEmail.",
  },
  alertSmtpFrom: {
    type: "string",
    default: "",
    example: "alerts@roamcast.app",
    description: "Sender address of alert e-mail. Only with alertEmail.",
  },
  alertSmtpUsername: {
    type: "string",
    default: "",
    example: "alerts@roamcast.app",
    description: "SMTP login for alert e-mail; its password is the secret alertSmtpPassword. Only with alertEmail.",
  },
  monthlyTrafficTb: {
    type: "integer",
    default: 20,
    min: 1,
    max: 1000,
    description:
      "Outgoing traffic (TB a month) the server's price includes: 20 for every cloud server type in Hetzner's EU locations (cx33 included); less in the US and Singapore. An alert fires when the month is on course to exceed it.",
  },
  listenersPerTour: {
    type: "integer",
    default: 30,
    min: 1,
    max: 500,
    description: "Most listeners on one tour; sizes the room's participant limit.",
  },
  tourHours: {
    type: "integer",
    default: 3,
    min: 1,
    max: 12,
    description: "Longest tour in hours; tokens and room timeouts are sized for it.",
  },
  redundantAudio: {
    type: "boolean",
    default: true,
    description:
      "Allow Opus RED (redundant audio): about twice the bandwidth per listener, far fewer audible gaps on lossy mobile links.",
  },
  mediaPorts: {
    type: "string",
    default: "mux",
    example: "range",
    description:
      "How LiveKit takes its UDP media ports: mux (every connection shares one port per vCPU from 50000, with batched writes: the capacity benchmark's cheaper setting) or range (one port per connection, anywhere in 50000-60000; LiveKit's own default). The firewall opens 50000-60000 in both, so switching never changes it.",
  },
  peakConcurrentTours: {
    type: "integer",
    default: 20,
    min: 1,
    max: 10_000,
    description:
      "Most tours expected at once; pulumi preview warns when the stack's LiveKit servers cannot carry them (figures from bench/results).",
  },
  toursPerMonth: {
    type: "integer",
    default: 1000,
    min: 1,
    max: 1_000_000,
    description:
      "Tours in the season's busiest month, all servers together: the traffic bound of the planner (each server includes monthlyTrafficTb). 1000 is the default peak of 20 at once for about five hours a day.",
  },
  livekitNodes: {
    type: "integer",
    default: 1,
    min: 1,
    max: 10,
    example: 2,
    description:
      "How many LiveKit servers: 1 is the single server; more run LiveKit's multi-node mode over one Redis on node 1, in a private network (README: More than one server).",
  },
  activeTours: {
    type: "string",
    default: "",
    example: "wait",
    description:
      "When a change would restart LiveKit while rooms have people in them: refuse (the up fails, nothing restarts), wait (up to activeTourWaitMinutes for them to empty, then refuse) or force (restart; they drop). Empty: refuse on a production stack, wait otherwise.",
  },
  activeTourWaitMinutes: {
    type: "integer",
    default: 30,
    min: 1,
    max: 180,
    description: "How long activeTours wait waits for occupied rooms to empty before it refuses the change.",
  },
  supabaseProjectRef: {
    type: "string",
    example: "abcdefghijklmnopqrst",
    description:
      "Supabase project reference (the 20 letters in https://<ref>.supabase.co) that holds the tours and the edge functions.",
  },
  allowDataLossMigrations: {
    type: "array",
    default: [],
    example: "20261125100100_livekit_rooms",
    description:
      "Migrations (id or 14-digit version) whose down SQL may delete rows when reverted; empty: every destructive revert refuses while data is there.",
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
  alertSmtpPassword: {
    type: "string",
    secret: true,
    optional: true,
    description: "Secret, with alertEmail. Password of alertSmtpUsername on alertSmtpSmarthost.",
  },
  alertWebhookUrl: {
    type: "string",
    secret: true,
    optional: true,
    description:
      "Secret, instead of alertEmail. https URL that receives Alertmanager's webhook JSON (it often carries a token, hence secret).",
  },
} as const satisfies Record<string, FieldSpec>;

type Fields = typeof CONFIG_FIELDS;
export type ConfigKey = keyof Fields;

/** The keys that end up in StackSettings: every key but the secrets. */
export type SettingKey = { [K in ConfigKey]: Fields[K] extends { readonly secret: true } ? never : K }[ConfigKey];

type ValueOf<S> = S extends { readonly type: "string" }
  ? string
  : S extends { readonly type: "integer" }
    ? number
    : S extends { readonly type: "boolean" }
      ? boolean
      : S extends { readonly type: "array" }
        ? readonly string[]
        : never;

/** Validated, typed stack settings: the stack's name and each non-secret key of CONFIG_FIELDS. */
export type StackSettings = { readonly stack: string } & { readonly [K in SettingKey]: ValueOf<Fields[K]> };

export const SETTING_KEYS = (Object.keys(CONFIG_FIELDS) as ConfigKey[]).filter(
  (k): k is SettingKey => !(CONFIG_FIELDS[k] as FieldSpec).secret,
);

export const fullKey = (k: string) => `${CONFIG_NAMESPACE}:${k}`;
