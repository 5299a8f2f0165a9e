// Token minting under a crowd: the real livekit-token function (its Deno entry
// point) on real PostgreSQL with the migrations applied, and a tour whose
// participants all ask for their LiveKit token at the same moment, as a tour's
// listeners do when the guide says "join now". Per crowd size: latency
// p50/p95/p99/max seen by the callers, the function's own time from its log
// lines, and errors. An answer counts only if it is a 200 whose token
// verifies with the LiveKit secret and grants this user this tour's room as a
// listener; anything else is an error.
//
//   npm run bench:tokens -- [--concurrency 30,300] [--rounds 5] [--warmup 2]
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { cpus, loadavg } from "node:os";
import type postgres from "postgres";
import { TokenVerifier } from "livekit-server-sdk";
import { startMigratedDatabase } from "../local/database";
import { makeProjectKeys, type ProjectKeys, startTokenFunctionFor } from "../local/edgeFunctions";
import { createTour } from "../local/roles";
import { percentile } from "../tour/stats";
import { type Cli, InputError, numberOption, runCli } from "../scripts/cli";

const SPEC = {
  usage: "usage: npm run bench:tokens -- [--concurrency 30,300] [--rounds 5] [--warmup 2]",
  help: `
Fires N simultaneous token requests (one per participant of one tour) at the
real livekit-token function on a local PostgreSQL, a few rounds per N after a
warm-up, and prints latency p50/p95/p99/max and errors per N. Each caller
sends its request on its own keep-alive connection, opened in the warm-up.
Needs nothing but this repository (embedded PostgreSQL, the repo's Deno).

  --concurrency <n,m>  simultaneous requests per round, comma-separated (default 30,300)
  --rounds <n>         measured rounds per concurrency (default 5)
  --warmup <n>         unmeasured rounds first, per concurrency (default 2)
  -h, --help           this text
`,
  options: {
    concurrency: { type: "string", default: "30,300" },
    rounds: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
  },
} as const;

const LIVEKIT = {
  url: "wss://live.bench.roamcast",
  apiKey: "APIbenchTokens",
  apiSecret: "bench-tokens-secret-0123456789abcdefghijklm",
};

interface Caller {
  readonly user: string;
  readonly http: KeepAliveCaller;
}

interface Outcome {
  readonly ms: number;
  readonly body?: string;
  readonly error?: string;
}

interface Row {
  readonly concurrency: number;
  readonly requests: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly client: readonly number[];
  readonly server: readonly number[];
  /** CPU milliseconds per measured request: the function's process, the PostgreSQL backends, this client. */
  readonly cpu: { readonly fn: number; readonly db: number; readonly client: number };
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** A process's CPU time so far (user + system), in ms; 0 for one that has gone. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU time of every client backend of the database (the function's pool among them). */
async function backendsCpuMs(admin: postgres.Sql): Promise<Map<number, number>> {
  const rows = await admin<{ pid: number }[]>`select pid from pg_stat_activity where backend_type = 'client backend'`;
  return new Map(rows.map((r) => [r.pid, cpuMs(r.pid)]));
}

