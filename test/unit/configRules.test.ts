// The stack-config rules that go beyond one value: Hetzner server types per
// location (#14), image references and the LiveKit minimum (#15), placeholders
// under a real `up` (#16), retiring prod (#17). Operator ranges (#13): operatorRanges.test.ts.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_FIELDS, parseStackConfig } from "../../config/schema";
import { HETZNER_LOCATIONS, SERVER_TYPES } from "../../config/hetzner";
import { isPinnedImage } from "../../config/rules";
import { opensshPublicKey, validRawConfig, validSecretConfig, configProblems as problemsOf } from "../support/fixtures";

const root = join(__dirname, "..", "..");

const withSecrets = (stack: string, raw: Record<string, unknown>) =>
  problemsOf(stack, { ...raw, ...validSecretConfig() }, true);

/** The committed stack file's roamcast: values, as the offline tools read them. */
function committedConfig(stack: string): Record<string, unknown> {
  const doc = parse(readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^roamcast:/, ""), v]));
}

describe("server types per location (#14)", () => {
  const EU_X86 =
    "cx23, cx33, cx43, cx53, cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63";
  const US_X86 = "cpx11, cpx21, cpx31, cpx41, cpx51, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63";

  it.each([
    [
      { serverType: "cx99" },
      `roamcast:serverType "cx99" is not a Hetzner server type; in nbg1 choose one of ${EU_X86}`,
    ],
    [
      { serverType: "cx32" },
      `roamcast:serverType "cx32" is retired and can no longer be ordered; use its successor cx33 (in nbg1: ${EU_X86})`,
    ],
    [
      { serverType: "cx33", location: "ash" },
      `roamcast:serverType "cx33" is not sold in ash (only in fsn1, nbg1, hel1); in ash choose one of ${US_X86}, or set roamcast:location to fsn1, nbg1 or hel1`,
    ],
    [
      { serverType: "cpx31", location: "fsn1" },
      `roamcast:serverType "cpx31" is not sold in fsn1 (only in ash, hil); in fsn1 choose one of ${EU_X86}, or set roamcast:location to ash or hil`,
    ],
    [
      { serverType: "cax21" },
      `roamcast:serverType "cax21" is an Arm64 server, but this stack runs and tests its container images on amd64 only; in nbg1 choose one of ${EU_X86}`,
    ],
  ])("refuses %j, naming the choices for the location", (overrides, message) => {
    expect(problemsOf("dev", validRawConfig(overrides))).toEqual([message]);
  });

  it.each([
    ["cx33", "hel1"],
    ["cpx22", "sin"],
    ["cpx41", "hil"],
    ["ccx33", "ash"],
    ["ccx13", "sin"],
  ])("accepts %s in %s", (serverType, location) => {
    expect(problemsOf("dev", validRawConfig({ serverType, location }))).toEqual([]);
  });
});

describe("server types per location (#14), over the whole table", () => {
  it("a type passes exactly where the table sells it, and only on x86", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(SERVER_TYPES)),
        fc.constantFrom(...HETZNER_LOCATIONS),
        (type, where) => {
          const offer = SERVER_TYPES[type]!;
          const sold = offer.arch === "x86" && offer.locations.includes(where);
          expect(problemsOf("dev", validRawConfig({ serverType: type, location: where }))).toHaveLength(sold ? 0 : 1);
        },
      ),
    );
  });

  it("a retired type whose successor is not sold in the location names only that location's choices", () => {
    expect(problemsOf("dev", validRawConfig({ serverType: "cx32", location: "sin" }))).toEqual([
      'roamcast:serverType "cx32" is retired and can no longer be ordered; in sin choose one of cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63',
    ]);
  });
});

