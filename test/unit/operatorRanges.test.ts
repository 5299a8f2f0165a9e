// The operator ranges allowed to reach SSH (#13): parsed CIDRs, canonical
// spelling, host bits refused, and in production a bound on the union.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deployCidrList } from "../../config/operatorRanges";
import { parseStackConfig } from "../../config/schema";
import { planFirewallRules } from "../../plans/firewall";
import { publicPorts } from "../../templates";
import { validRawConfig, configProblems as problemsOf } from "../support/fixtures";

const prod = (overrides: Record<string, unknown>) =>
  problemsOf("prod", validRawConfig({ production: true, ...overrides }));

const WHOLE_V4 =
  "roamcast:operatorCidrs together open SSH to the whole IPv4 Internet, which a production stack refuses; list the operators' own addresses";
const wholeEntry = (i: number, c: string) =>
  `roamcast:operatorCidrs[${i}] "${c}" opens SSH to the whole Internet, which a production stack refuses; list the operators' own addresses`;

describe("operator ranges (#13)", () => {
  it.each([
    [["0.0.0.0/1", "128.0.0.0/1"], [WHOLE_V4]],
    [["0::0/0"], [wholeEntry(0, "0::0/0")]],
    [["0.0.0.0/00"], [wholeEntry(0, "0.0.0.0/00")]],
    [
      ["203.0.113.7/0"],
      [
        'roamcast:operatorCidrs[0] "203.0.113.7/0" has bits set after its /0 prefix; write the network 0.0.0.0/0, or 203.0.113.7/32 for that one address',
        wholeEntry(0, "203.0.113.7/0"),
      ],
    ],
    [
      ["80.0.0.0/15"],
      [
        "roamcast:operatorCidrs together cover as many public IPv4 addresses as a /15; a production stack allows at most a /16 of public IPv4 in total (an office or a VPN egress): list only the operators' own ranges",
      ],
    ],
    [
      ["80.0.0.0/16", "80.2.0.0/32"],
      [
        "roamcast:operatorCidrs together cover more public IPv4 addresses than a /16; a production stack allows at most a /16 of public IPv4 in total (an office or a VPN egress): list only the operators' own ranges",
      ],
    ],
    [
      ["2a01:4f8::/31"],
      [
        "roamcast:operatorCidrs together cover as many public IPv6 addresses as a /31; a production stack allows at most a /32 of public IPv6 in total (one provider's allocation): list only the operators' own ranges",
      ],
    ],
  ])("a production stack refuses %j", (cidrs, expected) => {
    expect(prod({ operatorCidrs: cidrs })).toEqual(expected);
  });

  it("a production stack accepts up to a /16 of IPv4 and a /32 of IPv6, overlaps counted once", () => {
    expect(prod({ operatorCidrs: ["10.0.0.0/16", "10.0.5.0/24", "2a01:4f8::/32", "2a01:4f8:1::/48"] })).toEqual([]);
  });

  it("the stack named prod is held to the bound even before production is set", () => {
    expect(problemsOf("prod", validRawConfig({ operatorCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }))).toContain(WHOLE_V4);
  });

  it("dev accepts any range, but host bits and IPv4-mapped ranges are refused everywhere", () => {
    expect(problemsOf("dev", validRawConfig({ operatorCidrs: ["0.0.0.0/1", "128.0.0.0/1", "::/0"] }))).toEqual([]);
    expect(problemsOf("dev", validRawConfig({ operatorCidrs: ["2a01:4f8::1/64", "::ffff:198.51.100.0/120"] }))).toEqual(
      [
        'roamcast:operatorCidrs[0] "2a01:4f8::1/64" has bits set after its /64 prefix; write the network 2a01:4f8::/64, or 2a01:4f8::1/128 for that one address',
        'roamcast:operatorCidrs[1] "::ffff:198.51.100.0/120" is an IPv4-mapped IPv6 range, which no packet arrives from; write it as 198.51.100.0/24',
      ],
    );
  });

  it("spells every range the one canonical way", () => {
    const s = parseStackConfig(
      "dev",
      validRawConfig({ operatorCidrs: ["10.0.0.0/08", "2A01:04F8:0000:0000::/032", "2a01:0:0:1:0:0:0:0/64"] }),
    );
    expect(s.operatorCidrs).toEqual(["10.0.0.0/8", "2a01:4f8::/32", "2a01:0:0:1::/64"]);
  });

  it("splitting a too-wide range into many pieces is still refused", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 15 })),
        fc.integer({ min: 1, max: 8 }),
        // Inside 64.0.0.0/3, which holds no private or reserved block, so every address counts.
        fc.integer({ min: 64 * 2 ** 24, max: 96 * 2 ** 24 - 1 }),
        fc.boolean(),
        (prefix, split, seed, reversed) => {
          const size = 2 ** (32 - prefix);
          const base = Math.floor(seed / size) * size;
          const pieceSize = size / 2 ** split;
          const pieces = Array.from(
            { length: 2 ** split },
            (_, i) => `${ipv4(base + i * pieceSize)}/${prefix + split}`,
          );
          const problems = prod({ operatorCidrs: reversed ? pieces.reverse() : pieces });
          expect(problems).toEqual([
            prefix === 0
              ? WHOLE_V4
              : `roamcast:operatorCidrs together cover as many public IPv4 addresses as a /${prefix}; a production stack allows at most a /16 of public IPv4 in total (an office or a VPN egress): list only the operators' own ranges`,
          ]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("private and reserved sources never count toward the bound: they cannot reach a public address", () => {
    expect(
      prod({ operatorCidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "80.0.0.0/16"] }),
    ).toEqual([]);
  });

  it("any set of ranges inside one /16 passes in production", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 16 - 1 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 16 - 1 }), fc.integer({ min: 16, max: 32 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (top, ranges) => {
          const cidrs = ranges.map(([low, prefix]) => {
            const size = 2 ** (32 - prefix);
            const address = top * 2 ** 16 + Math.floor(low / size) * size;
            return `${ipv4(address)}/${prefix}`;
          });
          expect(prod({ operatorCidrs: cidrs })).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function ipv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

describe("the deploy workflow's address (deployCidrs)", () => {
  it("is empty by default, and one or more single addresses, comma-separated, in canonical spelling", () => {
    expect(parseStackConfig("prod", validRawConfig({ production: true })).deployCidrs).toBe("");
    expect(deployCidrList("")).toEqual([]);
    expect(deployCidrList(" 198.51.100.44/32, 2001:DB8:0::7/128 ")).toEqual(["198.51.100.44/32", "2001:db8::7/128"]);
    expect(prod({ deployCidrs: "198.51.100.44/32,2001:db8::7/128" })).toEqual([]);
  });

  it.each([
    [
      "198.51.100.0/24",
      'roamcast:deployCidrs entry 1 "198.51.100.0/24" is a range; a deploy opens SSH to its one runner only: give a single address (/32)',
    ],
    [
      "198.51.100.44/32,2001:db8::/64",
      'roamcast:deployCidrs entry 2 "2001:db8::/64" is a range; a deploy opens SSH to its one runner only: give a single address (/128)',
    ],
    [
      "runner",
      'roamcast:deployCidrs entry 1 "runner" is not an address; the deploy workflow sets its runner\'s own, e.g. 198.51.100.7/32',
    ],
  ])("refuses %j, in any stack", (value, message) => {
    expect(problemsOf("dev", validRawConfig({ deployCidrs: value }))).toEqual([message]);
    expect(prod({ deployCidrs: value })).toEqual([message]);
  });

  it("reaches the firewall of the program: the runner alone gets its own SSH rule", () => {
    const addresses = deployCidrList("198.51.100.44/32");
    expect(planFirewallRules(publicPorts(), ["85.214.0.7/32"], addresses).filter((r) => r.port === "22")).toEqual([
      expect.objectContaining({ sourceIps: ["85.214.0.7/32"] }),
      expect.objectContaining({ sourceIps: ["198.51.100.44/32"] }),
    ]);
  });
});
