// The table test:net prints: one row per listener network.
import type { ReceivedAudio } from "../../tour/icePath";
import type { TourMeasurement } from "../../tour/measure";

export interface AudioWindow {
  /** RTP packets lost on the network / packets expected, over the window. */
  readonly packetLoss: number;
  /** Samples concealed by the decoder / samples played, over the window. */
  readonly concealed: number;
  /** Audio bytes received (payload + RTP headers) per second, in kbit/s. */
  readonly kbps: number;
}

export function audioWindow(before: ReceivedAudio, after: ReceivedAudio, ms: number): AudioWindow {
  const lost = after.packetsLost - before.packetsLost;
  const received = after.packetsReceived - before.packetsReceived;
  const samples = after.totalSamplesReceived - before.totalSamplesReceived;
  return {
    packetLoss: lost + received > 0 ? lost / (lost + received) : 0,
    concealed: samples > 0 ? (after.concealedSamples - before.concealedSamples) / samples : 0,
    kbps: ((after.bytesReceived - before.bytesReceived) * 8) / ms,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export const TABLE_HEADER = [
  "site    ",
  "ICE path (listener → server)".padEnd(52),
  "    join",
  " p50/p95 ms",
  "marker loss",
  "RTP loss",
  "concealed",
  "  kbit/s",
].join(" | ");

export function formatRow(site: string, path: string, joinMs: number, m: TourMeasurement, audio: AudioWindow): string {
  return [
    site.padEnd(8),
    path.padEnd(52),
    `${Math.round(joinMs)} ms`.padStart(8),
    `${Math.round(m.latencyP50Ms)}/${Math.round(m.latencyP95Ms)}`.padStart(11),
    pct(m.lossRatio).padStart(11),
    pct(audio.packetLoss).padStart(8),
    pct(audio.concealed).padStart(9),
    audio.kbps.toFixed(1).padStart(8),
  ].join(" | ");
}
