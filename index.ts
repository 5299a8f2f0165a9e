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
import { nodeHostSettings } from "./plans/host";
import { networkZoneOf, planNodes, PRIVATE_NETWORK, signallingUrls } from "./plans/nodes";
import { PrivateNetwork } from "./components/network";
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
  settings,
  existsSync(benchReport) ? JSON.parse(readFileSync(benchReport, "utf8")) : undefined,
);
if (capacity) pulumi.log.warn(capacity);
const labels = { app: "roamcast", stack: settings.stack, role: "livekit" };

// One node is the single server with its names of old; more nodes share a
// private network, node 1's Redis and secrets, and deploy one at a time.
const nodes = planNodes(settings.livekitHost, settings.turnHost, settings.livekitNodes);
const network =
  nodes.length > 1
    ? new PrivateNetwork("livekit-private", {
        ...PRIVATE_NETWORK,
        networkZone: networkZoneOf(settings.location),
        labels,
        protect: settings.production,
      })
    : undefined;

interface LivekitNode {
  readonly addresses: PublicAddresses;
  readonly files: LivekitHostFiles;
  readonly host: LivekitHost;
  readonly deployment: LivekitDeployment;
}

const built: LivekitNode[] = [];
for (const node of nodes) {
  const first = built[0];
  const previous = built[built.length - 1];
  const addresses = new PublicAddresses(`livekit-ip${node.suffix}`, {
    location: settings.location,
    labels,
    protect: settings.production,
  });

  const hostSettings = nodeHostSettings(settings, node);
  const files = new LivekitHostFiles(`livekit${node.suffix}`, {
    host: hostSettings,
    publicIpv4: addresses.ipv4,
    publicIpv6: addresses.ipv6,
    alertReceiverSecret: secrets.alertReceiverSecret,
    secretsFrom: first?.files,
  });

  const host = new LivekitHost(`livekit${node.suffix}`, {
    serverType: settings.serverType,
    location: settings.location,
    image: settings.image,
    sshPublicKeys: settings.sshPublicKeys,
    operatorCidrs: settings.operatorCidrs,
    media: hostSettings.media,
    // Only while the deploy workflow's up runs: its runner's address (README, "CI").
    deployCidrs: deployCidrList(settings.deployCidrs),
    ipv4Id: addresses.ipv4Id,
    ipv6Id: addresses.ipv6Id,
    userData: files.cloudInit,
    labels,
    protect: settings.production,
    shareWith: first?.host,
    privateNetwork: network && node.privateIp ? { subnetId: network.subnetId, ip: node.privateIp } : undefined,
  });

  new DnsRecords(`livekit-dns${node.suffix}`, {
    zoneName: settings.zoneName,
    hosts: [node.livekitHost, node.turnHost],
    ipv4: addresses.ipv4,
    ipv6: addresses.ipv6,
    comment: `roamcast ${settings.stack}: LiveKit host${nodes.length > 1 ? ` ${node.index}` : ""} (managed by Pulumi)`,
  });

  const deployment = new LivekitDeployment(
    `livekit-deploy${node.suffix}`,
    {
      host: addresses.ipv4,
      privateKey: host.deployPrivateKey,
      layout: files.layout,
      contents: files.contents,
      authorizedKeys: host.authorizedKeys,
      serverId: host.serverId,
      activeTours: activeToursMode(settings),
      activeTourWaitMinutes: settings.activeTourWaitMinutes,
    },
    // After every host resource, the firewall's deploy rule for this runner
    // included; and one node at a time: node k only once node k-1 applied,
    // so a refusal by the active-tour guard on one node stops the rest.
    { dependsOn: previous ? [host, previous.deployment] : [host] },
  );
  built.push({ addresses, files, host, deployment });
}
const [node1] = built as [LivekitNode, ...LivekitNode[]];

// Each phone's token names the node its tour signals to (functions/livekit-token).
const nodeUrls = signallingUrls(nodes);
const livekitWss = nodeUrls.join(",");

const supabase = new SupabaseBackend("supabase", {
  projectRef: settings.supabaseProjectRef,
  dbUrl: secrets.supabaseDbUrl,
  accessToken: secrets.supabaseAccessToken,
  legacyJwtSecret: secrets.supabaseLegacyJwtSecret,
  migrations: readMigrations(`${__dirname}/migrations`),
  functionSources: Object.fromEntries(EDGE_FUNCTIONS.map((fn) => [fn.name, readFunctionSources(fn.name)])),
  livekit: { url: livekitWss, apiKey: node1.files.apiKey, apiSecret: node1.files.apiSecret },
  tokenMaxSeconds: tokenMaxSeconds(settings.tourHours),
  allowDataLoss: settings.allowDataLossMigrations,
});

export const livekitUrl = pulumi.output(nodeUrls[0]!);
export const turnHost = settings.turnHost;
export const ipv4 = node1.addresses.ipv4;
export const ipv6 = node1.addresses.ipv6;
export const serverId = node1.host.serverId;
export const apiKey = node1.files.apiKey;
export const apiSecret = node1.files.apiSecret;
/** Every node's signalling URL, public IPv4 and server id, node 1 first. */
export const livekitNodes = built.map((n, i) => ({
  url: nodeUrls[i]!,
  ipv4: n.addresses.ipv4,
  serverId: n.host.serverId,
}));
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
