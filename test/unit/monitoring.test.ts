// The monitoring files as objects: loopback only, the contracted job names,
// the receivers, the secrets kept in the files marked secret, and alert rules
// that name only metrics the real exporters export.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_FIELDS } from "../../config/schema";
import { planFirewallRules } from "../../plans/firewall";
import { alertReceiver, hostSettings } from "../../plans/host";
import { SERVER_CLASSES } from "../../plans/capacity";
import { BYTES_PER_TB, HOST_FILE_LAYOUT, LOOPBACK_PORTS, PORTS, publicPorts, renderHost } from "../../templates";
import { alertRules } from "../../templates/alertRules";
import { alertmanagerConfig } from "../../templates/alertmanager";
import { blackboxConfig } from "../../templates/blackbox";
import { composeConfig, REDIS_EXPORTER_PASSWORD_FILE, REDIS_EXPORTER_UID } from "../../templates/compose";
import { prometheusConfig, SCRAPE_JOBS } from "../../templates/prometheus";
import { emailReceiverModel, TEST_SECRETS, testModel } from "../support/fixtures";

const model = testModel();
const files = renderHost(model).files;
const file = (name: string) => files.find((f) => f.name === name)!;
const prometheus = prometheusConfig(model) as any;
const compose = composeConfig(model) as any;
const MONITORING_SERVICES = ["prometheus", "alertmanager", "node-exporter", "redis-exporter", "blackbox-exporter"];

const emailModel = emailReceiverModel();

describe("monitoring ports", () => {
  it("no monitoring port is public: none in publicPorts(), none opened by the firewall", () => {
    // What the rendered files listen on, not a list kept beside LOOPBACK_PORTS: a new
    // service with a port missing from it fails here.
    const listened = Object.values(compose.services as Record<string, { command?: string[] }>)
      .flatMap((service) => service.command ?? [])
      .flatMap((arg) => /^--web\.listen-address=127\.0\.0\.1:(\d+)$/.exec(arg)?.slice(1) ?? [])
      .map(Number);
    const caddyAdmin = Number(/:(\d+)$/.exec(parse(file("caddy.yaml").content).admin.listen)![1]);
    const monitoring = [caddyAdmin, ...listened];
    expect(monitoring).toHaveLength(MONITORING_SERVICES.length + 1);
    for (const port of monitoring) expect(LOOPBACK_PORTS).toContain(port);
    const rules = planFirewallRules(publicPorts(), ["203.0.113.7/32"]);
    for (const port of LOOPBACK_PORTS) {
      for (const p of publicPorts()) expect(port < p.from || port > p.to, `${port} in ${p.purpose}`).toBe(true);
      for (const r of rules) {
        const [from, to = from] = r.port.split("-").map(Number);
        expect(port < from! || port > to!, `${port} opened by ${r.description}`).toBe(true);
      }
    }
  });

  it("every monitoring service listens on 127.0.0.1 at its PORTS entry, and Alertmanager has no cluster port", () => {
    const listenOf = (service: string) =>
      (compose.services[service].command as string[]).find((a) => a.startsWith("--web.listen-address="));
    expect(listenOf("prometheus")).toBe(`--web.listen-address=127.0.0.1:${PORTS.prometheus}`);
    expect(listenOf("alertmanager")).toBe(`--web.listen-address=127.0.0.1:${PORTS.alertmanager}`);
    expect(listenOf("node-exporter")).toBe(`--web.listen-address=127.0.0.1:${PORTS.nodeExporter}`);
    expect(listenOf("redis-exporter")).toBe(`--web.listen-address=127.0.0.1:${PORTS.redisExporter}`);
    expect(listenOf("blackbox-exporter")).toBe(`--web.listen-address=127.0.0.1:${PORTS.blackboxExporter}`);
    expect(compose.services.alertmanager.command).toContain("--cluster.listen-address=");
    expect(parse(file("caddy.yaml").content).admin).toEqual({ listen: `127.0.0.1:${PORTS.caddyAdmin}` });
  });
});

