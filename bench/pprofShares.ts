// What share of LiveKit's CPU profile a kind of work takes: the samples whose
// stacks pass through one of a bucket's functions, over all samples, read from
// `go tool pprof -top -focus=<regex>` with every node shown. Pure.

/**
 * LiveKit's packet writes, the system calls alone: the mux's batched `sendmmsg` and the port range's `sendto` per
 * packet. Over loopback the kernel runs the receiving socket's side of each datagram inside the sender's call —
 * queueing it and waking the listener's reader — so this share holds work that on a server is the phones'.
 */
export const PACKET_WRITE_SYSCALLS = "syscaller..sendmmsg|syscall.sendto|syscall.sendmsg";

/** Kinds of LiveKit v1.13.5 work, by the functions (pprof regexes) their stacks pass through. */
export const PROFILE_BUCKETS = [
  {
    name: "forwarding to listeners",
    focus: "ReceiverBase..forwardRTP|RedPrimaryReceiver..ForwardRTP|DownTrack..WriteRTP",
  },
  // Every SRTCP packet LiveKit reads: the listeners' reports and the guides' own sender reports (a crowd that sends
  // no report leaves the guides' alone in this bucket).
  { name: "RTCP in (listeners' reports, guides' reports)", focus: "SessionSRTCP..decrypt|RTCPReader..Write" },
  // Sender reports on LiveKit's timers, and its answer to each extended report (also inside the bucket above).
  { name: "RTCP to listeners (sender reports, XR answers)", focus: "TransportManager..WriteSubscriberRTCP" },
  { name: "ICE checks and keep-alives", focus: "ice/v4.*handleInbound|ice/v4.*checkKeepalive" },
  { name: "packet writes (system calls; over loopback the receiver's side too)", focus: PACKET_WRITE_SYSCALLS },
] as const;

export interface ProfileTotal {
  /** Seconds of CPU samples in the whole profile. */
  readonly totalSeconds: number;
  /** Seconds the profile covered. */
  readonly durationSeconds: number;
}

const SECONDS = /([\d.]+)(ms|s|min)\b/;
function seconds(text: string): number {
  const m = SECONDS.exec(text);
  if (!m) throw new Error(`no duration in "${text}"`);
  const unit = { ms: 0.001, s: 1, min: 60 }[m[2] as "ms" | "s" | "min"];
  return Number(m[1]) * unit;
}

/** The profile's totals, from pprof's header ("Duration: 40.01s, Total samples = 15.31s (38.27%)"). */
export function profileTotal(pprofTop: string): ProfileTotal {
  const line = /^Duration: (\S+), Total samples = (\S+)/m.exec(pprofTop);
  if (!line)
    throw new Error(`not pprof -top output (no "Duration: …, Total samples = …" line):\n${pprofTop.slice(0, 400)}`);
  return { durationSeconds: seconds(line[1]!), totalSeconds: seconds(line[2]!) };
}

/**
 * The focused stacks' seconds: with every node shown (-nodefraction=0 and no node count limit), pprof's "Showing
 * nodes accounting for X" sums each sample's leaf once, so X is exactly the time of the samples the focus kept.
 */
export function focusedSeconds(pprofTop: string): number {
  const line = /^Showing nodes accounting for (\S+?),/m.exec(pprofTop);
  if (!line)
    throw new Error(`not pprof -top output (no "Showing nodes accounting for …" line):\n${pprofTop.slice(0, 400)}`);
  return line[1] === "0" ? 0 : seconds(line[1]!);
}

/** The arguments that make focusedSeconds exact. */
export const PPROF_EVERY_NODE = ["-top", "-nodefraction=0", "-edgefraction=0", "-nodecount=1000000"] as const;
