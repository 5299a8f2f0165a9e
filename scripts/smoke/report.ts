// The smoke run's verdict and its printout: pure, so the thresholds and the
// wording are tested without a server.
import { lossRatio } from "../../tour/measure";
import { percentile } from "../../tour/stats";

export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  /** What was seen: a figure on success, the reason on failure. */
  readonly detail: string;
}

export interface SmokeFigures {
  readonly listeners: number;
  readonly tokenMs: readonly number[];
  readonly joinMs: readonly number[];
  readonly latencyMs: readonly number[];
  readonly markersExpected: number;
  readonly markersHeard: number;
  readonly rejoinMs?: number;
}

export interface SmokeThresholds {
  /** The audio latency's p95 must stay under this (the product's promise is 200 ms). */
  readonly maxLatencyP95Ms: number;
  /** Share of markers the listeners may miss. */
  readonly maxLoss: number;
}

export const DEFAULT_THRESHOLDS: SmokeThresholds = { maxLatencyP95Ms: 200, maxLoss: 0.02 };

/** The audio checks the figures decide; a run without audio figures fails them. */
export function audioChecks(figures: SmokeFigures, thresholds: SmokeThresholds): SmokeCheck[] {
  const p95 = percentile(figures.latencyMs, 95);
  const loss = lossRatio(figures.markersExpected, figures.markersHeard);
  return [
    {
      name: `audio latency p95 under ${thresholds.maxLatencyP95Ms} ms`,
      ok: Number.isFinite(p95) && p95 < thresholds.maxLatencyP95Ms,
      detail: Number.isFinite(p95) ? `p95 ${p95.toFixed(0)} ms` : "no marker was heard",
    },
    {
      name: `audio loss under ${(thresholds.maxLoss * 100).toFixed(1)} %`,
      ok: figures.markersExpected > 0 && loss < thresholds.maxLoss,
      detail: `${figures.markersHeard} of ${figures.markersExpected} markers heard`,
    },
  ];
}

const pair = (values: readonly number[], unit: string) =>
  values.length ? `${percentile(values, 50).toFixed(0)} / ${percentile(values, 95).toFixed(0)} ${unit}` : "n/a";

export function formatSmokeReport(
  stack: string,
  checks: readonly SmokeCheck[],
  figures: SmokeFigures | undefined,
): string {
  const passed = checks.length > 0 && checks.every((c) => c.ok);
  const lines = [`Roamcast smoke test — stack ${stack}`, ""];
  for (const c of checks) lines.push(`  ${c.ok ? "PASS" : "FAIL"}  ${c.name}${c.detail ? ` — ${c.detail}` : ""}`);
  if (figures) {
    lines.push(
      "",
      `  listeners                 ${figures.listeners}`,
      `  token request p50 / p95   ${pair(figures.tokenMs, "ms")}`,
      `  join p50 / p95            ${pair(figures.joinMs, "ms")}`,
      `  audio latency p50 / p95   ${pair(figures.latencyMs, "ms")}`,
      `  audio loss                ${figures.markersExpected ? `${(lossRatio(figures.markersExpected, figures.markersHeard) * 100).toFixed(2)} % (${figures.markersHeard} of ${figures.markersExpected} markers)` : "n/a"}`,
      `  rejoin (token + join)     ${figures.rejoinMs === undefined ? "n/a" : `${figures.rejoinMs.toFixed(0)} ms`}`,
    );
  }
  lines.push(
    "",
    passed ? "SMOKE PASSED" : `SMOKE FAILED (${checks.filter((c) => !c.ok).length} of ${checks.length} checks failed)`,
  );
  return lines.join("\n");
}

export function smokePassed(checks: readonly SmokeCheck[]): boolean {
  return checks.length > 0 && checks.every((c) => c.ok);
}