describe("prometheus.yml", () => {
  it("has exactly the contracted jobs, every target on loopback at a PORTS port", () => {
    expect(prometheus.scrape_configs.map((j: any) => j.job_name)).toEqual([...SCRAPE_JOBS]);
    const ports = new Set<number>(Object.values(PORTS));
    for (const job of prometheus.scrape_configs)
      for (const group of job.static_configs)
        for (const target of group.targets) {
          expect(target, job.job_name).toMatch(/^127\.0\.0\.1:\d+$/);
          expect(ports.has(Number(target.split(":")[1])), target).toBe(true);
        }
    const target = (job: string) => prometheus.scrape_configs.find((j: any) => j.job_name === job).static_configs;
    expect(target("livekit")).toEqual([{ targets: [`127.0.0.1:${PORTS.metrics}`] }]);
    expect(target("redis")).toEqual([{ targets: [`127.0.0.1:${PORTS.redisExporter}`] }]);
    expect(target("caddy")).toEqual([{ targets: [`127.0.0.1:${PORTS.caddyAdmin}`] }]);
  });

  it("probes both public names on 443 through the blackbox exporter's TLS module, naming each as the instance", () => {
    const job = prometheus.scrape_configs.find((j: any) => j.job_name === "blackbox");
    expect(job.metrics_path).toBe("/probe");
    expect(Object.keys(blackboxConfig(model).modules as object)).toEqual(job.params.module);
    expect(job.static_configs.map((g: any) => g.labels.__param_target)).toEqual([
      "live.roamcast.app:443",
      "turn.roamcast.app:443",
    ]);
    expect(job.relabel_configs).toEqual([{ source_labels: ["__param_target"], target_label: "instance" }]);
    expect((blackboxConfig(model).modules as any).tls_connect).toMatchObject({ prober: "tcp", tcp: { tls: true } });
  });

  it("loads the rules file beside it and alerts the local Alertmanager", () => {
    expect(prometheus.rule_files).toEqual(["alert-rules.yml"]);
    expect(prometheus.alerting.alertmanagers[0].static_configs[0].targets).toEqual([`127.0.0.1:${PORTS.alertmanager}`]);
    expect(parse(file("prometheus.yml").content)).toEqual(JSON.parse(JSON.stringify(prometheus)));
  });
});

describe("the monitoring services in docker-compose.yaml", () => {
  it("keeps Prometheus's samples on a named volume, bounded by time and size", () => {
    const p = compose.services.prometheus;
    expect(p.volumes).toContain("prometheus_data:/prometheus");
    expect(p.command).toContain("--storage.tsdb.retention.time=30d");
    expect(p.command).toContain("--storage.tsdb.retention.size=4GB");
    expect(Object.keys(compose.volumes)).toEqual(["prometheus_data", "alertmanager_data"]);
  });

  it("node_exporter reads the host's /proc, /sys and / read-only, in the host's PID namespace", () => {
    const n = compose.services["node-exporter"];
    expect(n.pid).toBe("host");
    expect(n.volumes).toEqual(["/proc:/host/proc:ro", "/sys:/host/sys:ro", "/:/host/root:ro,rslave"]);
    expect(n.command).toEqual(expect.arrayContaining(["--path.procfs=/host/proc", "--path.rootfs=/host/root"]));
  });

  it("the Redis exporter reads the password from a 0600 file of its own user, never from its environment or command line", () => {
    const r = compose.services["redis-exporter"];
    // Not env_file nor environment: `docker inspect` shows a container's environment to anyone in the docker group.
    expect(r.env_file).toBeUndefined();
    expect(r.environment).toBeUndefined();
    expect(r.user).toBe(`${REDIS_EXPORTER_UID}:${REDIS_EXPORTER_UID}`);
    expect(r.volumes).toEqual([`./${REDIS_EXPORTER_PASSWORD_FILE}:/etc/redis_exporter/password.json:ro`]);
    expect(r.command).toEqual([
      "--redis.addr=redis://127.0.0.1:6379",
      "--redis.password-file=/etc/redis_exporter/password.json",
      "--web.listen-address=127.0.0.1:9121",
    ]);
    expect(JSON.stringify(r)).not.toContain(TEST_SECRETS.redisPassword);
    expect(file(REDIS_EXPORTER_PASSWORD_FILE)).toMatchObject({
      mode: "0600",
      secret: true,
      uid: REDIS_EXPORTER_UID,
      gid: REDIS_EXPORTER_UID,
    });
    // The key is the --redis.addr the exporter scrapes, character for character (exporter/pwd_file.go).
    expect(JSON.parse(file(REDIS_EXPORTER_PASSWORD_FILE).content)).toEqual({
      "redis://127.0.0.1:6379": TEST_SECRETS.redisPassword,
    });
  });

  it("the Redis password is in no rendered file but the two servers' own and the exporter's password file", () => {
    const holding = HOST_FILE_LAYOUT.filter((f) => file(f.name).content.includes(TEST_SECRETS.redisPassword));
    expect(holding.map((f) => f.name).sort()).toEqual(["livekit.yaml", REDIS_EXPORTER_PASSWORD_FILE, "redis.conf"]);
    expect(holding.every((f) => f.secret && f.mode === "0600")).toBe(true);
    expect(renderHost(model).cloudInit).not.toContain(TEST_SECRETS.redisPassword);
  });

  it("runs each monitoring image from the stack's settings, pinned", () => {
    const images = MONITORING_SERVICES.map((s) => compose.services[s].image);
    expect(images).toEqual([
      "prom/prometheus:v3.16.0",
      "prom/alertmanager:v0.35.0",
      "prom/node-exporter:v1.12.1",
      "oliver006/redis_exporter:v1.90.0",
      "prom/blackbox-exporter:v0.27.0",
    ]);
    const defaults = [
      CONFIG_FIELDS.prometheusImage,
      CONFIG_FIELDS.alertmanagerImage,
      CONFIG_FIELDS.nodeExporterImage,
      CONFIG_FIELDS.redisExporterImage,
      CONFIG_FIELDS.blackboxExporterImage,
    ].map((f) => f.default);
    expect(defaults).toEqual(images);
  });
});

