// The versions the stack deploys and the versions the tests build and run are
// pinned in different files; these tests tie each pair together, so a bump of
// one without the other fails here instead of testing something else.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_FIELDS } from "../../config/schema";

const root = join(__dirname, "..", "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const tagOf = (image: string) => /:(v?[\w.-]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];

describe("pinned versions", () => {
  it("the default LiveKit image is the livekit-server version the tests build", () => {
    const built = /^LIVEKIT_VERSION=(v[\d.]+)$/m.exec(read("scripts/build-tools.sh"))?.[1];
    expect(built).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(tagOf(CONFIG_FIELDS.livekitImage.default)).toBe(built);
  });

  it("the default Caddy image is the Caddy version the tests build with layer4", () => {
    const built = /^\s*github\.com\/caddyserver\/caddy\/v2 (v[\d.]+)/m.exec(read("tools/caddy/go.mod"))?.[1];
    expect(built).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(tagOf(CONFIG_FIELDS.caddyImage.default)).toBe(built);
  });

  it("the default Prometheus and node_exporter images are the versions the monitoring scrape check builds", () => {
    const built = (name: string) => new RegExp(`^${name}=(v[\\d.]+)`, "m").exec(read("scripts/build-tools.sh"))?.[1];
    // Prometheus' Go module v0.MMPP.x is Prometheus vM.P.x (v0.316.0 is v3.16.0).
    const module = /^v0\.(\d)(\d\d)\.(\d+)$/.exec(built("PROMETHEUS_VERSION") ?? "");
    expect(module, "PROMETHEUS_VERSION in scripts/build-tools.sh").not.toBeNull();
    const [, major, minor, patch] = module!;
    expect(tagOf(CONFIG_FIELDS.prometheusImage.default)).toBe(`v${major}.${Number(minor)}.${patch}`);
    expect(tagOf(CONFIG_FIELDS.nodeExporterImage.default)).toBe(built("NODE_EXPORTER_VERSION"));
  });
});
