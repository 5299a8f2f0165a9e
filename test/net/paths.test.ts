// Listeners on real network paths reach the guide through the rendered
// firewall, Caddy and LiveKit: each site's listener must hear the guide, and
// the ICE path it used is read from its WebRTC stats.
import type { RtcConfiguration } from "@livekit/rtc-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Running } from "../../local/processes";
import { describeIcePath, type IcePath } from "../../tour/icePath";
import { type AudioWindow, audioWindow, formatRow, TABLE_HEADER } from "./report";
import { measureTour, type TourMeasurement } from "../../tour/measure";
import { nowMs } from "../../tour/audio";
import { type ProbePhones, startProbePhones } from "../../tour/probes";
import { type RunningLab, SERVER_IP, SITES, startRunningLab, startTurnWrapper } from "./lab";
import { startTokenFunction, type TokenFunction } from "./tokens";

const SITE_NAMES = SITES.map((s) => s.name);
const MEASURE_MS = 6_000;

interface SiteResult {
  readonly site: string;
  readonly path: IcePath | null;
  /** Over the measured window. */
  readonly audio: AudioWindow;
  readonly joinMs: number;
  readonly measurement: TourMeasurement;
}

describe("listeners on real network paths", () => {
  let running: RunningLab;
  let guide: ProbePhones;
  let tokens: TokenFunction;
  const phones: ProbePhones[] = [];
  const results = new Map<string, SiteResult>();
  const wrappers: Running[] = [];

  beforeAll(async () => {
    running = await startRunningLab();
    tokens = await startTokenFunction(running.url, SITE_NAMES.length);
    const grant = await tokens.requestToken(tokens.guide);
    expect(grant).toMatchObject({ role: "guide", url: running.url });
    guide = startProbePhones({ netns: running.lab.ns("guide"), env: { SSL_CERT_FILE: running.ca.caFile } });
    await guide.guide(grant.url, grant.token);
  }, 120_000);

  afterAll(async () => {
    for (const p of [...phones, guide]) await p?.stop().catch(() => {});
    for (const w of wrappers) await w.stop();
    await running?.stop();
    await tokens?.stop();
    if (results.size > 0) printTable([...results.values()]);
  }, 60_000);

  async function listenFrom(site: string, rtcConfig?: RtcConfiguration): Promise<SiteResult> {
    const ear = startProbePhones({ netns: running.lab.ns(site), env: { SSL_CERT_FILE: running.ca.caFile } });
    phones.push(ear);
    const grant = await tokens.requestToken(tokens.listeners[SITE_NAMES.indexOf(site)]!);
    expect(grant.role).toBe("listener");
    const joinMs = await ear.listen(site, grant.url, grant.token, rtcConfig);
    await ear.firstOnset(site, 20_000);
    const before = await ear.icePath(site);
    const from = nowMs();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const after = await ear.icePath(site);
    // Markers sent in the last second may still be on their way.
    const window = { from, to: nowMs() - 1_000 };
    const measurement = measureTour({ markers: guide.markers, ears: [ear.onsets(site)], window, joinMs: [joinMs] });
    const audio = audioWindow(before.audio, after.audio, nowMs() - from);
    const result = { site, path: after.path, audio, joinMs, measurement };
    results.set(site, result);
    await ear.stop();
    return result;
  }

  it("mobile (NAT, UDP allowed): direct media over UDP to the server's media ports", async () => {
    const { path, measurement } = await listenFrom("mobile");
    expect(path).toMatchObject({ localProtocol: "udp", remoteType: "host", remoteAddress: SERVER_IP });
    expect(path!.localType).not.toBe("relay");
    expect(path!.remotePort).toBeGreaterThanOrEqual(50_000);
    expect(path!.remotePort).toBeLessThanOrEqual(60_000);
    expect(measurement.lossRatio).toBeLessThan(0.05);
  }, 60_000);

  it("office (UDP blocked): ICE over TCP 7881", async () => {
    const { path, measurement } = await listenFrom("office");
    expect(path).toMatchObject({ localProtocol: "tcp", remoteAddress: SERVER_IP, remotePort: 7881 });
    expect(measurement.lossRatio).toBeLessThan(0.05);
  }, 60_000);

  // TURN/TLS through a TLS wrapper in the listener's namespace: see startTurnWrapper.
  it("hotel (only TCP 443 leaves): relayed by LiveKit's TURN through Caddy's SNI route on 443", async () => {
    const { rtcConfig, wrapper } = startTurnWrapper(running, "hotel");
    wrappers.push(wrapper);
    const { path, measurement } = await listenFrom("hotel", rtcConfig);
    expect(path).toMatchObject({ localType: "relay", relayProtocol: "tcp" });
    expect(measurement.lossRatio).toBeLessThan(0.05);
  }, 60_000);

  // 3 % random loss each way (no delay or jitter: this kernel has no sch_netem).
  it("lossy (3 % loss each way): still hears the guide over UDP", async () => {
    const { path, measurement } = await listenFrom("lossy");
    expect(path).toMatchObject({ localProtocol: "udp", remoteAddress: SERVER_IP });
    expect(measurement.lossRatio).toBeLessThan(0.2);
  }, 60_000);
});

function printTable(rows: readonly SiteResult[]): void {
  console.log(
    [
      TABLE_HEADER,
      ...rows.map((r) => formatRow(r.site, describeIcePath(r.path ?? undefined), r.joinMs, r.measurement, r.audio)),
    ].join("\n"),
  );
}
