// Outage benchmark: how long listeners hear nothing when one service of the
// host restarts, for each kind of change the apply step makes. A guide
// publishes its marked signal and --listeners listeners hear it (real
// @livekit/rtc-node clients signalling through Caddy, as the app does; on a
// drop they recover as bench/restartPhones.ts says); then each process is
// restarted as Docker restarts its container (bench/restartHost.ts), one
// kind after another on the same tour. Per kind: the longest interval
// without the guide's signal per listener (max and median over listeners),
// how many listeners the SDK reconnected and how many the app had to
// rejoin, and how soon a new tour could start.
//
// Docker is not used (it is absent where this was written): the processes
// are restarted directly, so container start-up time is not included.
//
//   npm run bench:restarts -- [--listeners 5] [--livekit-grace 30] [--settle 3] [--recover 60]
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { DisconnectReason, Room } from "@livekit/rtc-node";
import { localHostModel } from "../local/model";
import { makeTestCa } from "../local/netHost";
import { createTour } from "../local/roles";
import { writeTemp } from "../local/temp";
import { nowMs } from "../tour/audio";
import { disposeClients, leaveRooms } from "../tour/rooms";
import { percentile } from "../tour/stats";
import { sleep, withTimeout } from "../tour/time";
import { type Cli, numberOption, runCli } from "../scripts/cli";
import { type BenchHost, startBenchHost } from "./restartHost";
import { longestGap, type Phone, startGuide, startListener } from "./restartPhones";
import { LIVEKIT_STOP_GRACE_SECONDS } from "../templates/compose";

const SPEC = {
  usage: "usage: npm run bench:restarts -- [--listeners 5] [--livekit-grace 30] [--settle 3] [--recover 60]",
  help: `
Measures the listeners' audio gap when Redis, Caddy or LiveKit restarts, on the
local platform, and prints the table. Needs root (private mount and network
namespaces, in which the LiveKit host name resolves to 127.0.0.1) and the Go tools
(scripts/build-tools.sh: livekit-server, caddy).

  --listeners <n>          listeners in the tour (default 5)
  --livekit-grace <s>      how long LiveKit drains before SIGKILL (default ${LIVEKIT_STOP_GRACE_SECONDS}, the host's stop_grace_period)
  --settle <s>             audio measured before and after each restart (default 3)
  --recover <s>            how long every listener has to hear the guide again (default 60)
  -h, --help               this text
`,
  options: {
    listeners: { type: "string", default: "5" },
    "livekit-grace": { type: "string", default: String(LIVEKIT_STOP_GRACE_SECONDS) },
    settle: { type: "string", default: "3" },
    recover: { type: "string", default: "60" },
  },
} as const;

interface Options {
  readonly listeners: number;
  readonly graceMs: number;
  readonly settleMs: number;
  readonly recoverMs: number;
}

interface Kind {
  readonly change: string;
  readonly restarts: string;
  run(host: BenchHost, options: Options): Promise<string>;
}

const KINDS: readonly Kind[] = [
  {
    change: "monitoring files only",
    restarts: "no tour service (0 by construction; window measured as a control)",
    run: async () => "nothing restarted",
  },
  { change: "redis.conf, Redis image", restarts: "redis", run: (host) => host.restartRedis() },
  { change: "caddy.yaml, Caddy image", restarts: "caddy", run: (host) => host.restartCaddy() },
  {
    change: "livekit.yaml, LiveKit image",
    restarts: "livekit (SIGTERM, drain, SIGKILL as Docker)",
    run: (host, o) => host.restartLivekit(o.graceMs),
  },
  {
    change: "(for comparison) LiveKit forced stop",
    restarts: "livekit (second SIGTERM instead of SIGKILL)",
    run: (host, o) => host.restartLivekit(o.graceMs, true),
  },
];

interface Row {
  readonly kind: Kind;
  readonly gapMaxMs: number;
  readonly gapMedianMs: number;
  readonly reconnected: number;
  readonly rejoined: number;
  readonly guide: string;
  readonly newTourMs: number | undefined;
  readonly recovered: boolean;
  readonly oldProcess: string;
}

