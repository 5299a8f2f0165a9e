// The lab every net test runs in: the server at the render's public address,
// a prober and an operator on the internet, the guide, and one site per kind
// of listener network. Addresses are documentation ranges that exist only
// inside the namespaces; the host names resolve to the server in every one.
import { AccessToken } from "livekit-server-sdk";
import { createLab, type NetLab, type SiteSpec } from "../../local/netLab";
import { type LabHost, makeTestCa, startLabHost, type TestCa } from "../../local/netHost";
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
  options: { model?: HostModel; firewall?: readonly FirewallRulePlan[]; sites?: readonly SiteSpec[] } = {},
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
