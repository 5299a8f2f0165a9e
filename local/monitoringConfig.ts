// The rendered monitoring files and commands moved onto this machine; only
// what must change here changes:
// - every loopback address keeps its job and moves to the local process's
//   free port, found by scrape job name (the host's fixed ports may be taken);
// - the blackbox probes' names (live.…, turn.…) do not resolve here: each
//   probes the local Caddy at 127.0.0.1 instead, through a copy of the module
//   that sends the name as SNI and trusts the throwaway CA;
// - scrapes and rule evaluations every second instead of 15 s, so a test sees
//   several in seconds;
// - command lines: container paths and listen addresses become local ones.
type Yaml = Record<string, any>;

/** Local 127.0.0.1 ports by scrape job name (`livekit`, `node`, `redis`, ...). */
export type JobPorts = Readonly<Record<string, number>>;

export interface LocalPrometheusOptions {
  readonly ports: JobPorts;
  /** Where every probed name's TLS endpoint is here (the local Caddy), as host:port. */
  readonly probeAddress: string;
  readonly intervalSeconds: number;
}

const LOOPBACK = /^127\.0\.0\.1:\d+$/;

function portFor(ports: JobPorts, job: string): number {
  const port = ports[job];
  if (port === undefined) throw new Error(`scrape job "${job}" has no local process (known: ${Object.keys(ports)})`);
  return port;
}

function moved(job: string, target: string, port: number): string {
  if (!LOOPBACK.test(target))
    throw new Error(`scrape job "${job}" targets "${target}": the host's targets are 127.0.0.1:<port>`);
  return `127.0.0.1:${port}`;
}

/** The blackbox module a probe of `endpoint` uses here: the rendered one, with the name as SNI. */
export function localProbeModule(module: string, endpoint: string): string {
  return `${module}_${endpoint.replace(/:\d+$/, "").replace(/[^A-Za-z0-9]/g, "_")}`;
}

function localTargetGroup(job: Yaml, group: Yaml, options: LocalPrometheusOptions): Yaml {
  const name = job.job_name as string;
  const targets = (group.targets as string[]).map((t) => moved(name, t, portFor(options.ports, name)));
  const probed = group.labels?.__param_target as string | undefined;
  if (!probed) return { ...group, targets };
  const module = (job.params?.module as string[] | undefined)?.[0];
  if (!module) throw new Error(`scrape job "${name}" probes ${probed} with no module parameter`);
  return { ...group, targets, labels: { ...group.labels, __param_module: localProbeModule(module, probed) } };
}

/**
 * After the rendered relabelling (which names the instance after the probed
 * name, as on the host), the probe itself goes to the local endpoint.
 */
function localProbeRelabels(job: Yaml, options: LocalPrometheusOptions): Yaml[] {
  const probed = ((job.static_configs ?? []) as Yaml[]).flatMap((g) => g.labels?.__param_target ?? []) as string[];
  return probed.map((endpoint) => ({
    source_labels: ["__param_target"],
    regex: endpoint.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    target_label: "__param_target",
    replacement: options.probeAddress,
  }));
}

export function localPrometheusConfig(rendered: Yaml, options: LocalPrometheusOptions): Yaml {
  const jobs = (rendered.scrape_configs ?? []) as Yaml[];
  if (jobs.length === 0) throw new Error("the rendered prometheus.yml has no scrape_configs");
  const interval = `${options.intervalSeconds}s`;
  const every = { scrape_interval: interval, scrape_timeout: interval };
  const alertmanagers = (rendered.alerting?.alertmanagers ?? []) as Yaml[];
  return {
    ...rendered,
    global: { ...rendered.global, ...every, evaluation_interval: interval },
    scrape_configs: jobs.map((job) => ({
      ...job,
      ...(job.scrape_interval && every),
      static_configs: ((job.static_configs ?? []) as Yaml[]).map((group) => localTargetGroup(job, group, options)),
      ...(localProbeRelabels(job, options).length && {
        relabel_configs: [...(job.relabel_configs ?? []), ...localProbeRelabels(job, options)],
      }),
    })),
    alerting: {
      ...rendered.alerting,
      alertmanagers: alertmanagers.map((am) => ({
        ...am,
        static_configs: ((am.static_configs ?? []) as Yaml[]).map((group) => ({
          ...group,
          targets: (group.targets as string[]).map((t) => moved("alerting", t, portFor(options.ports, "alertmanager"))),
        })),
      })),
    },
  };
}