describe("image references (#15)", () => {
  const tooOld = (img: string) =>
    `roamcast:livekitImage "${img}" is older than LiveKit v1.13.2, which fixes Firefox listeners hearing silence (livekit#4599) and reconnects after ~5 min offline (#4580); use v1.13.2 or later, e.g. livekit/livekit-server:v1.13.5`;
  const digest = "a".repeat(64);

  it.each([
    ["livekit/livekit-server:v1.4.0", [tooOld("livekit/livekit-server:v1.4.0")]],
    ["livekit/livekit-server:v1.13.1", [tooOld("livekit/livekit-server:v1.13.1")]],
    ["livekit/livekit-server:v1.13.2-rc.1", [tooOld("livekit/livekit-server:v1.13.2-rc.1")]],
    [
      `livekit/livekit-server@sha256:${digest}`,
      [
        `roamcast:livekitImage "livekit/livekit-server@sha256:${digest}" has no version tag, so its LiveKit version cannot be checked; use a release tag (v1.13.2 or later), optionally with its digest, e.g. livekit/livekit-server:v1.13.5@sha256:<digest>`,
      ],
    ],
    [
      "livekit/livekit-server:master",
      [
        'roamcast:livekitImage "livekit/livekit-server:master" has no version tag, so its LiveKit version cannot be checked; use a release tag (v1.13.2 or later), optionally with its digest, e.g. livekit/livekit-server:v1.13.5@sha256:<digest>',
      ],
    ],
    [
      "Livekit/Server:v1.13.5",
      [
        'roamcast:livekitImage "Livekit/Server:v1.13.5" is not an image reference; write [registry[:port]/]name:tag in lower case, e.g. livekit/livekit-server:v1.13.5',
      ],
    ],
    [
      "registry.example.com:5000/livekit",
      [
        'roamcast:livekitImage "registry.example.com:5000/livekit" is not pinned; name an exact tag other than latest, e.g. livekit/livekit-server:v1.13.5 (optionally @sha256:<digest>)',
      ],
    ],
  ])("refuses livekitImage %s", (livekitImage, expected) => {
    expect(problemsOf("dev", validRawConfig({ livekitImage }))).toEqual(expected);
  });

  it.each([
    "livekit/livekit-server:v1.13.2",
    "livekit/livekit-server:1.14.0",
    "livekit/livekit-server:v1.14.0-rc.1",
    "registry.example.com:5000/livekit:v1.13.5",
    "localhost:5000/mirror/livekit-server:v2.0.0",
    `ghcr.io/acme/livekit:v1.13.5@sha256:${digest}`,
  ])("accepts livekitImage %s", (livekitImage) => {
    expect(problemsOf("dev", validRawConfig({ livekitImage }))).toEqual([]);
  });

  it("a registry's port is never mistaken for a tag", () => {
    expect(isPinnedImage("registry.example.com:5000/redis")).toBe(false);
    expect(isPinnedImage("registry.example.com:5000/redis:7.4.2-alpine")).toBe(true);
    expect(isPinnedImage("[2001:db8::1]:5000/redis:7.4.2")).toBe(true);
  });

  it("any registry, port, path and tag other than latest is pinned", () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        fc.option(
          fc.tuple(fc.array(label, { minLength: 2, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 65535 }))),
        ),
        // No dot in a path component: Docker would read a first one with a dot as a registry. Short
        // components: a name of more than 255 characters is not a reference at all.
        fc.array(fc.stringMatching(/^[a-z0-9]{1,10}([_-][a-z0-9]{1,10}){0,3}$/), { minLength: 1, maxLength: 3 }),
        fc.stringMatching(/^\w[\w.-]{0,20}$/),
        (registry, path, tag) => {
          const host = registry ? `${registry[0].join(".")}${registry[1] ? `:${registry[1]}` : ""}/` : "";
          expect(isPinnedImage(`${host}${path.join("/")}:${tag}`)).toBe(tag !== "latest");
          expect(isPinnedImage(`${host}${path.join("/")}`)).toBe(false);
        },
      ),
    );
  });
});

