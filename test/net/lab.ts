// The lab every net test runs in: the server at the render's public address,
// a prober and an operator on the internet, the guide, and one site per kind
// of listener network. Addresses are documentation ranges that exist only
// inside the namespaces; the host names resolve to the server in every one.
import { AccessToken } from "livekit-server-sdk";
import { createLab, type NetLab, type SiteSpec } from "../../local/netLab";
import { ContinualGatheringPolicy, IceServer, IceTransportType, type RtcConfiguration } from "@livekit/rtc-node";
import { type LabHost, type LabHostOptions, makeTestCa, startLabHost, type TestCa } from "../../local/netHost";
import { type Running, systemTool } from "../../local/processes";
import { turnCredentials } from "../support/turnCredentials";
import type { FirewallRulePlan } from "../../plans/firewall";
import type { HostModel } from "../../templates";
import { TEST_SECRETS, testModel } from "../support/fixtures";

export const LAB_PREFIX = "rcnet-";
export const SERVER_IP = "198.51.100.20";
export const PROBER_IP = "203.0.113.2";
export const GUIDE_IP = "203.0.113.5";
export const OPERATOR_IP = "203.0.113.250";

export const SITES: readonly SiteSpec[] = [
  { name: "mobile", publicAddress: "203.0.113.11", lanIndex: 1, policy: "nat" },
  { name: "office", publicAddress: "203.0.113.12", lanIndex: 2, policy: "no-udp" },
  { name: "hotel", publicAddress: "203.0.113.13", lanIndex: 3, policy: "tcp443-only" },
  { name: "lossy", publicAddress: "203.0.113.14", lanIndex: 4, policy: "nat", lossPercent: 3 },
];

/** The stack's host model with the lab's names (a test zone) and the server's address. */
export function labModel(overrides: Partial<HostModel> = {}): HostModel {
  return testModel({
    livekitHost: "live.roamcast.test",
    turnHost: "turn.roamcast.test",
    publicIpv4: SERVER_IP,
    ...overrides,
  });
}

export interface RunningLab {
  readonly lab: NetLab;
  readonly host: LabHost;
  readonly ca: TestCa;
  readonly model: HostModel;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startRunningLab(
  options: {
    model?: HostModel;
    firewall?: readonly FirewallRulePlan[];
    sites?: readonly SiteSpec[];
    files?: LabHostOptions["files"];
  } = {},
): Promise<RunningLab> {
  const model = options.model ?? labModel();
  const lab = createLab({
    prefix: LAB_PREFIX,
    hosts: { [model.livekitHost]: model.publicIpv4, [model.turnHost]: model.publicIpv4 },
    publicHosts: { server: SERVER_IP, prober: PROBER_IP, guide: GUIDE_IP, operator: OPERATOR_IP },
    sites: options.sites ?? SITES,
  });
  try {
    const ca = makeTestCa([model.livekitHost, model.turnHost]);
    const host = await startLabHost({
      lab,
      server: "server",
      model,
      ca,
      operatorCidrs: [`${OPERATOR_IP}/32`],
      firewall: options.firewall,
      files: options.files,
    });
    return {
      lab,
      host,
      ca,
      model,
      url: `wss://${model.livekitHost}`,
      async stop() {
        await host.stop();
        lab.destroy();
      },
    };
  } catch (error) {
    lab.destroy();
    throw error;
  }
}

export async function joinToken(identity: string, room: string, publish: boolean): Promise<string> {
  const token = new AccessToken(TEST_SECRETS.apiKey, TEST_SECRETS.apiSecret, { identity, ttl: "10m" });
  token.addGrant({ roomJoin: true, room, canPublish: publish, canSubscribe: !publish });
  return token.toJwt();
}

const TURN_WRAPPER_PORT = 3478;

/**
 * rtc-node's libwebrtc trusts only its compiled-in roots for turns: (never
 * the test CA), so a listener reaches TURN/TLS on 443 through a TLS wrapper in
 * its own namespace that verifies the test CA and sends the TURN name as SNI:
 * Caddy's SNI route, its proxy to <public IPv4>:5349 and LiveKit's relay are
 * the production path; only the TLS client is socat instead of libwebrtc. The
 * listener's own ICE servers replace LiveKit's, relay only.
 */
export function startTurnWrapper(running: RunningLab, site: string): { rtcConfig: RtcConfiguration; wrapper: Running } {
  const client = running.lab.siteClientAddress(site);
  const turnHost = running.model.turnHost;
  const wrapper = running.lab.spawn(site, systemTool("socat", "socat"), [
    `TCP-LISTEN:${TURN_WRAPPER_PORT},bind=${client},reuseaddr,fork`,
    `OPENSSL:${turnHost}:443,cafile=${running.ca.caFile},verify=1,snihost=${turnHost}`,
  ]);
  const expiry = Math.floor(Date.now() / 1000) + 600;
  const credentials = turnCredentials(TEST_SECRETS.apiKey, TEST_SECRETS.apiSecret, `PA_${site}Probe`, expiry);
  const rtcConfig = {
    iceTransportType: IceTransportType.TRANSPORT_RELAY,
    continualGatheringPolicy: ContinualGatheringPolicy.GATHER_ONCE,
    iceServers: [new IceServer({ urls: [`turn:${client}:${TURN_WRAPPER_PORT}?transport=tcp`], ...credentials })],
  };
  return { rtcConfig, wrapper };
}
