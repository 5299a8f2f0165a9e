// The host's monitoring on this machine, beside a running local platform,
// from the rendered files and compose commands (local/monitoringConfig.ts
// says what moves): a real Prometheus with the rendered prometheus.yml and
// alert rules, scraping real programs — LiveKit, node_exporter,
// redis_exporter on the platform's Redis, blackbox_exporter probing the
// rendered Caddy's TLS (a throwaway CA's leaf in place of ACME), Caddy's admin
// metrics, Alertmanager and itself. Every process listens on a free 127.0.0.1
// port; stop() ends them all, with bounded waits.
import { writeFileSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { ALERT_RULES_FILE } from "../templates/alertRules";
import { REDIS_EXPORTER_PASSWORD_FILE, REDIS_EXPORTER_TARGET } from "../templates/compose";
import { probedEndpoints } from "../templates/prometheus";
import { PORTS, renderHost } from "../templates";
import { labCaddyConfig, makeTestCa } from "./netHost";
import { localBlackboxConfig, localCaddyConfig, localCommand, localPrometheusConfig } from "./monitoringConfig";
import type { LocalPlatform } from "./platform";
import { prometheusApi } from "./prometheusApi";
import { freePort, goTool, type Running, start, systemTool, waitFor } from "./processes";
import { tempDir } from "./temp";

export interface LocalMonitoring {
  /** http://127.0.0.1:<port> of Prometheus. */
  readonly prometheusUrl: string;
  readonly api: ReturnType<typeof prometheusApi>;
  /** The scrape jobs' local ports, by job name. */
  readonly ports: Readonly<Record<string, number>>;
  readonly processes: Readonly<Record<string, Running>>;
  stop(): Promise<void>;
}

export interface MonitoringOptions {
  /** Seconds between scrapes and between rule evaluations (the host's are 15 s). */
  readonly intervalSeconds?: number;
}

/**
 * GET with node:http, as a scraper asks: fetch() adds Sec-Fetch-Mode, which
 * makes Caddy's admin API demand an Origin header and answer 403.
 */
function answers(url: string): Promise<true | undefined> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? true : undefined);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} in 2 s`)));
    req.on("error", reject);
  });
}

async function untilAnswering(name: string, proc: Running, url: string): Promise<void> {
  try {
    await Promise.race([
      waitFor(`${name} to answer ${url}`, () => answers(url), 30_000, 200),
      proc.exited().then((code) => {
        throw new Error(`${name} exited with ${code}`);
      }),
    ]);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${proc.output().slice(-3_000)}`);
  }
}

/** The rendered password file, keyed by the local Redis's address instead of the host's. */
export function localPasswordFile(content: string, localTarget: string): string {
  const password = (JSON.parse(content) as Record<string, string>)[REDIS_EXPORTER_TARGET];
  if (password === undefined)
    throw new Error(`${REDIS_EXPORTER_PASSWORD_FILE} has no password for ${REDIS_EXPORTER_TARGET}`);
  return JSON.stringify({ [localTarget]: password });
}

/** What each step needs: the rendered files, a folder for local copies, the ports, a way to start a program. */
interface Run {
  readonly platform: LocalPlatform;
  readonly files: Readonly<Record<string, string>>;
  readonly dir: string;
  readonly ports: Readonly<Record<string, number>>;
  /** Where the local Caddy serves TLS: what the blackbox probes reach instead of the public names. */
  readonly caddyTls: number;
  write(name: string, content: string): string;
  /** The rendered compose service's command. */
  command(service: string): string[];
  listen(job: string): string;
  /** Starts the program of a scrape job and waits until it answers on path. */
  launch(job: string, cmd: string, args: string[], path: string, env?: NodeJS.ProcessEnv): Promise<void>;
}

