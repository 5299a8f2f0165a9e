// Real programs under test: where the Go-built tools live, free ports, and
// child processes that are always stopped, with bounded waits.
import { type ChildProcess, spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";

const TOOLS_CACHE = process.env.ROAMCAST_TOOLS_CACHE ?? join(homedir(), ".cache", "roamcast");

/** A Go-built tool from scripts/build-tools.sh, or a clear error saying how to build it. */
export function goTool(
  name:
    | "livekit-server"
    | "caddy"
    | "actionlint"
    | "loadgen"
    | "pulumi"
    | "promtool"
    | "amtool"
    | "prometheus"
    | "node_exporter",
): string {
  const path = join(TOOLS_CACHE, name);
  if (!existsSync(path)) throw new Error(`${name} is not built: run scripts/build-tools.sh (looked for ${path})`);
  return path;
}

const systemTools = new Map<string, string>();

/**
 * A program from Debian's packages, or a clear error naming the package.
 * Looked up once per process: the lookup blocks the event loop, which must
 * not stall clients being timed while a server restarts (bench/restarts.ts).
 */
export function systemTool(name: string, debianPackage: string): string {
  const known = systemTools.get(name);
  if (known) return known;
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (found.status !== 0) throw new Error(`${name} is missing: apt-get install ${debianPackage}`);
  systemTools.set(name, found.stdout.trim());
  return found.stdout.trim();
}

export function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000, ...options });
}

/** A UDP port on 127.0.0.1 that nothing holds right now. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

export interface Running {
  readonly child: ChildProcess;
  output(): string;
  exited(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Servers still running from this process. If a test worker ends without its
 * afterAll (a hook that threw, a timeout, the runner's SIGTERM), they must not
 * outlive it: a stray livekit-server holds the fixed RTC port and fails the
 * next run.
 */
const alive = new Set<ChildProcess>();
let reaperInstalled = false;
function reapOnExit() {
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once("exit", () => {
    for (const child of alive) child.kill("SIGKILL");
  });
  process.once("SIGTERM", () => process.exit(143));
}

export function start(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Running {
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  reapOnExit();
  alive.add(child);
  child.once("exit", () => alive.delete(child));
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited: () => exit,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