function spent(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** One caller's POST, as HTTP/1.1 bytes built once, before any round. */
export function postRequest(url: URL, headers: Readonly<Record<string, string>>, body: string): Buffer {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  const head = `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\n${lines.join("")}`;
  return Buffer.from(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

interface Response {
  readonly status: number;
  readonly body: string;
  /** The server will close the connection after this answer. */
  readonly close: boolean;
}

/**
 * The first whole HTTP/1.1 response in `data`, or undefined while it is incomplete. Deno.serve sends a
 * content-length for a body it holds whole, as the function's are; an answer without one (chunked) is an
 * error here, as is anything after the answer, since a caller has one request in flight at a time.
 */
export function parseResponse(data: Buffer): Response | undefined {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = data.toString("latin1", 0, end);
  const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
  if (!status) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(head.slice(0, 40))}`);
  const length = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?:\r\n|$)/i.exec(head);
  if (!length) throw new Error(`HTTP ${status[1]} without a content-length`);
  const size = end + 4 + Number(length[1]);
  if (data.length < size) return undefined;
  if (data.length > size) throw new Error(`HTTP ${status[1]} followed by ${data.length - size} more bytes`);
  const close = /\r\nconnection:[ \t]*close/i.test(head);
  return { status: Number(status[1]), body: data.toString("utf8", end + 4), close };
}

/**
 * One caller's keep-alive connection to the function, sending its prebuilt request. The crowd's client runs on
 * the same two cores as the function and PostgreSQL: Node's fetch spent ≈0.9 ms of CPU per request, as much as
 * the function, and that, not the function, set the round's tail. This costs ≈0.1 ms. The time runs from the
 * write to the last byte of the answer; a connection is opened (timed) whenever none is open.
 */
export class KeepAliveCaller {
  private socket?: Socket;
  private lastError = "";

  constructor(
    private readonly url: URL,
    private readonly request: Buffer,
  ) {}

  ask(): Promise<Outcome> {
    return new Promise((resolve) => {
      const socket = this.connection();
      const started = performance.now();
      let data: Buffer = Buffer.alloc(0);
      const finish = (outcome: Outcome) => {
        socket.off("data", onData).off("close", onClose);
        resolve(outcome);
      };
      const onClose = () =>
        finish({ ms: performance.now() - started, error: `connection closed before the answer ${this.lastError}` });
      const onData = (chunk: Buffer) => {
        data = data.length === 0 ? chunk : Buffer.concat([data, chunk]);
        let res: Response | undefined;
        try {
          res = parseResponse(data);
        } catch (error) {
          socket.destroy();
          return finish({ ms: performance.now() - started, error: (error as Error).message });
        }
        if (!res) return;
        const ms = performance.now() - started;
        if (res.close) socket.destroy();
        finish(
          res.status === 200 ? { ms, body: res.body } : { ms, error: `HTTP ${res.status}: ${res.body.slice(0, 200)}` },
        );
      };
      socket.on("data", onData).on("close", onClose);
      socket.write(this.request);
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private connection(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.lastError = "";
    const socket = connect({ host: this.url.hostname, port: Number(this.url.port), noDelay: true });
    socket.on("error", (error) => (this.lastError = `(${error.message})`));
    this.socket = socket;
    return socket;
  }
}

/** The token must verify with the LiveKit secret and be this user's, for this tour's room, as a listener. */
async function check(outcome: Outcome, tourId: string, caller: Caller, verifier: TokenVerifier): Promise<Outcome> {
  if (outcome.error) return outcome;
  try {
    const body = JSON.parse(outcome.body ?? "") as { token?: string; room?: string; role?: string };
    const claims = await verifier.verify(body.token ?? "");
    const room = `tour-${tourId}`;
    if (claims.sub !== caller.user || claims.video?.room !== room || body.role !== "listener" || body.room !== room)
      return { ms: outcome.ms, error: `wrong token: sub ${claims.sub}, room ${claims.video?.room}, role ${body.role}` };
    return { ms: outcome.ms };
  } catch (error) {
    return { ms: outcome.ms, error: `token does not verify: ${(error as Error).message}` };
  }
}

/** The function's own time per answered request ("ms" in its log lines), from `from` on in its output. */
function serverTimes(output: string, from: number): number[] {
  return output
    .slice(from)
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"livekit-token"'))
    .map((line) => (JSON.parse(line) as { ms?: number }).ms)
    .filter((ms): ms is number => typeof ms === "number");
}

function parseConcurrency(raw: string): number[] {
  const parts = raw.split(",").map((p) => p.trim());
  if (parts.some((p) => p === ""))
    throw new InputError(`--concurrency must be whole numbers separated by commas, not "${raw}"`);
  return parts.map((p) => numberOption("concurrency", p, { integer: true, above: 0, atMost: 2000 }));
}

async function users(keys: ProjectKeys, ids: readonly string[], url: URL, tourId: string): Promise<Caller[]> {
  const body = JSON.stringify({ tour_id: tourId });
  return Promise.all(
    ids.map(async (user) => {
      const jwt = await keys.sign({ sub: user }, { expiresIn: "2h" });
      const headers = { "content-type": "application/json", authorization: `Bearer ${jwt}` };
      return { user, http: new KeepAliveCaller(url, postRequest(url, headers, body)) };
    }),
  );
}

async function measure(concurrencies: readonly number[], rounds: number, warmup: number): Promise<Row[]> {
  const db = await startMigratedDatabase();
  const keys = await makeProjectKeys();
  const fn = await startTokenFunctionFor(keys, db.postgresUrl, LIVEKIT);
  const verifier = new TokenVerifier(LIVEKIT.apiKey, LIVEKIT.apiSecret);
  const rows: Row[] = [];
  const everyCaller: Caller[] = [];
  try {
    const admin = db.admin();
    for (const n of concurrencies) {
      const tour = await createTour(admin, { listeners: n, label: `bench-${n}` });
      const callers = await users(keys, tour.listeners, new URL(fn.url), tour.tourId);
      everyCaller.push(...callers);
      const client: number[] = [];
      const errors: string[] = [];
      let server: number[] = [];
      const cpu = { fn: 0, db: 0, client: 0 };
      for (let round = 0; round < warmup + rounds; round++) {
        const mark = fn.output().length;
        const [fnBefore, dbBefore, clientBefore] = [
          cpuMs(fn.child.pid!),
          await backendsCpuMs(admin),
          process.cpuUsage(),
        ];
        const answers = await Promise.all(callers.map((c) => c.http.ask()));
        const clientCpu = process.cpuUsage(clientBefore);
        const outcomes = await Promise.all(answers.map((a, i) => check(a, tour.tourId, callers[i]!, verifier)));
        if (round < warmup) continue;
        cpu.fn += cpuMs(fn.child.pid!) - fnBefore;
        cpu.db += spent(dbBefore, await backendsCpuMs(admin));
        cpu.client += (clientCpu.user + clientCpu.system) / 1000;
        client.push(...outcomes.map((o) => o.ms));
        errors.push(...outcomes.flatMap((o) => (o.error ? [o.error] : [])));
        server = server.concat(serverTimes(fn.output(), mark));
      }
      const per = (ms: number) => ms / client.length;
      rows.push({
        concurrency: n,
        requests: client.length,
        errors: errors.length,
        firstError: errors[0],
        client,
        server,
        cpu: { fn: per(cpu.fn), db: per(cpu.db), client: per(cpu.client) },
      });
    }
  } finally {
    for (const c of everyCaller) c.http.close();
    await fn.stop();
    await db.stop();
  }
  return rows;
}

const f = (ms: number) => ms.toFixed(1);

function table(rows: readonly Row[]): string {
  const lines = [
    "| at once | requests | errors | p50 ms | p95 ms | p99 ms | max ms | function p50 / p99 ms | CPU ms per request: function / PostgreSQL / client |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const p = (q: number) => f(percentile(r.client, q));
    const s = r.server.length ? `${f(percentile(r.server, 50))} / ${f(percentile(r.server, 99))}` : "—";
    const cpu = `${f(r.cpu.fn)} / ${f(r.cpu.db)} / ${f(r.cpu.client)}`;
    lines.push(
      `| ${r.concurrency} | ${r.requests} | ${r.errors} | ${p(50)} | ${p(95)} | ${p(99)} | ${f(Math.max(...r.client))} | ${s} | ${cpu} |`,
    );
  }
  return lines.join("\n");
}

async function main(cli: Cli<typeof SPEC.options>): Promise<number> {
  const { values } = cli;
  const concurrencies = parseConcurrency(values.concurrency);
  const rounds = numberOption("rounds", values.rounds, { integer: true, above: 0 });
  const warmup = numberOption("warmup", values.warmup, { integer: true, atLeast: 0 });
  const before = loadavg();
  const rows = await measure(concurrencies, rounds, warmup);
  const after = loadavg();
  const command = `npm run bench:tokens -- ${process.argv.slice(2).join(" ")}`.trim();
  console.log(
    `${new Date().toISOString()} · ${cpus().length} CPUs · load average (1 min) ${before[0]!.toFixed(2)} before, ${after[0]!.toFixed(2)} after`,
  );
  console.log(`${command} (${rounds} rounds after ${warmup} warm-up per row)\n`);
  console.log(table(rows));
  for (const r of rows) if (r.firstError) console.log(`\nfirst error at ${r.concurrency}: ${r.firstError}`);
  return rows.some((r) => r.errors > 0) ? 1 : 0;
}

if (require.main === module) runCli(SPEC, main, { forceExit: true });