/**
 * The rendered blackbox.yml plus, for each probed name, a copy of each TLS
 * module that sends that name as SNI and trusts the test CA.
 */
export function localBlackboxConfig(rendered: Yaml, endpoints: readonly string[], caFile: string): Yaml {
  const modules = (rendered.modules ?? {}) as Record<string, Yaml>;
  const copies = Object.entries(modules).flatMap(([name, module]) =>
    endpoints.map((endpoint) => {
      const prober = module.prober as string;
      const settings = (module[prober] ?? {}) as Yaml;
      const serverName = endpoint.replace(/:\d+$/, "");
      const tls = { ...settings.tls_config, ca_file: caFile, server_name: serverName };
      return [localProbeModule(name, endpoint), { ...module, [prober]: { ...settings, tls_config: tls } }];
    }),
  );
  return { ...rendered, modules: { ...modules, ...Object.fromEntries(copies) } };
}

/**
 * A rendered compose service's command with flags changed for this machine:
 * a string replaces the flag's value, null drops the flag. Every flag named
 * must be in the rendered command, so that a renamed flag fails loudly here
 * instead of silently running the program with its defaults.
 */
export function localCommand(
  service: string,
  rendered: readonly string[],
  changes: Readonly<Record<string, string | null>>,
): string[] {
  const flagOf = (arg: string) => arg.split("=")[0]!;
  const missing = Object.keys(changes).filter((flag) => !rendered.some((arg) => flagOf(arg) === flag));
  if (missing.length) throw new Error(`the rendered ${service} command has no ${missing.join(", ")}: ${rendered}`);
  return rendered.flatMap((arg) => {
    const flag = flagOf(arg);
    if (!(flag in changes)) return [arg];
    const value = changes[flag];
    return value === null ? [] : [`${flag}=${value}`];
  });
}

/**
 * The rendered caddy.yaml as the network lab runs it (local/netHost.ts: the
 * test CA's leaf instead of ACME), with its listeners on local ports: layer4
 * on 127.0.0.1:<tls>, the admin API (Caddy's /metrics) on <admin>, and the
 * proxy to LiveKit aimed at the local livekit-server.
 */
export function localCaddyConfig(
  labConfig: Yaml,
  ports: { readonly tls: number; readonly admin: number; readonly livekit: number },
  renderedLivekitPort: number,
): Yaml {
  const servers = labConfig.apps?.layer4?.servers as Record<string, Yaml> | undefined;
  if (!servers) throw new Error("the rendered caddy.yaml has no layer4 servers");
  if (!labConfig.admin?.listen) throw new Error("the rendered caddy.yaml has no admin listen address");
  const dial = (address: string) =>
    address === `localhost:${renderedLivekitPort}` ? `127.0.0.1:${ports.livekit}` : address;
  const handler = (h: Yaml) =>
    h.handler === "proxy"
      ? { ...h, upstreams: (h.upstreams as Yaml[]).map((u) => ({ ...u, dial: u.dial.map(dial) })) }
      : h;
  const local = Object.fromEntries(
    Object.entries(servers).map(([name, server]) => [
      name,
      {
        ...server,
        listen: [`127.0.0.1:${ports.tls}`],
        routes: (server.routes as Yaml[]).map((route) => ({ ...route, handle: (route.handle as Yaml[]).map(handler) })),
      },
    ]),
  );
  return {
    ...labConfig,
    admin: { ...labConfig.admin, listen: moved("caddy admin", labConfig.admin.listen, ports.admin) },
    apps: { ...labConfig.apps, layer4: { ...labConfig.apps.layer4, servers: local } },
  };
}
