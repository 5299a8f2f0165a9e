// Break one thing at a time and watch the listener fail: each broken variant
// is the real renderer's output with one field changed, run in a fresh lab.
import type { RtcConfiguration } from "@livekit/rtc-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Running } from "../../local/processes";
import { planFirewallRules } from "../../plans/firewall";
import { PORTS, publicPorts } from "../../templates";
import { caddyConfig } from "../../templates/caddy";
import { livekitConfig } from "../../templates/livekit";
import { toYaml } from "../../templates/yaml";
import { type ProbePhones, startProbePhones } from "../../tour/probes";
import type { SiteSpec } from "../../local/netLab";
import { joinToken, labModel, OPERATOR_IP, type RunningLab, SITES, startRunningLab, startTurnWrapper } from "./lab";

const ROOM = "tour-broken";
const JOIN_TIMEOUT_MS = 15_000;
const model = labModel();

/** A fresh lab with one broken piece; its guide, listeners and wrappers all stopped afterwards. */
function brokenLab(options: Parameters<typeof startRunningLab>[0]) {
  const state = {
    running: undefined as RunningLab | undefined,
    phones: [] as ProbePhones[],
    wrappers: [] as Running[],
  };
  beforeAll(async () => {
    state.running = await startRunningLab(options);
  }, 90_000);
  afterAll(async () => {
    for (const p of state.phones) await p.stop().catch(() => {});
    for (const w of state.wrappers) await w.stop();
    await state.running?.stop();
  }, 60_000);
  const phonesIn = (ns: string) => {
    const p = startProbePhones({
      netns: state.running!.lab.ns(ns),
      env: { SSL_CERT_FILE: state.running!.ca.caFile },
      timeoutMs: JOIN_TIMEOUT_MS,
    });
    state.phones.push(p);
    return p;
  };
  return {
    state,
    /** Starts the guide in its namespace; resolves once it publishes. */
    async guide() {
      await phonesIn("guide").guide(state.running!.url, await joinToken("guide", ROOM, true));
    },
    /** "heard", or why not: the join failed, or no marker arrived in time. */
    async listen(site: string, rtcConfig?: RtcConfiguration): Promise<string> {
      const ear = phonesIn(site);
      let outcome: string;
      try {
        await ear.listen(site, state.running!.url, await joinToken(`listener-${site}`, ROOM, false), rtcConfig);
        outcome = await ear.firstOnset(site, JOIN_TIMEOUT_MS).then(
          () => "heard",
          (error: unknown) => `not heard: ${String(error)}`,
        );
      } catch (error) {
        outcome = `join failed: ${String(error)}`;
      }
      console.log(`${site}: ${outcome}`);
      return outcome;
    },
    hotelRtcConfig() {
      const { rtcConfig, wrapper } = startTurnWrapper(state.running!, "hotel");
      state.wrappers.push(wrapper);
      return rtcConfig;
    },
  };
}

describe("firewall plan without 443/tcp and 3478/udp", () => {
  const ports = publicPorts().filter((p) => p.from !== PORTS.https && p.from !== PORTS.turnUdp);
  const lab = brokenLab({ firewall: planFirewallRules(ports, [`${OPERATOR_IP}/32`]), sites: [site("hotel")] });

  it("the hotel listener cannot join", async () => {
    expect(ports).toHaveLength(publicPorts().length - 2);
    expect(await lab.listen("hotel", lab.hotelRtcConfig())).toMatch(/^join failed/);
  }, 60_000);
});

describe("Caddy's TURN route sent to the wrong port", () => {
  const config = caddyConfig(model) as { apps: { layer4: { servers: { main: { routes: Route[] } } } } };
  const route = config.apps.layer4.servers.main.routes[0]!;
  const wrongDial = `${model.publicIpv4}:${PORTS.turnTls + 1}`;
  route.handle[1]!.upstreams[0]!.dial = [wrongDial];
  const lab = brokenLab({ files: { "caddy.yaml": toYaml(config) }, sites: [site("hotel"), site("mobile")] });

  it("the hotel listener fails, while a mobile listener in the same lab hears the guide", async () => {
    expect(route.match[0]!.tls.sni).toEqual([model.turnHost]);
    await lab.guide();
    expect(await lab.listen("mobile")).toBe("heard");
    expect(await lab.listen("hotel", lab.hotelRtcConfig())).not.toBe("heard");
  }, 90_000);
});

describe("livekit.yaml with a wrong node_ip", () => {
  const config = livekitConfig(model);
  const wrong = { ...config, rtc: { ...config.rtc, node_ip: "198.51.100.99" } };
  const lab = brokenLab({ files: { "livekit.yaml": toYaml(wrong) }, sites: [site("mobile")] });

  it("media fails: the mobile listener never hears the guide", async () => {
    const guide = lab.guide().then(
      () => "published",
      (e: unknown) => String(e),
    );
    expect(await lab.listen("mobile")).not.toBe("heard");
    // The guide's own connection fails the same way; only let it settle.
    await guide;
  }, 90_000);
});

interface Route {
  match: { tls: { sni: string[] } }[];
  handle: { handler: string; upstreams: { dial: string[] }[] }[];
}

function site(name: string): SiteSpec {
  const found = SITES.find((s) => s.name === name);
  if (!found) throw new Error(`no site ${name} in the lab`);
  return found;
}