describe("placeholders under a real up (#16)", () => {
  it.each([
    [
      "dev",
      [
        "roamcast:sshPublicKeys[0] is the example key committed in the stack file, not an operator's; put your own public key there: pulumi config set --path 'roamcast:sshPublicKeys[0]' \"$(cat ~/.ssh/id_ed25519.pub)\"",
        "roamcast:operatorCidrs[0] \"203.0.113.0/24\" is a documentation range (RFC 5737), not an operator's address; put your office's or VPN's egress address there: pulumi config set --path 'roamcast:operatorCidrs[0]' <address>/32",
        "roamcast:operatorCidrs[1] \"2001:db8:100::/48\" is a documentation range (RFC 3849), not an operator's address; put your office's or VPN's egress address there: pulumi config set --path 'roamcast:operatorCidrs[1]' <address>/32",
        'roamcast:supabaseProjectRef "roamcastdevprojectrf" is the placeholder committed in the stack file; put your project\'s reference there (the 20 letters of https://<ref>.supabase.co): pulumi config set roamcast:supabaseProjectRef <ref>',
      ],
    ],
    ["prod", expect.arrayContaining([expect.stringContaining('"roamcastprodprojectr" is the placeholder')])],
  ])("the committed %s stack file's placeholders are refused once secrets are there", (stack, expected) => {
    const config = committedConfig(stack);
    // Real secrets, set as the README says; only the committed values are left as they are.
    const dbUrl = `postgresql://postgres.${String(config.supabaseProjectRef)}:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres`;
    const problems = problemsOf(stack, { ...config, ...validSecretConfig({ supabaseDbUrl: dbUrl }) }, true);
    expect(problems).toEqual(expected);
    expect(problems).toHaveLength(4);
  });

  it.each(["dev", "prod"])("the offline tools still accept the committed %s stack file", (stack) => {
    expect(problemsOf(stack, committedConfig(stack))).toEqual([]);
  });

  it("refuses reserved example domains, naming each key", () => {
    const raw = validRawConfig({
      zoneName: "example.com",
      livekitHost: "live.example.com",
      turnHost: "turn.example.com",
      acmeEmail: "ops@example.org",
      redisImage: "registry.example.net:5000/redis:7.4.2-alpine",
    });
    expect(problemsOf("dev", raw)).toEqual([]);
    expect(withSecrets("dev", raw)).toEqual([
      'roamcast:zoneName "example.com" is a reserved example domain (RFC 2606); put the Cloudflare zone you own there: pulumi config set roamcast:zoneName <your domain>',
      'roamcast:livekitHost "live.example.com" is a reserved example domain (RFC 2606); put a name in your own zone there: pulumi config set roamcast:livekitHost live.<your domain>',
      'roamcast:turnHost "turn.example.com" is a reserved example domain (RFC 2606); put a name in your own zone there: pulumi config set roamcast:turnHost turn.<your domain>',
      'roamcast:acmeEmail "ops@example.org" is at a reserved example domain (RFC 2606); Let\'s Encrypt needs a mailbox you read: pulumi config set roamcast:acmeEmail <you@your domain>',
      'roamcast:redisImage "registry.example.net:5000/redis:7.4.2-alpine" names a registry at a reserved example domain (RFC 2606); name the registry you pull from',
    ]);
  });

  it("any range inside a documentation block is a placeholder; real ranges are not", () => {
    const blocks: [string, number][] = [
      ["192.0.2", 24],
      ["198.51.100", 24],
      ["203.0.113", 24],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...blocks),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 24, max: 32 }),
        ([net], host, prefix) => {
          const size = 2 ** (32 - prefix);
          const cidr = `${net}.${Math.floor(host / size) * size}/${prefix}`;
          expect(withSecrets("dev", validRawConfig({ operatorCidrs: [cidr] }))).toEqual([
            expect.stringContaining(`"${cidr}" is a documentation range (RFC 5737)`),
          ]);
        },
      ),
    );
    expect(withSecrets("dev", validRawConfig({ operatorCidrs: ["2001:db8:ffff::/48"] }))).toEqual([
      expect.stringContaining("(RFC 3849)"),
    ]);
    expect(withSecrets("dev", validRawConfig({ operatorCidrs: ["203.0.112.0/23", "2001:db9::/48"] }))).toEqual([]);
  });

  it("a fresh key and real addresses pass", () => {
    expect(withSecrets("dev", validRawConfig({ sshPublicKeys: [opensshPublicKey()] }))).toEqual([]);
  });
});

describe("retiring the prod server (#17)", () => {
  /** `pulumi config set roamcast:<key> <value>` lines of the README's Protection section. */
  function readmeRetireSteps(): Record<string, string> {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const section = readme.split(/^### Protection$/m)[1]!.split(/^#{2,3} /m)[0]!;
    const steps = [...section.matchAll(/pulumi config set roamcast:(\w+) (\S+)/g)];
    return Object.fromEntries(steps.map((m) => [m[1]!, m[2]!]));
  }

  it("the README's way to retire prod passes validation and turns protection off", () => {
    const steps = readmeRetireSteps();
    expect(Object.keys(steps).length).toBeGreaterThan(0);
    const settings = parseStackConfig("prod", { ...committedConfig("prod"), ...steps });
    expect(settings.production).toBe(false);
  });

  it("production: false on prod alone is still refused", () => {
    expect(problemsOf("prod", validRawConfig({ production: false }))).toEqual([
      "roamcast:production must be true on the prod stack: set it with: pulumi config set roamcast:production true",
    ]);
  });

  it.each([
    [
      "prod",
      { production: true, retire: true },
      "roamcast:retire is true but roamcast:production is still true: set production false as well to drop the protection, or unset retire",
    ],
    [
      "dev",
      { retire: true },
      "roamcast:retire applies only to the prod stack; on dev, production: false alone turns the protection off",
    ],
  ])("on %s refuses %j", (stack, overrides, message) => {
    expect(problemsOf(stack, validRawConfig(overrides))).toEqual([message]);
  });

  it("a retiring prod stack keeps the SSH guard", () => {
    expect(problemsOf("prod", validRawConfig({ production: false, retire: true, operatorCidrs: ["::/0"] }))).toEqual([
      `roamcast:operatorCidrs[0] "::/0" opens SSH to the whole Internet, which a production stack refuses; list the operators' own addresses`,
    ]);
  });
});

describe("the settings are derived from the field table (#7)", () => {
  it("holds the stack and exactly the table's non-secret keys", () => {
    const settings = parseStackConfig("dev", validRawConfig());
    const plain = Object.entries(CONFIG_FIELDS)
      .filter(([, spec]) => !("secret" in spec))
      .map(([k]) => k);
    expect(Object.keys(settings).sort()).toEqual(["stack", ...plain].sort());
  });
});