interface Tour {
  readonly host: BenchHost;
  readonly guide: Phone;
  readonly listeners: readonly Phone[];
}

const lastHeard = (p: Phone) => p.heard[p.heard.length - 1] ?? 0;

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** ms until a new tour's guide can join after `since`, retrying as the app would; undefined if not within ms. */
async function newTourJoins(host: BenchHost, since: number, ms: number): Promise<number | undefined> {
  const { platform } = host;
  const tour = await createTour(platform.admin, { listeners: 1 });
  const deadline = since + ms;
  while (nowMs() < deadline) {
    const room = new Room();
    try {
      const res = await platform.requestToken(tour.guide, tour.tourId);
      if (res.status !== 200) throw new Error(`token ${res.status}`);
      await withTimeout(10_000, "a new tour's guide joining", room.connect(host.url, res.body.token));
      const joined = nowMs() - since;
      await leaveRooms([room]);
      return joined;
    } catch {
      await leaveRooms([room]);
      await sleep(250);
    }
  }
  return undefined;
}

async function measure(tour: Tour, kind: Kind, options: Options): Promise<Row> {
  const { host, guide, listeners } = tour;
  const before = listeners.map((l) => ({ reconnects: l.reconnects(), rejoins: l.rejoins().length }));
  const guideBefore = { reconnects: guide.reconnects(), rejoins: guide.rejoins().length };
  const from = nowMs();
  await sleep(options.settleMs);
  const oldProcess = await kind.run(host, options);
  const restarted = nowMs();
  const [newTourMs, recovered] = await Promise.all([
    newTourJoins(host, restarted, options.recoverMs),
    until(() => listeners.every((l) => lastHeard(l) > restarted), options.recoverMs),
  ]);
  await sleep(options.settleMs);
  const gaps = listeners.map((l) => longestGap(l.heard, from, nowMs()));
  const guideRejoins = guide.rejoins().slice(guideBefore.rejoins);
  return {
    kind,
    gapMaxMs: Math.max(...gaps),
    gapMedianMs: percentile(gaps, 50),
    reconnected: listeners.filter((l, i) => l.reconnects() > before[i]!.reconnects).length,
    rejoined: listeners.filter((l, i) => l.rejoins().length > before[i]!.rejoins).length,
    guide: guideRejoins.length
      ? `rejoined (${guideRejoins.map((r) => DisconnectReason[Number(r)] ?? r).join(", ")})`
      : guide.reconnects() > guideBefore.reconnects
        ? "SDK reconnect"
        : "stayed",
    newTourMs,
    recovered,
    oldProcess,
  };
}

function table(rows: readonly Row[], options: Options): string {
  const n = options.listeners;
  const ms = (v: number) => `${Math.round(v)}`;
  const lines = [
    "| change | restarts | audio gap max (ms) | median (ms) | SDK reconnected | app rejoined | guide | new tour joins after (ms) | old process |",
    "|---|---|---:|---:|---:|---:|---|---:|---|",
    ...rows.map(
      (r) =>
        `| ${r.kind.change} | ${r.kind.restarts} | ${ms(r.gapMaxMs)}${r.recovered ? "" : " (not all recovered)"} | ${ms(r.gapMedianMs)} | ` +
        `${r.reconnected}/${n} | ${r.rejoined}/${n} | ${r.guide} | ${r.newTourMs === undefined ? "no" : ms(r.newTourMs)} | ${r.oldProcess} |`,
    ),
  ];
  return lines.join("\n");
}

