// The cross-check's section of capacity.md: every round's figures, their
// medians, the verdict, and what the polled lean crowd shows. Pure.
import { relativeMargin } from "./fit";
import { PACKET_WRITE_SYSCALLS } from "./pprofShares";
import { CROSS_CHECK_MARGIN, type CrossCheck, type CrowdMeasurement, type DerivedFigures } from "./report";

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;
const perThousand = (x: number) => (x * 1000).toFixed(3);
const signedPct = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)} %`;

const cell = (x: number | undefined, f: (x: number) => string) => (x === undefined ? "—" : f(x));

/** Whether the report's cross-check profiled LiveKit's windows (reports since 2026-11-30 19:00). */
const profiled = (c: CrossCheck) => c.lean.livekitCpuCoresPerListenerOutsideWrites !== undefined;

function row(label: string, guidesAlone: number, m: CrowdMeasurement, withWrites: boolean): string {
  const writes = withWrites
    ? ` ${cell(m.livekitWriteShare, (x) => pct(x, 0))} | ${cell(m.livekitCpuCoresPerListenerOutsideWrites, perThousand)} |`
    : "";
  return `| ${label} | ${m.client} | ${pct(m.livekitCpuCores)} | ${pct(guidesAlone)} | ${perThousand(m.livekitCpuCoresPerListener)} |${writes} ${perThousand(m.crowdCpuCoresPerListener)} | ${pct(m.generatorCoreBusy, 0)} | ${m.silent} / ${m.failed} |`;
}

function table(c: CrossCheck): string {
  const rounds = c.rounds ?? [c];
  const w = profiled(c);
  const lines = rounds.flatMap((r, i) =>
    [r.lean, r.leanPhone, r.leanNoReports, r.leanPolled, r.leanPorts, r.sdk].flatMap((m) =>
      m ? [row(String(i + 1), r.guidesOnlyLivekitCpuCores, m, w)] : [],
    ),
  );
  const medians = [c.lean, c.leanPhone, c.leanNoReports, c.leanPolled, c.leanPorts, c.sdk].flatMap((m) =>
    m ? [row("**median**", c.guidesOnlyLivekitCpuCores, m, w)] : [],
  );
  const writes = w ? " LiveKit's packet writes (system calls) | LiveKit cores per 1,000 listeners outside them |" : "";
  return [
    `| round | crowd | LiveKit CPU | guides alone | LiveKit cores per 1,000 listeners |${writes} crowd's own cores per 1,000 listeners | generator core busy | silent / failed |`,
    `| --- | --- | --- | --- | --- |${w ? " --- | --- |" : ""} --- | --- | --- |`,
    ...lines,
    ...(rounds.length > 1 ? medians : []),
  ].join("\n");
}

/** The figure a round compares: outside LiveKit's packet writes when profiled, else all of LiveKit's CPU. */
const compared = (m: CrowdMeasurement) => m.livekitCpuCoresPerListenerOutsideWrites ?? m.livekitCpuCoresPerListener;

/** The SDK crowd's CPU per listener over the lean crowd's, lowest and highest over the rounds. */
export function roundRatios(c: CrossCheck): { low: number; high: number } {
  const ratios = (c.rounds ?? [c]).map((r) => compared(r.sdk) / compared(r.lean));
  return { low: Math.min(...ratios), high: Math.max(...ratios) };
}

/** How the profiled cross-check compares, and how far apart the crowds were before the writes were taken out. */
function basisText(c: CrossCheck): string {
  if (!profiled(c)) return "";
  const whole = relativeMargin(c.lean.livekitCpuCoresPerListener, c.sdk.livekitCpuCoresPerListener);
  return `

The verdict compares LiveKit's CPU per listener **outside its packet-write system calls** (from its CPU profile over
each window, \`${PACKET_WRITE_SYSCALLS}\`): over loopback the kernel runs each receiving socket's side of a datagram
inside the sender's call, and the SDK crowd parks a reader per listener that it wakes there, per packet — on a server,
the phones' work. With the writes, the crowds were ${pct(whole)} apart (the SDK crowd's writes took
${pct(c.sdk.livekitWriteShare ?? NaN, 0)} of LiveKit's CPU, the lean crowd's ${pct(c.lean.livekitWriteShare ?? NaN, 0)}). Every capacity figure keeps the lean crowd's writes: it includes the
kernel's send path and the lean crowd's batched receive, on the dear side of a server's.`;
}