async function startExporters(run: Run): Promise<void> {
  const { platform, files, command, listen } = run;
  const redisTarget = `redis://127.0.0.1:${platform.ports.redis}`;
  await run.launch(
    "node",
    goTool("node_exporter"),
    localCommand("node-exporter", command("node-exporter"), {
      // The container's view of the host; here the host's own /proc, /sys and /.
      "--path.procfs": null,
      "--path.sysfs": null,
      "--path.rootfs": null,
      "--web.listen-address": listen("node"),
    }),
    "/metrics",
  );
  await run.launch(
    "redis",
    systemTool("prometheus-redis-exporter", "prometheus-redis-exporter"),
    localCommand("redis-exporter", command("redis-exporter"), {
      "--redis.addr": redisTarget,
      // The password from the rendered file, read by the exporter as on the host.
      "--redis.password-file": run.write(
        REDIS_EXPORTER_PASSWORD_FILE,
        localPasswordFile(files[REDIS_EXPORTER_PASSWORD_FILE]!, redisTarget),
      ),
      "--web.listen-address": listen("redis"),
    }),
    "/metrics",
  );
  const model = platform.model;
  const ca = makeTestCa([model.livekitHost, model.turnHost]);
  const caddy = localCaddyConfig(
    labCaddyConfig(files["caddy.yaml"]!, ca, join(run.dir, "caddy-data")),
    { tls: run.caddyTls, admin: run.ports.caddy!, livekit: platform.ports.livekit },
    PORTS.livekitHttp,
  );
  await run.launch(
    "caddy",
    goTool("caddy"),
    ["run", "--config", run.write("caddy.json", JSON.stringify(caddy))],
    "/metrics",
  );
  const blackbox = localBlackboxConfig(parse(files["blackbox.yml"]!), probedEndpoints(model), ca.caFile);
  await run.launch(
    "blackbox",
    systemTool("prometheus-blackbox-exporter", "prometheus-blackbox-exporter"),
    localCommand("blackbox-exporter", command("blackbox-exporter"), {
      "--config.file": run.write("blackbox.yml", stringify(blackbox)),
      "--web.listen-address": listen("blackbox"),
    }),
    "/metrics",
  );
}

async function startAlerting(run: Run, intervalSeconds: number): Promise<void> {
  const { files, command, listen } = run;
  await run.launch(
    "alertmanager",
    systemTool("prometheus-alertmanager", "prometheus-alertmanager"),
    localCommand("alertmanager", command("alertmanager"), {
      "--config.file": run.write("alertmanager.yml", files["alertmanager.yml"]!),
      "--storage.path": join(run.dir, "alertmanager-data"),
      "--web.listen-address": listen("alertmanager"),
      "--web.external-url": `http://${listen("alertmanager")}/`,
    }),
    "/-/ready",
  );
  const config = localPrometheusConfig(parse(files["prometheus.yml"]!), {
    ports: run.ports,
    probeAddress: `127.0.0.1:${run.caddyTls}`,
    intervalSeconds,
  });
  // The rules beside prometheus.yml under their rendered name, as on the host.
  run.write(ALERT_RULES_FILE, files[ALERT_RULES_FILE]!);
  await run.launch(
    "prometheus",
    goTool("prometheus"),
    localCommand("prometheus", command("prometheus"), {
      "--config.file": run.write("prometheus.yml", stringify(config)),
      "--storage.tsdb.path": join(run.dir, "prometheus-data"),
      "--web.listen-address": listen("prometheus"),
    }),
    "/-/ready",
  );
}

export async function startMonitoring(
  platform: LocalPlatform,
  options: MonitoringOptions = {},
): Promise<LocalMonitoring> {
  const dir = tempDir();
  const processes: Record<string, Running> = {};
  const stop = async () => {
    for (const p of Object.values(processes).reverse()) await p.stop();
  };
  const ports: Record<string, number> = { livekit: platform.ports.metrics };
  for (const job of ["node", "redis", "caddy", "blackbox", "prometheus", "alertmanager"]) ports[job] = await freePort();
  const files = Object.fromEntries(renderHost(platform.model).files.map((f) => [f.name, f.content]));
  const listen = (job: string) => `127.0.0.1:${ports[job]}`;
  const run: Run = {
    platform,
    files,
    dir,
    ports,
    caddyTls: await freePort(),
    write(name, content) {
      writeFileSync(join(dir, name), content, { mode: 0o600 });
      return join(dir, name);
    },
    command: (service) => parse(files["docker-compose.yaml"]!).services[service].command,
    listen,
    async launch(job, cmd, args, path, env) {
      processes[job] = start(cmd, args, { env });
      await untilAnswering(job, processes[job]!, `http://${listen(job)}${path}`);
    },
  };
  try {
    await startExporters(run);
    await startAlerting(run, options.intervalSeconds ?? 1);
  } catch (error) {
    await stop();
    throw error;
  }
  const prometheusUrl = `http://${listen("prometheus")}`;
  return { prometheusUrl, api: prometheusApi(prometheusUrl), ports, processes, stop };
}