describe("alertmanager.yml", () => {
  it("sends to the webhook, whose URL is the secret, in a file only Alertmanager's user reads", () => {
    const am = alertmanagerConfig(model) as any;
    expect(am.route.receiver).toBe("operators");
    expect(am.receivers).toEqual([
      { name: "operators", webhook_configs: [{ url: TEST_SECRETS.alertReceiverSecret, send_resolved: true }] },
    ]);
    expect(file("alertmanager.yml")).toMatchObject({ mode: "0600", secret: true, uid: 65534, gid: 65534 });
  });

  it("sends e-mail through the smarthost with STARTTLS, the password from the secrets", () => {
    const am = alertmanagerConfig(emailModel) as any;
    expect(am.global).toEqual({
      resolve_timeout: "5m",
      smtp_smarthost: "smtp.roamcast.app:587",
      smtp_from: "alerts@roamcast.app",
      smtp_auth_username: "alerts@roamcast.app",
      smtp_auth_password: "smtp-password-0123456789",
      smtp_require_tls: true,
    });
    expect(am.receivers).toEqual([
      { name: "operators", email_configs: [{ to: "oncall@roamcast.app", send_resolved: true }] },
    ]);
    const rendered = renderHost(emailModel).files;
    for (const f of rendered)
      expect(f.content.includes("smtp-password-0123456789"), f.name).toBe(f.name === "alertmanager.yml");
  });

  it("the stack settings choose e-mail when alertEmail is set, else the webhook", () => {
    const smtp = {
      alertSmtpSmarthost: "smtp.roamcast.app:587",
      alertSmtpFrom: "a@roamcast.app",
      alertSmtpUsername: "a",
    };
    expect(alertReceiver({ ...settingsLike(), alertEmail: "", ...smtp })).toEqual({ kind: "webhook" });
    expect(alertReceiver({ ...settingsLike(), alertEmail: "oncall@roamcast.app", ...smtp })).toEqual({
      kind: "email",
      to: "oncall@roamcast.app",
      from: "a@roamcast.app",
      smarthost: "smtp.roamcast.app:587",
      username: "a",
    });
  });

  it("the traffic allowance defaults to the server table's 20 TB for cx33", () => {
    const host = hostSettings({ ...settingsLike(), monthlyTrafficTb: CONFIG_FIELDS.monthlyTrafficTb.default });
    expect(host.monitoring.monthlyTrafficBytes).toBe(SERVER_CLASSES.cx33!.trafficBytes);
    expect(CONFIG_FIELDS.monthlyTrafficTb.default * BYTES_PER_TB).toBe(20e12);
  });
});