function verdict(c: CrossCheck, d: DerivedFigures & { crossCheckMargin: number }): string {
  const why = `Why ±${pct(CROSS_CHECK_MARGIN, 0)}: the capacity planner keeps 20 % of a core in reserve (it plans to 80 %), so a
per-listener error below that cannot turn a plan that fits into one that saturates.`;
  const spread = c.rounds && c.rounds.length > 1 ? roundRatios(c) : undefined;
  const spreadText = spread
    ? ` Round by round, the SDK crowd's figure was ${spread.low.toFixed(2)}–${spread.high.toFixed(2)} times the lean crowd's.`
    : "";
  const head = `The lean crowd's median figure is **${pct(d.crossCheckMargin)}** from the SDK crowd's: they ${d.crossCheckAgrees ? "**agree**" : "**do not agree**"} within the
stated margin of ±${pct(CROSS_CHECK_MARGIN, 0)}.${spreadText} ${why}`;
  if (d.crossCheckAgrees) return `${head} The lean crowd's figures are used as measured.`;
  if (d.crowdCalibration === 1)
    return `${head} The lean crowd made LiveKit work harder per listener than the SDK crowd did: its way of receiving
hides no work from LiveKit, and its figures are used as measured, which errs on LiveKit's dear side.`;
  return `${head} The lean crowd may leave out work the SDK crowd causes, so every lean-crowd figure in this report's tables and in
\`derived\` is multiplied by ${d.crowdCalibration.toFixed(2)} (the SDK crowd's median CPU per listener over the lean crowd's),
assuming that ratio holds for every lever; the "as measured" column keeps the raw figure.`;
}

function polledText(c: CrossCheck): string {
  if (!c.leanPolled) return "";
  const lean = c.lean.livekitCpuCoresPerListener;
  const polled = c.leanPolled.livekitCpuCoresPerListener;
  const sdk = c.sdk.livekitCpuCoresPerListener;
  return `

The polled lean crowd differs from the lean crowd only in how it receives (a socket per listener whose reader waits in
Go's poller, as each SDK PeerConnection's does), and from the SDK crowd in what it does with the audio and what it
answers (no decryption, no RTCP; LiveKit offers a subscriber's audio NACK and no transport-wide congestion feedback, and
the SDK crowd sends a receiver report a second per track). LiveKit's CPU per listener, median: polled lean crowd
${signedPct(polled / lean - 1)} against the lean crowd, ${signedPct(polled / sdk - 1)} against the SDK crowd. Over loopback the kernel
delivers each datagram on the sending core, LiveKit's, waking the reader that waits for it; on a server that work is the
phones'.${agreementText(polled, sdk)}${portsText(c)}`;
}

function agreementText(polled: number, sdk: number): string {
  if (Math.abs(polled - sdk) / sdk > CROSS_CHECK_MARGIN) return "";
  return ` The polled lean crowd and the SDK crowd agree within ±${pct(CROSS_CHECK_MARGIN, 0)}: what the lean crowd leaves
out (decryption, RTCP) does not change LiveKit's work measurably; how a crowd receives does. The calibration above is
therefore conservative: on a server, whose phones receive elsewhere, LiveKit's cost per listener should lie between the
lean crowd's figure and the calibrated one.`;
}

function portsText(c: CrossCheck): string {
  if (!c.leanPorts) return "";
  const ports = c.leanPorts.livekitCpuCoresPerListener;
  return ` The lean crowd with a port per listener that no one waits on (\`--client lean-ports\`, the crowd of the
levers' rounds) made LiveKit spend ${signedPct(ports / c.lean.livekitCpuCoresPerListener - 1)} against the lean crowd per listener.`;
}

