import fc from "fast-check";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { activeToursMode } from "../../config/activeTours";
import { isPinnedImage, isSshPublicKey, isValidCidr } from "../../config/rules";
import { ConfigError, parseStackConfig } from "../../config/schema";
import { readStackSettings } from "../../config/stackFile";
import { opensshPublicKey, validRawConfig, validSecretConfig, configProblems as problemsOf } from "../support/fixtures";

const root = join(__dirname, "..", "..");

describe("stack config", () => {
  it.each(["dev", "prod"])("the committed %s stack file is valid", (stack) => {
    const settings = readStackSettings(root, stack);
    expect(settings.stack).toBe(stack);
    expect(settings.serverType).toBe("cx33");
    expect(settings.production).toBe(stack === "prod");
  });

  it("applies the defaults of every optional setting", () => {
    const s = parseStackConfig("dev", validRawConfig());
    expect(s).toMatchObject({
      production: false,
      serverType: "cx33",
      location: "nbg1",
      image: "ubuntu-24.04",
      livekitImage: "livekit/livekit-server:v1.13.5",
      listenersPerTour: 30,
      tourHours: 3,
      redundantAudio: true,
    });
  });

  it("reads values the way Pulumi hands them over: strings, JSON arrays, numbers and booleans", () => {
    const key = opensshPublicKey();
    const s = parseStackConfig(
      "dev",
      validRawConfig({
        sshPublicKeys: JSON.stringify([key]),
        operatorCidrs: '["10.0.0.0/8"]',
        listenersPerTour: "25",
        production: "true",
        tourHours: 2,
      }),
    );
    expect(s.sshPublicKeys).toEqual([key]);
    expect(s.operatorCidrs).toEqual(["10.0.0.0/8"]);
    expect(s.listenersPerTour).toBe(25);
    expect(s.tourHours).toBe(2);
    expect(s.production).toBe(true);
  });

  it("names every missing required key with the command that sets it, all at once", () => {
    const problems = problemsOf("dev", {});
    expect(problems).toEqual([
      "roamcast:zoneName is required; set it with: pulumi config set roamcast:zoneName roamcast.app",
      "roamcast:livekitHost is required; set it with: pulumi config set roamcast:livekitHost live.roamcast.app",
      "roamcast:turnHost is required; set it with: pulumi config set roamcast:turnHost turn.roamcast.app",
      "roamcast:acmeEmail is required; set it with: pulumi config set roamcast:acmeEmail ops@roamcast.app",
      "roamcast:sshPublicKeys must be a non-empty list of strings, got undefined; set it with: pulumi config set --path 'roamcast:sshPublicKeys[0]' 'ssh-ed25519 AAAA... alice@laptop'",
      "roamcast:operatorCidrs must be a non-empty list of strings, got undefined; set it with: pulumi config set --path 'roamcast:operatorCidrs[0]' 203.0.113.7/32",
      "roamcast:supabaseProjectRef is required; set it with: pulumi config set roamcast:supabaseProjectRef abcdefghijklmnopqrst",
    ]);
  });

  it("chooses what happens to live tours: refuse on a production stack, wait elsewhere, unless the stack says", () => {
    const dev = parseStackConfig("dev", validRawConfig());
    expect([activeToursMode(dev), dev.activeTourWaitMinutes]).toEqual(["wait", 30]);
    expect(activeToursMode(parseStackConfig("prod", validRawConfig({ production: true })))).toBe("refuse");
    expect(activeToursMode(parseStackConfig("staging", validRawConfig({ production: "true" })))).toBe("refuse");
    const forced = parseStackConfig("prod", validRawConfig({ production: true, activeTours: "force" }));
    expect(activeToursMode(forced)).toBe("force");
    expect(parseStackConfig("dev", validRawConfig({ activeTourWaitMinutes: "90" })).activeTourWaitMinutes).toBe(90);
  });

  it("the error message lists each problem on its own line", () => {
    expect(() => parseStackConfig("dev", validRawConfig({ location: "mars1", serverType: "huge" }))).toThrow(
      "Invalid stack configuration (2 problems):\n" +
        '  - roamcast:serverType "huge" is not a Hetzner server type name; use e.g. cx33 (4 vCPU, 8 GB)\n' +
        '  - roamcast:location "mars1" is not a Hetzner location; use one of fsn1, nbg1, hel1, ash, hil, sin',
    );
  });

  it.each([
    [
      { turnHost: "live.roamcast.app" },
      'roamcast:turnHost must differ from roamcast:livekitHost ("live.roamcast.app"): Caddy routes :443 by TLS server name, e.g. use turn.roamcast.app',
    ],
    [
      { livekitHost: "live.example.org" },
      'roamcast:livekitHost "live.example.org" is not inside the zone "roamcast.app"; use a name ending in .roamcast.app',
    ],
    [
      { turnHost: "turn_1.roamcast.app" },
      'roamcast:turnHost "turn_1.roamcast.app" is not a valid host name; use letters, digits and hyphens in dot-separated labels',
    ],
    [
      { acmeEmail: "ops" },
      'roamcast:acmeEmail "ops" is not an e-mail address; Let\'s Encrypt needs one, e.g. ops@roamcast.app',
    ],
    [
      { sshPublicKeys: ["-----BEGIN OPENSSH PRIVATE KEY-----"] },
      'roamcast:sshPublicKeys[0] is not an OpenSSH public key ("ssh-ed25519 AAAA... comment"); paste the .pub file\'s line, never a private key',
    ],
    [
      { operatorCidrs: ["203.0.113.7"] },
      'roamcast:operatorCidrs[0] "203.0.113.7" is not a CIDR block; write an address with its prefix, e.g. 203.0.113.7/32 or 2001:db8::/48',
    ],
    [{ image: "debian-12" }, 'roamcast:image "debian-12" is not an Ubuntu LTS image; use e.g. ubuntu-24.04'],
    [
      { livekitImage: "livekit/livekit-server:latest" },
      'roamcast:livekitImage "livekit/livekit-server:latest" is not pinned; name an exact tag other than latest, e.g. livekit/livekit-server:v1.13.5 (optionally @sha256:<digest>)',
    ],
    [
      { redisImage: "redis" },
      'roamcast:redisImage "redis" is not pinned; name an exact tag other than latest, e.g. redis:7.4.2-alpine (optionally @sha256:<digest>)',
    ],
    [{ listenersPerTour: "0" }, 'roamcast:listenersPerTour must be a whole number from 1 to 500, got "0"'],
    [{ tourHours: 2.5 }, "roamcast:tourHours must be a whole number from 1 to 12, got 2.5"],
    [{ redundantAudio: "maybe" }, 'roamcast:redundantAudio must be true or false, got "maybe"'],
    [
      { activeTours: "skip" },
      'roamcast:activeTours "skip" is not one of refuse, wait, force; set it with: pulumi config set roamcast:activeTours wait (or remove it for the stack\'s default: refuse in production, wait elsewhere)',
    ],
    [
      { livekitNodes: 0 },
      "roamcast:livekitNodes must be a whole number from 1 to 10, got 0; set it with: pulumi config set roamcast:livekitNodes 2",
    ],
    [
      { livekitNodes: "2.5" },
      'roamcast:livekitNodes must be a whole number from 1 to 10, got "2.5"; set it with: pulumi config set roamcast:livekitNodes 2',
    ],
    [
      { livekitNodes: "two" },
      'roamcast:livekitNodes must be a whole number from 1 to 10, got "two"; set it with: pulumi config set roamcast:livekitNodes 2',
    ],
    [
      { livekitNodes: 11 },
      "roamcast:livekitNodes must be a whole number from 1 to 10, got 11; set it with: pulumi config set roamcast:livekitNodes 2",
    ],
    [{ activeTourWaitMinutes: "0" }, 'roamcast:activeTourWaitMinutes must be a whole number from 1 to 180, got "0"'],
    [{ activeTourWaitMinutes: 600 }, "roamcast:activeTourWaitMinutes must be a whole number from 1 to 180, got 600"],
    [
      { listenrsPerTour: 30 },
      "roamcast:listenrsPerTour is not a known setting; remove it or check its spelling (known: zoneName, livekitHost, turnHost, acmeEmail, sshPublicKeys, operatorCidrs, deployCidrs, production, retire, serverType, location, image, livekitImage, caddyImage, redisImage, prometheusImage, alertmanagerImage, nodeExporterImage, redisExporterImage, blackboxExporterImage, alertEmail, alertSmtpSmarthost, alertSmtpFrom, alertSmtpUsername, monthlyTrafficTb, listenersPerTour, tourHours, redundantAudio, mediaPorts, peakConcurrentTours, toursPerMonth, livekitNodes, activeTours, activeTourWaitMinutes, supabaseProjectRef, allowDataLossMigrations, supabaseDbUrl, supabaseAccessToken, supabaseLegacyJwtSecret, alertSmtpPassword, alertWebhookUrl)",
    ],
    [
      { supabaseProjectRef: "my-project" },
      'roamcast:supabaseProjectRef "my-project" is not a Supabase project reference; use the 20 lower-case letters of https://<ref>.supabase.co',
    ],
  ])("refuses %j", (overrides, message) => {
    expect(problemsOf("dev", validRawConfig(overrides))).toEqual([message]);
  });

  it("refuses a repeated SSH key, which Hetzner would reject mid-deploy", () => {
    const key = opensshPublicKey();
    expect(problemsOf("dev", validRawConfig({ sshPublicKeys: [key, key.replace("test@roamcast", "again")] }))).toEqual([
      "roamcast:sshPublicKeys[1] repeats an earlier key; Hetzner refuses duplicate keys, remove it",
    ]);
  });

  it("a production stack refuses SSH from the whole Internet; dev allows it", () => {
    for (const cidr of ["0.0.0.0/0", "::/0"]) {
      expect(problemsOf("prod", validRawConfig({ production: true, operatorCidrs: [cidr] }))).toEqual([
        `roamcast:operatorCidrs[0] "${cidr}" opens SSH to the whole Internet, which a production stack refuses; list the operators' own addresses`,
      ]);
      expect(problemsOf("dev", validRawConfig({ operatorCidrs: [cidr] }))).toEqual([]);
    }
  });

  it("allows data loss for no migration unless the stack lists it, by id or version", () => {
    expect(parseStackConfig("dev", validRawConfig()).allowDataLossMigrations).toEqual([]);
    expect(
      parseStackConfig("dev", validRawConfig({ allowDataLossMigrations: '["20261125100100_livekit_rooms"]' }))
        .allowDataLossMigrations,
    ).toEqual(["20261125100100_livekit_rooms"]);
    expect(problemsOf("dev", validRawConfig({ allowDataLossMigrations: ["livekit_rooms", "20261125100100"] }))).toEqual(
      [
        'roamcast:allowDataLossMigrations entry "livekit_rooms" is not a migration; write its file name without .sql (e.g. 20261125100100_livekit_rooms) or its 14-digit version',
      ],
    );
  });

  it("the stack named prod must say production: true", () => {
    expect(problemsOf("prod", validRawConfig())).toEqual([
      "roamcast:production must be true on the prod stack: set it with: pulumi config set roamcast:production true",
    ]);
  });

  it("any IPv4 address with a prefix of 0-32 is a CIDR, and 33 or more is not", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 40 }), (ip, prefix) => {
        expect(isValidCidr(`${ip}/${prefix}`)).toBe(prefix <= 32);
      }),
    );
  });

  it("any IPv6 address with a prefix of 0-128 is a CIDR", () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (ip, prefix) => {
        expect(isValidCidr(`${ip}/${prefix}`)).toBe(true);
      }),
    );
  });

  it("an image is pinned by an exact tag or a digest, never by latest or nothing", () => {
    expect(isPinnedImage("redis:7.4.2-alpine")).toBe(true);
    expect(isPinnedImage(`redis:7.4.2-alpine@sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isPinnedImage(`redis@sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isPinnedImage("redis")).toBe(false);
    expect(isPinnedImage("redis:latest")).toBe(false);
    expect(isPinnedImage("Redis:7")).toBe(false);
  });

  it("an SSH public key's body must announce its own type", () => {
    const good = opensshPublicKey();
    expect(isSshPublicKey(good)).toBe(true);
    expect(isSshPublicKey(good.replace("ssh-ed25519", "ssh-rsa"))).toBe(false);
    expect(isSshPublicKey("ssh-ed25519 AAAA")).toBe(false);
  });

  describe("secret settings", () => {
    const withSecrets = (overrides: Record<string, unknown>) =>
      problemsOf("dev", { ...validRawConfig(), ...validSecretConfig(overrides) });
    const secretsProblems = (overrides: Record<string, unknown>) =>
      problemsOf("dev", { ...validRawConfig(), ...validSecretConfig(overrides) }, true);

    it("are checked only where Pulumi has decrypted them, and never returned in the settings", () => {
      expect(withSecrets({ supabaseDbUrl: "nonsense" })).toEqual([]);
      const settings = parseStackConfig(
        "dev",
        { ...validRawConfig(), ...validSecretConfig() },
        { secretsAvailable: true },
      );
      expect(JSON.stringify(settings)).not.toContain("db-password");
      expect(JSON.stringify(settings)).not.toContain("sbp_");
    });

    it("must be present under pulumi", () => {
      expect(problemsOf("dev", validRawConfig()).length).toBe(0);
      let problems: readonly string[] = [];
      try {
        parseStackConfig("dev", validRawConfig(), { secretsAvailable: true });
      } catch (e) {
        problems = (e as ConfigError).problems;
      }
      expect(problems).toEqual([
        "roamcast:supabaseDbUrl is required; set it with: pulumi config set --secret roamcast:supabaseDbUrl (the pooler URL from the dashboard's Connect dialog)",
        "roamcast:supabaseAccessToken is required; set it with: pulumi config set --secret roamcast:supabaseAccessToken (a personal access token from the dashboard's Account > Access Tokens)",
        "alerts need a receiver, and none is set: set roamcast:alertEmail with roamcast:alertSmtpSmarthost, roamcast:alertSmtpFrom, roamcast:alertSmtpUsername and pulumi config set --secret roamcast:alertSmtpPassword; or instead pulumi config set --secret roamcast:alertWebhookUrl https://...",
      ]);
    });

    it.each([
      [
        { supabaseDbUrl: "postgresql://postgres:pw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres" },
        [
          "roamcast:supabaseDbUrl points at the project's direct address, which is IPv6-only; use the pooler URL instead (host <region>.pooler.supabase.com, user postgres.<ref>)",
          "roamcast:supabaseDbUrl must log in as postgres.abcdefghijklmnopqrst, the pooler's user for this project",
        ],
      ],
      [
        {
          supabaseDbUrl:
            "postgresql://postgres.abcdefghijklmnopqrst@aws-0-eu-central-1.pooler.supabase.com:5433/postgres",
        },
        [
          "roamcast:supabaseDbUrl has no password",
          "roamcast:supabaseDbUrl must use the pooler's port 5432 (session) or 6543 (transaction)",
        ],
      ],
      [
        { supabaseDbUrl: "not a url" },
        [
          "roamcast:supabaseDbUrl is not a URL; use postgresql://postgres.<ref>:<password>@<region>.pooler.supabase.com:5432/postgres",
        ],
      ],
      [
        { supabaseAccessToken: "eyJhbGciOi" },
        [
          "roamcast:supabaseAccessToken is not a Supabase personal access token (they start with sbp_); set it with: pulumi config set --secret roamcast:supabaseAccessToken",
        ],
      ],
      [
        { supabaseLegacyJwtSecret: "short" },
        [
          "roamcast:supabaseLegacyJwtSecret is shorter than 32 characters, so it is not the project's JWT secret; copy it from the dashboard's JWT Keys page, or unset it",
        ],
      ],
    ])("refuses %j without echoing the value", (overrides, expected) => {
      const problems = secretsProblems(overrides);
      expect(problems).toEqual(expected);
      expect(problems.join("\n")).not.toContain("pw@");
    });
  });
});