describe("alert rules", () => {
  const rules = alertRules(model).groups.flatMap((g) => g.rules);

  it("cover what the issue asks for, each with a severity, a summary and a description", () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        "HostCpuHigh",
        "HostMemoryHigh",
        "HostDiskFull",
        "LivekitDown",
        "RedisDown",
        "CertificateExpiringSoon",
        "ParticipantPacketLossHigh",
        "ParticipantJoinFailures",
        "TrafficAllowanceAtRisk",
        "UdpReceiveBufferErrors",
      ]),
    );
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const r of rules) {
      expect(["critical", "warning"], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary.length, r.alert).toBeGreaterThan(20);
      expect(r.annotations.description.length, r.alert).toBeGreaterThan(60);
    }
  });

  it("name only metrics that the exporters export (LiveKit v1.13.5 as scraped, node, redis, blackbox)", () => {
    const exported = new Set([
      "up",
      "node_cpu_seconds_total",
      "node_memory_MemAvailable_bytes",
      "node_memory_MemTotal_bytes",
      "node_filesystem_avail_bytes",
      "node_filesystem_size_bytes",
      "node_network_transmit_bytes_total",
      "node_netstat_Udp_RcvbufErrors",
      "redis_up",
      "probe_success",
      "probe_ssl_earliest_cert_expiry",
      "livekit_packet_total",
      "livekit_packet_loss_total",
      "livekit_participant_join_total",
    ]);
    const functions = new Set(["rate", "increase", "sum", "avg", "by", "scalar", "days_in_month", "time", "and"]);
    for (const r of rules) {
      const names = r.expr.replace(/\{[^}]*\}|\[[^\]]*\]|"[^"]*"/g, " ").match(/[a-zA-Z_][a-zA-Z0-9_]*/g) ?? [];
      for (const name of names.filter((n) => !functions.has(n) && !["instance", "direction"].includes(n)))
        expect(exported.has(name), `${r.alert}: ${name}`).toBe(true);
    }
  });

  it("the traffic rule compares against the model's monthly allowance", () => {
    const traffic = (bytes: number) =>
      alertRules(testModel({ monitoring: { receiver: { kind: "webhook" }, monthlyTrafficBytes: bytes } }))
        .groups.flatMap((g) => g.rules)
        .find((r) => r.alert === "TrafficAllowanceAtRisk")!;
    expect(traffic(20e12).expr).toMatch(/ > 20000000000000$/);
    expect(traffic(1e12).expr).toMatch(/ > 1000000000000$/);
    expect(traffic(1e12).annotations.summary).toContain("the 1 TB included");
  });
});

describe("the host file layout", () => {
  it("places each monitoring file in the install folder, secret where it holds one", () => {
    const layout = Object.fromEntries(HOST_FILE_LAYOUT.map((f) => [f.name, f]));
    expect(layout["prometheus.yml"]).toMatchObject({ path: "/opt/livekit/prometheus.yml", secret: false });
    expect(layout["alert-rules.yml"]).toMatchObject({ path: "/opt/livekit/alert-rules.yml", secret: false });
    expect(layout["blackbox.yml"]).toMatchObject({ path: "/opt/livekit/blackbox.yml", secret: false });
    expect(layout["alertmanager.yml"]).toMatchObject({ path: "/opt/livekit/alertmanager.yml", secret: true });
    expect(layout[REDIS_EXPORTER_PASSWORD_FILE]).toMatchObject({
      path: "/opt/livekit/redis-exporter-password.json",
      secret: true,
    });
  });
});

/** The stack settings hostSettings reads, at their defaults. */
function settingsLike() {
  return {
    livekitHost: "live.roamcast.app",
    turnHost: "turn.roamcast.app",
    acmeEmail: "ops@roamcast.app",
    livekitImage: CONFIG_FIELDS.livekitImage.default,
    caddyImage: CONFIG_FIELDS.caddyImage.default,
    redisImage: CONFIG_FIELDS.redisImage.default,
    prometheusImage: CONFIG_FIELDS.prometheusImage.default,
    alertmanagerImage: CONFIG_FIELDS.alertmanagerImage.default,
    nodeExporterImage: CONFIG_FIELDS.nodeExporterImage.default,
    redisExporterImage: CONFIG_FIELDS.redisExporterImage.default,
    blackboxExporterImage: CONFIG_FIELDS.blackboxExporterImage.default,
    alertEmail: "",
    alertSmtpSmarthost: "",
    alertSmtpFrom: "",
    alertSmtpUsername: "",
    monthlyTrafficTb: 20,
    listenersPerTour: 30,
    redundantAudio: true,
    mediaPorts: "range",
    serverType: "cx33",
    supabaseProjectRef: "abcdefghijklmnopqrst",
  };
}