/** What each round joined, in order. */
function crowdsJoined(c: CrossCheck): string {
  if (!c.leanPhone)
    return `the lean
crowd, the lean crowd with polled sockets (\`--client lean-polled\`), with unwaited ports (\`--client lean-ports\`), and the SDK crowd`;
  if (c.leanClient === "lean-addrs")
    return `the lean crowd
with an address per listener on one socket (\`--client lean-addrs\`, the crowd every other figure in this report is
measured with) reporting as the SDK crowd does (\`--reports sdk\`: a receiver report and an extended report a second
per listener, as the SDK's pion interceptors send them), the same crowd reporting as a phone does (\`--reports phone\`:
a receiver report about every 5 s, as libwebrtc sends for audio it receives; the reports of every other figure),
reporting nothing, and the SDK crowd`;
  return `the lean
crowd reporting as the SDK crowd does (\`--reports sdk\`: a receiver report and an extended report a second per listener,
as the SDK's pion interceptors send them), the lean crowd reporting as a phone does (\`--reports phone\`: a receiver report
about every 5 s, as libwebrtc sends for audio it receives),${c.leanPorts ? ` the same with a port per listener (\`--client lean-ports\`: the crowd every other figure in this report is measured with),` : ""} the lean crowd reporting nothing, and the SDK crowd`;
}

function reportsText(c: CrossCheck): string {
  if (!c.leanPhone || !c.leanNoReports) return "";
  const none = c.leanNoReports.livekitCpuCoresPerListener;
  return `

What the reports cost LiveKit, per listener (medians, against the lean crowd reporting nothing): the SDK's
${signedPct(c.lean.livekitCpuCoresPerListener / none - 1)}, a phone's ${signedPct(c.leanPhone.livekitCpuCoresPerListener / none - 1)}. LiveKit reads, decrypts and handles every report on its own core
(and answers the SDK's extended reports). The verdict above compares the SDK crowd with its lean twin, which reports as
it does: it shows whether the lean crowd's way of receiving hides work from LiveKit. The capacity figures use a phone's
reports, because phones, not the SDK, are the listeners; the SDK crowd's figure is the dear side of them.`;
}

export function crossCheckText(c: CrossCheck | undefined, d: DerivedFigures, error?: string): string {
  if (error) return `It failed in this run: ${error}`;
  const margin = d.crossCheckMargin;
  if (!c || margin === undefined) return "Not run in this report (`--cross-check 0`).";
  const rounds = c.rounds?.length ?? 1;
  const setup = !c.setup
    ? ""
    : c.leanClient === "lean-addrs"
      ? ` LiveKit and the guides are set as ${c.setup}: the SDK crowd's pion offers no RED, so with RED LiveKit would send
it plain Opus and the others RED, not the same work.`
      : ` LiveKit and the guides are set as ${c.setup}: the lean crowd's one shared socket cannot join the rendered mux,
and the SDK crowd's pion offers no RED, so with RED LiveKit would send it plain Opus and the others RED, not the same work.`;
  return `${c.listeners} listeners in ${c.tours} tours (Go guides${c.setup ? "" : ", baseline settings"}) on one fresh LiveKit, ${rounds} round${rounds === 1 ? "" : "s"}.${setup}
Each round measures LiveKit with the guides alone, then joins each crowd in turn, after the previous one left: ${crowdsJoined(c)} (\`loadgen listen --client sdk\`,
LiveKit's Go SDK on pion, built like LiveKit's own load tester). CPU per listener = (LiveKit with the crowd − with the
guides alone that round) / listeners. Rounds, because one sample of each crowd swung by a third between runs; medians,
because one round can still be far off (each figure's median on its own).

${table(c)}

${verdict(c, { ...d, crossCheckMargin: margin })}${basisText(c)}${polledText(c)}${c.leanPolled ? "" : portsText(c)}${reportsText(c)}`;
}
