// The benchmark's chart: Vega-Lite spec → Vega SVG (headless) → PNG (resvg,
// whose binary ships in its npm package).
import { Resvg } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite";

/** What the chart plots of each lever: its name and, per step, listeners against LiveKit's CPU and latency. */
export interface ChartLever {
  readonly name: string;
  readonly steps: readonly {
    readonly listeners: number;
    readonly livekitCpuCores: number;
    readonly latencyP95Ms: number;
    readonly valid: boolean;
  }[];
}

function chartSpec(levers: readonly ChartLever[]): TopLevelSpec {
  const valid = levers.flatMap((l) => l.steps.filter((s) => s.valid).map((s) => ({ lever: l.name, ...s })));
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
    vconcat: [
      panel("LiveKit CPU against listeners, per lever (red: 80 % of its core)", cpu, "% of one core", 80),
      panel("Probes' audio latency p95 (red: 200 ms target)", latency, "ms", 200),
    ],
  } as TopLevelSpec;
}

export async function renderChart(levers: readonly ChartLever[]): Promise<Buffer> {
  // vega and vega-lite are ES modules with top-level await: load them natively.
  const vega = await import("vega");
  const { compile } = await import("vega-lite");
  const view = new vega.View(vega.parse(compile(chartSpec(levers)).spec), { renderer: "none" });
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
