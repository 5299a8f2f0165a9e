// The rendered monitoring moved onto this machine (local/monitoringConfig.ts):
// only addresses, container paths and intervals change, and anything the move
// does not understand is an error naming it. test/e2e/monitoring.test.ts runs
// the result against the real programs.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isRtp } from "../../local/lossyTurn";
import {
  localBlackboxConfig,
  localCommand,
  localProbeModule,
  localPrometheusConfig,
} from "../../local/monitoringConfig";
import { metricNamesInAst, missingMetricNames } from "../../local/prometheusApi";
import { renderBlackboxYaml } from "../../templates/blackbox";
import { probedEndpoints, renderPrometheusYaml, SCRAPE_JOBS } from "../../templates/prometheus";
import { testModel } from "../support/fixtures";

const model = testModel();
const ports = Object.fromEntries(SCRAPE_JOBS.map((job, i) => [job, 40_000 + i]));
const options = { ports, probeAddress: "127.0.0.1:41000", intervalSeconds: 1 };

describe("the rendered prometheus.yml on this machine", () => {
  const rendered = parse(renderPrometheusYaml(model));
  const local = localPrometheusConfig(rendered, options);

  it("moves every job's targets to that job's local port and keeps jobs, paths and rule files", () => {
    for (const job of local.scrape_configs) {
      const targets = job.static_configs.flatMap((g: { targets: string[] }) => g.targets);
      expect(new Set(targets), job.job_name).toEqual(new Set([`127.0.0.1:${ports[job.job_name]}`]));
    }
    expect(local.scrape_configs.map((j: { job_name: string }) => j.job_name)).toEqual(
      rendered.scrape_configs.map((j: { job_name: string }) => j.job_name),
    );
    expect(local.rule_files).toEqual(rendered.rule_files);
    expect(local.alerting.alertmanagers[0].static_configs[0].targets).toEqual([`127.0.0.1:${ports.alertmanager}`]);
    expect(local.global).toMatchObject({ scrape_interval: "1s", evaluation_interval: "1s" });
  });

  it("probes each name at the local TLS endpoint through a module that sends the name as SNI", () => {
    const blackbox = local.scrape_configs.find((j: { job_name: string }) => j.job_name === "blackbox");
    expect(blackbox.metrics_path).toBe("/probe");
    expect(blackbox.scrape_interval).toBe("1s");
    expect(blackbox.static_configs.map((g: { labels: unknown }) => g.labels)).toEqual(
      probedEndpoints(model).map((endpoint) => ({
        __param_target: endpoint,
        __param_module: localProbeModule("tls_connect", endpoint),
      })),
    );
    // The rendered relabelling first (the instance is the probed name, as on the host), then the local address.
    const rendered = parse(renderPrometheusYaml(model)).scrape_configs.find(
      (j: { job_name: string }) => j.job_name === "blackbox",
    );
    expect(blackbox.relabel_configs.slice(0, rendered.relabel_configs.length)).toEqual(rendered.relabel_configs);
    expect(blackbox.relabel_configs.slice(rendered.relabel_configs.length)).toEqual(
      probedEndpoints(model).map((endpoint) => ({
        source_labels: ["__param_target"],
        regex: endpoint.replaceAll(".", "\\."),
        target_label: "__param_target",
        replacement: "127.0.0.1:41000",
      })),
    );
    const modules = localBlackboxConfig(parse(renderBlackboxYaml(model)), probedEndpoints(model), "/ca.pem").modules;
    const live = modules[localProbeModule("tls_connect", `${model.livekitHost}:443`)];
    expect(live.tcp).toMatchObject({ tls: true, tls_config: { ca_file: "/ca.pem", server_name: model.livekitHost } });
    expect(modules.tls_connect).toEqual(parse(renderBlackboxYaml(model)).modules.tls_connect);
  });

  it("refuses a job with no local process, and a target off loopback, naming them", () => {
    const { caddy: _, ...withoutCaddy } = ports;
    expect(() => localPrometheusConfig(rendered, { ...options, ports: withoutCaddy })).toThrow(
      'scrape job "caddy" has no local process',
    );
    const offLoopback = {
      ...rendered,
      scrape_configs: [{ job_name: "node", static_configs: [{ targets: ["10.0.0.5:9100"] }] }],
    };
    expect(() => localPrometheusConfig(offLoopback, options)).toThrow('scrape job "node" targets "10.0.0.5:9100"');
  });
});

describe("a rendered command on this machine", () => {
  const rendered = ["--config.file=/etc/x.yml", "--path.procfs=/host/proc", "--web.listen-address=127.0.0.1:9100"];

  it("replaces and drops the flags named, and keeps the others", () => {
    expect(localCommand("x", rendered, { "--path.procfs": null, "--web.listen-address": "127.0.0.1:5" })).toEqual([
      "--config.file=/etc/x.yml",
      "--web.listen-address=127.0.0.1:5",
    ]);
  });

  it("fails on a flag the rendered command no longer has, rather than run the program on defaults", () => {
    expect(() => localCommand("node-exporter", rendered, { "--storage.path": "/tmp" })).toThrow(
      "the rendered node-exporter command has no --storage.path",
    );
  });
});

describe("metric names in a parse_query tree", () => {
  const selector = (name: string, matchers: object[] = []) => ({ type: "vectorSelector", name, matchers });

  it("collects selector names through calls, aggregations and binary expressions, once each", () => {
    const ast = {
      type: "binaryExpr",
      lhs: { type: "aggregation", expr: { type: "call", args: [{ ...selector("a_total"), type: "matrixSelector" }] } },
      rhs: { type: "binaryExpr", lhs: selector("b"), rhs: selector("a_total") },
    };
    expect(metricNamesInAst(ast)).toEqual(["a_total", "b"]);
  });

  it("takes an exact __name__ matcher as the name and refuses a regex one", () => {
    expect(metricNamesInAst(selector("", [{ name: "__name__", value: "up", type: "=" }]))).toEqual(["up"]);
    expect(() => metricNamesInAst(selector("", [{ name: "__name__", value: "node_.*", type: "=~" }]))).toThrow(
      'picks metric names by =~ "node_.*"',
    );
  });

  it("reports, per rule, only the names the scrape lacks", () => {
    const rules = [
      { rule: "A", names: ["up", "x_total"] },
      { rule: "B", names: ["up"] },
    ];
    expect(missingMetricNames(rules, new Set(["up"]))).toEqual([{ rule: "A", names: ["x_total"] }]);
  });
});

describe("the lossy relay's packet test", () => {
  it("takes RTP for loss and lets RTCP, STUN and DTLS pass", () => {
    const packet = (first: number, second: number) => Buffer.from([first, second, ...Array(20).fill(0)]);
    expect(isRtp(packet(0x80, 111))).toBe(true);
    expect(isRtp(packet(0x80, 0x80 | 111))).toBe(true); // marker bit
    expect(isRtp(packet(0x81, 200))).toBe(false); // RTCP sender report
    expect(isRtp(packet(0x00, 0x01))).toBe(false); // STUN
    expect(isRtp(packet(22, 0xfe))).toBe(false); // DTLS handshake
  });
});
