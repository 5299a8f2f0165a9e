// Nothing else is reachable: from the internet, every port the firewall plan
// does not open is dropped (one bounded probe each), the ones it opens answer,
// and SSH passes only from the operator's address.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firewallPlan } from "../../local/netHost";
import { systemTool } from "../../local/processes";
import { NFT_TABLE, nftablesRuleset } from "../../plans/nftables";
import { PORTS } from "../../templates";
import { probeTcp, probeUdp } from "../support/netProbe";
import { OPERATOR_IP, type RunningLab, SERVER_IP, startRunningLab } from "./lab";

describe("the server namespace behind the firewall plan", () => {
  let running: RunningLab;

  beforeAll(async () => {
    running = await startRunningLab({ sites: [] });
  }, 90_000);
  afterAll(async () => {
    await running?.stop();
  }, 30_000);

  it("answers on the opened TCP ports: Caddy on 443, ICE-TCP on 7881; 80 passes the firewall", () => {
    const lab = running.lab;
    expect(probeTcp(lab, "prober", SERVER_IP, PORTS.https)).toBe("open");
    expect(probeTcp(lab, "prober", SERVER_IP, PORTS.rtcTcp)).toBe("open");
    // No ACME in the lab, so nothing listens on 80; the plan still lets the packet through.
    expect(probeTcp(lab, "prober", SERVER_IP, PORTS.http)).toBe("refused");
  });

  it("answers a STUN binding request on TURN's 3478/udp", () => {
    expect(probeUdp(running.lab, "prober", SERVER_IP, PORTS.turnUdp)).toBe("open");
  });

  it("drops Redis, LiveKit's HTTP, metrics, plain TURN and SSH from a non-operator address", () => {
    const closed = [PORTS.redis, PORTS.livekitHttp, PORTS.metrics, PORTS.turnTls, 22];
    const seen = Object.fromEntries(closed.map((port) => [port, probeTcp(running.lab, "prober", SERVER_IP, port)]));
    expect(seen).toEqual(Object.fromEntries(closed.map((port) => [port, "filtered"])));
  });

  it("drops UDP outside TURN and the media range", () => {
    const closed = [PORTS.rtcTcp, PORTS.turnTls, PORTS.redis];
    const seen = Object.fromEntries(closed.map((port) => [port, probeUdp(running.lab, "prober", SERVER_IP, port)]));
    expect(seen).toEqual(Object.fromEntries(closed.map((port) => [port, "filtered"])));
  });

  it("lets SSH through from the operator's address only (nothing listens: refused, not dropped)", () => {
    expect(probeTcp(running.lab, "operator", SERVER_IP, 22)).toBe("refused");
  });

  it("the drops are the firewall's: without its table, plain TURN 5349 answers from the internet", () => {
    const nft = systemTool("nft", "nftables");
    running.lab.exec("server", nft, ["delete", "table", "inet", NFT_TABLE]);
    try {
      expect(probeTcp(running.lab, "prober", SERVER_IP, PORTS.turnTls)).toBe("open");
    } finally {
      running.lab.exec(
        "server",
        nft,
        ["-f", "-"],
        nftablesRuleset(firewallPlan({ operatorCidrs: [`${OPERATOR_IP}/32`], model: running.model })),
      );
    }
    expect(probeTcp(running.lab, "prober", SERVER_IP, PORTS.turnTls)).toBe("filtered");
  });
});
