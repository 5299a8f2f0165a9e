// prometheus.yml: every scrape target on loopback, the alert rules beside the
// file, alerts to the local Alertmanager. Job names are a contract: the alert
// rules and the real-scrape check select series by them.
import { ALERT_RULES_FILE } from "./alertRules";
import { BLACKBOX_MODULE } from "./blackbox";
import { assertRenderable, type HostModel, PORTS, runsRedis } from "./model";
import { toYaml } from "./yaml";

export const SCRAPE_JOBS = ["livekit", "node", "redis", "caddy", "blackbox", "prometheus", "alertmanager"] as const;
export type ScrapeJob = (typeof SCRAPE_JOBS)[number];

/** How long Prometheus keeps samples, and the most disk it may take: whichever comes first. */
export const RETENTION = { time: "30d", size: "4GB" } as const;

const loopback = (port: number) => `127.0.0.1:${port}`;

/** The names clients reach on 443: their certificates are what the blackbox probes read. */
export function probedEndpoints(model: HostModel): string[] {
  return [model.livekitHost, model.turnHost].map((host) => `${host}:${PORTS.https}`);
}

function staticJob(job: ScrapeJob, port: number): Record<string, unknown> {
  return { job_name: job, static_configs: [{ targets: [loopback(port)] }] };
}

/**
 * One target per probed name, all at the blackbox exporter's loopback port:
 * the name travels as the `target` URL parameter, and becomes the instance
 * label so that an alert names the certificate, not the exporter.
 */
function blackboxJob(model: HostModel): Record<string, unknown> {
  return {
    job_name: "blackbox",
    metrics_path: "/probe",
    params: { module: [BLACKBOX_MODULE] },
    // A TLS handshake to the public name can take a while from a busy host.
    scrape_interval: "60s",
    scrape_timeout: "15s",
    static_configs: probedEndpoints(model).map((endpoint) => ({
      targets: [loopback(PORTS.blackboxExporter)],
      labels: { __param_target: endpoint },
    })),
    relabel_configs: [{ source_labels: ["__param_target"], target_label: "instance" }],
  };
}

export function prometheusConfig(model: HostModel): Record<string, unknown> {
  assertRenderable(model);
  return {
    global: { scrape_interval: "15s", scrape_timeout: "10s", evaluation_interval: "15s" },
    // Relative to this file: the rules sit beside it on the host and in the container.
    rule_files: [ALERT_RULES_FILE],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [loopback(PORTS.alertmanager)] }] }] },
    scrape_configs: [
      staticJob("livekit", PORTS.metrics),
      staticJob("node", PORTS.nodeExporter),
      // The exporter runs where Redis does: node 1 of several.
      ...(runsRedis(model) ? [staticJob("redis", PORTS.redisExporter)] : []),
      // Caddy's admin API serves /metrics (process and Go runtime; layer4 adds none).
      staticJob("caddy", PORTS.caddyAdmin),
      blackboxJob(model),
      staticJob("prometheus", PORTS.prometheus),
      staticJob("alertmanager", PORTS.alertmanager),
    ],
  };
}

export function renderPrometheusYaml(model: HostModel): string {
  return toYaml(prometheusConfig(model));
}
