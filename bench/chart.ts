// The benchmark's chart: Vega-Lite spec → Vega SVG (headless) → PNG (resvg,
// whose binary ships in its npm package). With paired rounds: the baseline's
// ramp, then every lever's ratio to its round's baseline.
import { Resvg } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite";
import { usable } from "./fit";

/** What the chart plots of each lever: its name and, per step, listeners against LiveKit's CPU and latency. */
export interface ChartLever {
  readonly name: string;
  readonly steps: readonly {
    readonly listeners: number;
    readonly livekitCpuCores: number;
    readonly latencyP95Ms: number;
    readonly valid: boolean;
    readonly crowdSilent: number;
    readonly crowdListeners: number;
  }[];
}

/** A lever in the paired rounds: its ratio to its round's baseline, per round, and their median. */
export interface ChartPaired {
  readonly name: string;
  readonly ratios: readonly number[];
  readonly medianRatio: number;
}

/** Each lever's ratios as points on a row of its own, the median as a tick, and a rule at 1 (the baseline). */
function ratioPanel(paired: readonly ChartPaired[]) {
  const points = paired.flatMap((p) => p.ratios.map((ratio, i) => ({ lever: p.name, ratio, round: i + 1 })));
  const medians = paired
    .filter((p) => Number.isFinite(p.medianRatio))
    .map((p) => ({ lever: p.name, ratio: p.medianRatio }));
  const y = {
    field: "lever",
    type: "nominal",
    title: null,
    sort: paired.map((p) => p.name),
    axis: { labelLimit: 320 },
  };
  const x = {
    field: "ratio",
    type: "quantitative",
    title: "LiveKit CPU per listener ÷ its round's baseline",
    scale: { zero: false },
  };
  return {
    title: "Each lever against the baseline of its own round (dots: rounds; bar: median; left of 1 is cheaper)",
    width: 620,
    height: 28 * paired.length,
    layer: [
      { data: { values: points }, mark: { type: "point", filled: true, size: 50, opacity: 0.7 }, encoding: { x, y } },
      { data: { values: medians }, mark: { type: "tick", thickness: 3, color: "#000" }, encoding: { x, y } },
      { mark: { type: "rule", strokeDash: [4, 4], color: "#c00" }, encoding: { x: { datum: 1 } } },
    ],
  };
}

function chartSpec(levers: readonly ChartLever[], paired?: readonly ChartPaired[]): TopLevelSpec {
  const valid = levers.flatMap((l) => l.steps.filter(usable).map((s) => ({ lever: l.name, ...s })));
  const cpu = valid.map((s) => ({ lever: s.lever, listeners: s.listeners, value: s.livekitCpuCores * 100 }));
  const latency = valid
    .filter((s) => Number.isFinite(s.latencyP95Ms))
    .map((s) => ({ lever: s.lever, listeners: s.listeners, value: s.latencyP95Ms }));
  const order = levers.map((l) => l.name);
  const panel = (title: string, values: object[], y: string, rule: number) => ({
    title,
    width: 620,
    height: 260,
    data: { values },
    layer: [
      {
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "listeners", type: "quantitative", title: "listeners on LiveKit's core" },
          y: { field: "value", type: "quantitative", title: y },
          color: {
            field: "lever",
            type: "nominal",
            title: null,
            scale: { domain: order },
            legend: { orient: "right", labelLimit: 260 },
          },
        },
      },
      { mark: { type: "rule", strokeDash: [4, 4], color: "#c00" }, encoding: { y: { datum: rule } } },
    ],
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    padding: 12,
    vconcat: paired
      ? [
          panel("The baseline's ramp: LiveKit CPU against listeners (red: 80 % of its core)", cpu, "% of one core", 80),
          ratioPanel(paired),
        ]
      : [
          panel("LiveKit CPU against listeners, per lever (red: 80 % of its core)", cpu, "% of one core", 80),
          panel("Probes' audio latency p95 (red: 200 ms target)", latency, "ms", 200),
        ],
  } as TopLevelSpec;
}

/** The ramps (with paired rounds: the baseline's alone) and, when the levers ran in paired rounds, their ratios. */
export async function renderChart(levers: readonly ChartLever[], paired?: readonly ChartPaired[]): Promise<Buffer> {
  // vega and vega-lite are ES modules with top-level await: load them natively.
  const vega = await import("vega");
  const { compile } = await import("vega-lite");
  const view = new vega.View(vega.parse(compile(chartSpec(levers, paired)).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
    fitTo: { mode: "zoom", value: 2 },
  })
    .render()
    .asPng();
  return Buffer.from(png);
}
