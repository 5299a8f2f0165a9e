// RED (redundant audio) decided by evidence: a listener on the lossy network
// (3 % random loss each way) with the rendered config (audio/red enabled, the
// guide publishing RED) against the same render with redundantAudio off. What
// a listener hears is the audio the decoder did not have to conceal.
import { afterAll, describe, expect, it } from "vitest";
import { nowMs } from "../../tour/audio";
import { describeIcePath } from "../../tour/icePath";
import { measureTour } from "../../tour/measure";
import { type ProbePhones, startProbePhones } from "../../tour/probes";
import { joinToken, labModel, SITES, startRunningLab } from "./lab";
import { type AudioWindow, audioWindow, formatRow, TABLE_HEADER } from "./report";

const MEASURE_MS = 10_000;
const rows: string[] = [];

async function lossyListener(red: boolean): Promise<AudioWindow> {
  const running = await startRunningLab({
    model: labModel({ redundantAudio: red }),
    sites: SITES.filter((s) => s.name === "lossy"),
  });
  const phones: ProbePhones[] = [];
  try {
    const env = { SSL_CERT_FILE: running.ca.caFile };
    const guide = startProbePhones({ netns: running.lab.ns("guide"), env });
    const ear = startProbePhones({ netns: running.lab.ns("lossy"), env });
    phones.push(guide, ear);
    await guide.guide(running.url, await joinToken("guide", "tour-red", true), { red });
    const joinMs = await ear.listen("lossy", running.url, await joinToken("listener", "tour-red", false));
    await ear.firstOnset("lossy", 20_000);
    const before = await ear.icePath("lossy");
    const from = nowMs();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const after = await ear.icePath("lossy");
    const audio = audioWindow(before.audio, after.audio, nowMs() - from);
    const window = { from, to: nowMs() - 1_000 };
    const m = measureTour({ markers: guide.markers, ears: [ear.onsets("lossy")], window, joinMs: [joinMs] });
    rows.push(formatRow(red ? "RED on" : "RED off", describeIcePath(after.path ?? undefined), joinMs, m, audio));
    expect(m.markersHeard).toBeGreaterThan(0);
    return audio;
  } finally {
    for (const p of phones) await p.stop().catch(() => {});
    await running.stop();
  }
}

describe("RED on the lossy network", () => {
  afterAll(() => {
    if (rows.length > 0) console.log([TABLE_HEADER, ...rows].join("\n"));
  });

  it("with RED the listener conceals less audio than without, for more bandwidth", async () => {
    const on = await lossyListener(true);
    const off = await lossyListener(false);
    // Both saw the same network: the router dropped packets either way.
    expect(on.packetLoss).toBeGreaterThan(0);
    expect(off.packetLoss).toBeGreaterThan(0);
    expect(on.concealed).toBeLessThan(off.concealed);
    expect(on.kbps).toBeGreaterThan(off.kbps);
  }, 150_000);
});
