// The benchmark's chart: Vega-Lite spec → Vega SVG (headless) → PNG (resvg,
// whose binary ships in its npm package).
import { Resvg } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite";

/** What the chart plots of each benchmark step. */
export interface ChartStep {
  readonly tours: number;
  readonly livekitCpuCores: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
}

function chartSpec(steps: readonly ChartStep[]): TopLevelSpec {
  const cpu = steps.map((s) => ({
    tours: s.tours,
    series: "LiveKit CPU (% of its core)",
    value: s.livekitCpuCores * 100,
  }));
  const latency = steps.flatMap((s) => [
    { tours: s.tours, series: "latency p50 (ms)", value: s.latencyP50Ms },
    { tours: s.tours, series: "latency p95 (ms)", value: s.latencyP95Ms },
  ]);
  const panel = (title: string, values: object[], y: string, rule?: number) => ({
    title,
    width: 520,
    height: 200,
    data: { values },
    layer: [
      {
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "tours", type: "quantitative", title: "concurrent tours", axis: { tickMinStep: 1 } },
          y: { field: "value", type: "quantitative", title: y },
          color: { field: "series", type: "nominal", title: null, legend: { orient: "top", labelLimit: 320 } },
        },
      },
      ...(rule === undefined
        ? []
        : [{ mark: { type: "rule", strokeDash: [4, 4], color: "#c00" }, encoding: { y: { datum: rule } } }]),
    ],
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    padding: 12,
    resolve: { scale: { color: "independent" }, legend: { color: "independent" } },
    vconcat: [
      panel("LiveKit CPU as tours are added (red: 80 %)", cpu, "% of one core", 80),
      panel("Guide-to-listener audio latency (red: 200 ms target)", latency, "ms", 200),
    ],
  } as TopLevelSpec;
}

export async function renderChart(steps: readonly ChartStep[]): Promise<Buffer> {
  // vega and vega-lite are ES modules with top-level await: load them natively.
  const vega = await import("vega");
  const { compile } = await import("vega-lite");
  const view = new vega.View(vega.parse(compile(chartSpec(steps)).spec), { renderer: "none" });
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