async function runBench(options: Options, command: string): Promise<void> {
  const host = await startBenchHost(JSON.parse(process.env.ROAMCAST_BENCH_CA!));
  const phones: Phone[] = [];
  try {
    const { platform } = host;
    const fixture = await createTour(platform.admin, { listeners: options.listeners, label: "restarts" });
    const tokenFor = (user: string) => async () => {
      const res = await platform.requestToken(user, fixture.tourId);
      if (res.status !== 200) throw new Error(`token for ${user}: ${res.status}`);
      return res.body.token as string;
    };
    const guide = startGuide(host.url, tokenFor(fixture.guide));
    phones.push(guide);
    const listeners = fixture.listeners.map((id, i) => startListener(`listener${i + 1}`, host.url, tokenFor(id)));
    phones.push(...listeners);
    const hearing = () => listeners.every((l) => nowMs() - lastHeard(l) < 200);
    if (!(await until(hearing, 60_000))) throw new Error("the listeners did not all hear the guide within 60 s");
    const rows: Row[] = [];
    for (const kind of KINDS) {
      const row = await measure({ host, guide, listeners }, kind, options);
      rows.push(row);
      console.error(`measured: ${kind.change}: gap max ${Math.round(row.gapMaxMs)} ms`);
      if (!(await until(hearing, options.recoverMs)))
        throw new Error(`not every listener hears again after: ${kind.change}`);
    }
    const load = loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
    console.log(
      `${command}\n${new Date().toISOString()}, ${cpus().length} cores, load average ${load}\n\n${table(rows, options)}`,
    );
  } finally {
    await Promise.all(phones.map((p) => p.stop()));
    await disposeClients();
    await host.stop();
  }
}

/**
 * Loopback, and a veth pair: libwebrtc gathers no candidate on loopback, so
 * without another interface the clients' ICE would have nothing to pair
 * with LiveKit's 127.0.0.1 (outside, the machine's own interface serves).
 */
const NAMESPACE_SETUP = [
  "ip link set lo up",
  "ip link add rcbench0 type veth peer name rcbench1",
  "ip addr add 192.0.2.1/24 dev rcbench0",
  "ip addr add 192.0.2.2/24 dev rcbench1",
  "ip link set rcbench0 up",
  "ip link set rcbench1 up",
  'mount --bind "$0" /etc/hosts',
  'exec "$@"',
].join(" && ");

/**
 * Runs this command again in private mount and network namespaces: its
 * /etc/hosts names the LiveKit host, and LiveKit's fixed RTC ports cannot
 * clash with another livekit-server on the machine (everything here is on
 * loopback).
 */
function inOwnNamespace(): number {
  if (process.getuid?.() !== 0)
    throw new Error("bench:restarts needs root: it runs in its own mount and network namespaces");
  const model = localHostModel({ secrets: { apiKey: "", apiSecret: "", redisPassword: "" }, webhookUrl: "" });
  const hosts = writeTemp(
    "hosts",
    `${readFileSync("/etc/hosts", "utf8")}\n127.0.0.1 ${model.livekitHost} ${model.turnHost}\n`,
    0o644,
  );
  const ca = makeTestCa([model.livekitHost, model.turnHost]);
  const result = spawnSync(
    "unshare",
    ["--mount", "--net", "--propagation", "private", "sh", "-c", NAMESPACE_SETUP, hosts].concat([
      process.execPath,
      "--import",
      "tsx",
      __filename,
      ...process.argv.slice(2),
    ]),
    {
      stdio: "inherit",
      // The clients trust the test CA from their first connection.
      env: { ...process.env, ROAMCAST_BENCH_CA: JSON.stringify(ca), SSL_CERT_FILE: ca.caFile },
    },
  );
  if (result.error) throw new Error(`unshare: ${result.error.message}`);
  return result.status ?? 1;
}

function main(cli: Cli<typeof SPEC.options>): Promise<number> | number {
  const { values } = cli;
  const seconds = (name: "livekit-grace" | "settle" | "recover") =>
    numberOption(name, values[name], { above: 0 }) * 1000;
  const options: Options = {
    listeners: numberOption("listeners", values.listeners, { integer: true, above: 0 }),
    graceMs: seconds("livekit-grace"),
    settleMs: seconds("settle"),
    recoverMs: seconds("recover"),
  };
  if (!process.env.ROAMCAST_BENCH_CA) return inOwnNamespace();
  const command = `npm run bench:restarts -- ${process.argv.slice(2).join(" ")}`.trim();
  return runBench(options, command).then(() => 0);
}

if (require.main === module) runCli(SPEC, main, { forceExit: true });
