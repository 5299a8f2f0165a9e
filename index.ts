// Composition root of the Roamcast platform stack: config and project files
// in, components wired together, outputs out. Logic lives in config/, plans/,
// templates/, db/ and components/.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PublicAddresses } from "./components/addresses";
import { LivekitDeployment } from "./components/deployment";
import { DnsRecords } from "./components/dns";
import { capacityWarning } from "./plans/capacity";
import { hostSettings } from "./plans/host";
import { LivekitHost } from "./components/host";
import { LivekitHostFiles } from "./components/hostFiles";
import { readMigrations } from "./db/migrations";
import { SupabaseBackend } from "./components/supabase";
import {
  EDGE_FUNCTIONS,
  functionSourceDirs,
  type SourceFile,
  supabaseUrl as supabaseUrlOf,
  tokenMaxSeconds,
  webhookUrl,
} from "./plans/supabase";
import { loadStackConfig } from "./config";
import { deployCidrList } from "./config/operatorRanges";
import { activeToursMode } from "./config/activeTours";

const { settings, secrets } = loadStackConfig();

// Sizing against what the benchmark measured: a warning in every preview.
const benchReport = join(__dirname, "bench", "results", "capacity.json");
const capacity = capacityWarning(
  // livekitNodes is the multinode branch's setting; until it lands here, one server (lead: settings.livekitNodes).
  { ...settings, livekitNodes: 1 },
  existsSync(benchReport) ? JSON.parse(readFileSync(benchReport, "utf8")) : undefined,
);
if (capacity) pulumi.log.warn(capacity);
const labels = { app: "roamcast", stack: settings.stack, role: "livekit" };

const addresses = new PublicAddresses("livekit-ip", {
  location: settings.location,
  labels,
  protect: settings.production,
});

const livekit = new LivekitHostFiles("livekit", {
  host: hostSettings(settings),
  publicIpv4: addresses.ipv4,
  publicIpv6: addresses.ipv6,
  alertReceiverSecret: secrets.alertReceiverSecret,
});

const host = new LivekitHost("livekit", {
  serverType: settings.serverType,
  location: settings.location,
  image: settings.image,
  sshPublicKeys: settings.sshPublicKeys,
  operatorCidrs: settings.operatorCidrs,
  // Only while the deploy workflow's up runs: its runner's address (README, "CI").
  deployCidrs: deployCidrList(settings.deployCidrs),
  ipv4Id: addresses.ipv4Id,
  ipv6Id: addresses.ipv6Id,
  userData: livekit.cloudInit,
  labels,
  protect: settings.production,
});

new DnsRecords("livekit-dns", {
  zoneName: settings.zoneName,
  hosts: [settings.livekitHost, settings.turnHost],
  ipv4: addresses.ipv4,
  ipv6: addresses.ipv6,
  comment: `roamcast ${settings.stack}: LiveKit host (managed by Pulumi)`,
});

new LivekitDeployment(
  "livekit-deploy",
  {
    host: addresses.ipv4,
    privateKey: host.deployPrivateKey,
    contents: livekit.contents,
    authorizedKeys: host.authorizedKeys,
    serverId: host.serverId,
    activeTours: activeToursMode(settings),
    activeTourWaitMinutes: settings.activeTourWaitMinutes,
  },
  // After every host resource, the firewall's deploy rule for this runner included.
  { dependsOn: [host] },
);

const livekitWss = `wss://${settings.livekitHost}`;

const supabase = new SupabaseBackend("supabase", {
  projectRef: settings.supabaseProjectRef,
  dbUrl: secrets.supabaseDbUrl,
  accessToken: secrets.supabaseAccessToken,
  legacyJwtSecret: secrets.supabaseLegacyJwtSecret,
  migrations: readMigrations(`${__dirname}/migrations`),
  functionSources: Object.fromEntries(EDGE_FUNCTIONS.map((fn) => [fn.name, readFunctionSources(fn.name)])),
  livekit: { url: livekitWss, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret },
  tokenMaxSeconds: tokenMaxSeconds(settings.tourHours),
  allowDataLoss: settings.allowDataLossMigrations,
});

export const livekitUrl = pulumi.output(livekitWss);
export const turnHost = settings.turnHost;
export const ipv4 = addresses.ipv4;
export const ipv6 = addresses.ipv6;
export const serverId = host.serverId;
export const apiKey = livekit.apiKey;
export const apiSecret = livekit.apiSecret;
export const supabaseUrl = supabaseUrlOf(settings.supabaseProjectRef);
export const livekitWebhookUrl = webhookUrl(settings.supabaseProjectRef);
export const appliedMigrations = supabase.appliedMigrations;

/** A function's files as deployed, by path relative to functions/. */
function readFunctionSources(name: string): SourceFile[] {
  const root = join(__dirname, "functions");
  const walk = (dir: string): SourceFile[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? walk(path) : [{ path: relative(root, path), content: readFileSync(path) }];
    });
  return functionSourceDirs(name).flatMap((dir) => walk(join(root, dir)));
}
