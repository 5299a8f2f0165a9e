// One bounded probe of one port from inside a lab namespace: did the packet
// reach a listener ("open"), pass the firewall to a closed port ("refused":
// RST or ICMP unreachable), or vanish ("filtered": the firewall dropped it)?
import type { NetLab } from "../../local/netLab";

export type ProbeResult = "open" | "refused" | "filtered";

const TIMEOUT_S = 2;

export function probeTcp(lab: NetLab, from: string, address: string, port: number): ProbeResult {
  // bash's /dev/tcp connects once; `timeout` bounds it.
  const script = `timeout ${TIMEOUT_S} bash -c 'exec 3<>/dev/tcp/${address}/${port}' 2>&1; echo "rc=$?"`;
  const out = lab.exec(from, "bash", ["-c", script]);
  if (/rc=0/.test(out)) return "open";
  if (/Connection refused/.test(out)) return "refused";
  if (/rc=124/.test(out)) return "filtered";
  throw new Error(`tcp probe ${address}:${port} from ${from}: unexpected ${out}`);
}

/** A STUN binding request: a STUN/TURN server answers it; a closed UDP port answers ICMP unless dropped. */
export function probeUdp(lab: NetLab, from: string, address: string, port: number): ProbeResult {
  const script = `
    const s = require("node:dgram").createSocket("udp4");
    const done = (r) => { console.log(r); s.close(); process.exit(0); };
    const req = Buffer.alloc(20); req.writeUInt16BE(1, 0); req.writeUInt32BE(0x2112a442, 4);
    require("node:crypto").randomFillSync(req, 8, 12);
    s.on("message", () => done("open"));
    s.on("error", (e) => done(e.code === "ECONNREFUSED" ? "refused" : "error " + e.code));
    s.connect(${port}, "${address}", () => { s.send(req); setTimeout(() => s.send(req), 300); });
    setTimeout(() => done("filtered"), ${TIMEOUT_S * 1000});`;
  const out = lab.exec(from, process.execPath, ["-e", script]).trim();
  if (out === "open" || out === "refused" || out === "filtered") return out;
  throw new Error(`udp probe ${address}:${port} from ${from}: unexpected ${out}`);
}
