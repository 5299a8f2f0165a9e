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
warm-up, and prints latency p50/p95/p99/max and errors per N. Needs nothing
but this repository (embedded PostgreSQL, the repo's Deno).

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
  readonly jwt: string;
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

/** One request, timed; its answer is checked after the round, so checking costs the crowd no CPU. */
async function ask(url: string, tourId: string, caller: Caller): Promise<Outcome> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${caller.jwt}` },
      body: JSON.stringify({ tour_id: tourId }),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    return res.status === 200 ? { ms, body: text } : { ms, error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  } catch (error) {
    return { ms: performance.now() - started, error: (error as Error).message };
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

async function users(keys: ProjectKeys, ids: readonly string[]): Promise<Caller[]> {
  return Promise.all(ids.map(async (user) => ({ user, jwt: await keys.sign({ sub: user }, { expiresIn: "2h" }) })));
}

async function measure(concurrencies: readonly number[], rounds: number, warmup: number): Promise<Row[]> {
  const db = await startMigratedDatabase();
  const keys = await makeProjectKeys();
  const fn = await startTokenFunctionFor(keys, db.postgresUrl, LIVEKIT);
  const verifier = new TokenVerifier(LIVEKIT.apiKey, LIVEKIT.apiSecret);
  const rows: Row[] = [];
  try {
    const admin = db.admin();
    for (const n of concurrencies) {
      const tour = await createTour(admin, { listeners: n, label: `bench-${n}` });
      const callers = await users(keys, tour.listeners);
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
        const answers = await Promise.all(callers.map((c) => ask(fn.url, tour.tourId, c)));
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
