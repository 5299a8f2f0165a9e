// The Hetzner host inside a lab namespace, as the stack renders it: the
// rendered redis.conf and livekit.yaml unchanged, the rendered caddy.yaml with
// one departure — its certificates are loaded from a throwaway test CA instead
// of ACME (no ACME server exists in the lab) — and the firewall plan applied
// as nftables rules. Every wait is bounded.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { type FirewallRulePlan, planFirewallRules } from "../plans/firewall";
import { nftablesRuleset } from "../plans/nftables";
import { type HostModel, publicPorts, renderHost } from "../templates";
import type { NetLab } from "./netLab";
import { goTool, type Running, systemTool, waitFor } from "./processes";
import { tempDir } from "./temp";

export interface TestCa {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

function openssl(args: readonly string[], cwd: string): void {
  const result = spawnSync(systemTool("openssl", "openssl"), args, { cwd, encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

/** A throwaway CA and one leaf for the host names, valid for a day. */
export function makeTestCa(names: readonly string[]): TestCa {
  const dir = tempDir();
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Roamcast lab CA"],
    dir,
  );
  openssl(["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${names[0]}`], dir);
  writeFileSync(join(dir, "leaf.ext"), `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\n`);
  openssl(
    ["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1"].concat([
      "-extfile",
      "leaf.ext",
      "-out",
      "leaf.pem",
    ]),
    dir,
  );
  return { caFile: join(dir, "ca.pem"), certFile: join(dir, "leaf.pem"), keyFile: join(dir, "leaf.key") };
}

const renderedFile = (model: HostModel, name: string) => {
  const file = renderHost(model).files.find((f) => f.name === name);
  if (!file) throw new Error(`the render has no ${name}`);
  return file.content;
};

/** The rendered caddy.yaml with its certificate source swapped for the test CA's leaf, as JSON. */
export function labCaddyConfig(caddyYaml: string, ca: TestCa, storage: string): Record<string, unknown> {
  const config = parse(caddyYaml) as { storage: unknown; apps: { tls: unknown } };
  return {
    ...config,
    storage: { module: "file_system", root: storage },
    apps: { ...config.apps, tls: { certificates: { load_files: [{ certificate: ca.certFile, key: ca.keyFile }] } } },
  };
}

export interface LabHost {
  readonly processes: readonly Running[];
  stop(): Promise<void>;
}

export interface LabHostOptions {
  readonly lab: NetLab;
  /** The lab's name of the server namespace. */
  readonly server: string;
  readonly model: HostModel;
  readonly ca: TestCa;
  readonly operatorCidrs: readonly string[];
  /** The firewall plan to apply; by default the stack's own (planFirewallRules) for operatorCidrs. */
  readonly firewall?: readonly FirewallRulePlan[];
  /** A file's content instead of the render's (a test's broken variant with one field changed). */
  readonly files?: Partial<Record<"livekit.yaml" | "caddy.yaml", string>>;
}

/** Applies the firewall plan, then starts Redis, livekit-server and Caddy in the server namespace. */
export async function startLabHost(options: LabHostOptions): Promise<LabHost> {
  const { lab, server, model, ca } = options;
  const file = (name: "livekit.yaml" | "caddy.yaml") => options.files?.[name] ?? renderedFile(model, name);
  const dir = tempDir();
  const write = (name: string, content: string) => {
    writeFileSync(join(dir, name), content, { mode: 0o600 });
    return join(dir, name);
  };
  lab.exec(
    server,
    systemTool("nft", "nftables"),
    ["-f", "-"],
    nftablesRuleset(options.firewall ?? firewallPlan(options)),
  );
  const processes: Running[] = [];
  const stop = async () => {
    for (const p of processes.reverse()) await p.stop();
  };
  try {
    const redis = lab.spawn(server, systemTool("redis-server", "redis-server"), [
      write("redis.conf", renderedFile(model, "redis.conf")),
    ]);
    processes.push(redis);
    await waitFor("redis", async () => (redis.output().includes("Ready to accept connections") ? true : undefined));
    processes.push(
      lab.spawn(server, goTool("livekit-server"), ["--config", write("livekit.yaml", file("livekit.yaml"))]),
    );
    await waitFor(
      "livekit-server on 127.0.0.1:7880",
      async () => curlIn(lab, server, ["http://127.0.0.1:7880/"]),
      30_000,
      300,
    );
    const caddy = labCaddyConfig(file("caddy.yaml"), ca, join(dir, "caddy-data"));
    processes.push(lab.spawn(server, goTool("caddy"), ["run", "--config", write("caddy.json", JSON.stringify(caddy))]));
    await waitFor(
      `Caddy on https://${model.livekitHost}`,
      async () => curlIn(lab, server, ["--cacert", ca.caFile, `https://${model.livekitHost}/`]),
      20_000,
      300,
    );
  } catch (error) {
    const logs = processes.map((p) => p.output().slice(-2_000)).join("\n---\n");
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs}`);
  }
  return { processes, stop };
}

export function firewallPlan(options: Pick<LabHostOptions, "operatorCidrs" | "model">) {
  return planFirewallRules(publicPorts(), options.operatorCidrs);
}

/** "OK" when GET answers 200 with OK inside the namespace (bounded: 3 s). */
function curlIn(lab: NetLab, ns: string, args: readonly string[]): Promise<true | undefined> {
  try {
    const body = lab.exec(ns, systemTool("curl", "curl"), ["-sf", "--max-time", "3", ...args]);
    return Promise.resolve(body === "OK" ? true : undefined);
  } catch {
    return Promise.resolve(undefined);
  }
}
