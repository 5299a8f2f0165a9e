// local/edgeFunctions.ts denoEnvironment(): a function under test gets what
// Deno needs to fetch its imports on this machine, and nothing else of ours.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { denoEnvironment } from "../../local/edgeFunctions";

const PASSED_THROUGH = {
  DENO_CERT: "/etc/ssl/certs/proxy-root.pem",
  DENO_TLS_CA_STORE: "system",
  DENO_DIR: "/var/cache/deno-test",
  HTTPS_PROXY: "http://proxy.internal:3128",
  HTTP_PROXY: "http://proxy.internal:3128",
  NO_PROXY: "127.0.0.1,localhost",
  https_proxy: "http://proxy.internal:3129",
  http_proxy: "http://proxy.internal:3129",
  no_proxy: "localhost",
};
const ALLOWED = new Set([...Object.keys(PASSED_THROUGH), "PATH", "HOME", "NPM_CONFIG_REGISTRY"]);

describe("denoEnvironment", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("passes Deno's certificate, trust store, cache folder and the proxy variables through unchanged", () => {
    for (const [name, value] of Object.entries(PASSED_THROUGH)) vi.stubEnv(name, value);
    expect(denoEnvironment()).toMatchObject(PASSED_THROUGH);
  });

  it("trusts the system's store as well as Deno's own roots when DENO_TLS_CA_STORE is not set", () => {
    vi.stubEnv("DENO_TLS_CA_STORE", undefined);
    expect(denoEnvironment().DENO_TLS_CA_STORE).toBe("system,mozilla");
  });

  it("leaves out a secret set in this process", () => {
    vi.stubEnv("LIVEKIT_API_SECRET", "livekit-secret-that-must-not-leak");
    vi.stubEnv("PULUMI_CONFIG_PASSPHRASE", "passphrase-that-must-not-leak");
    const env = denoEnvironment();
    expect(env).not.toHaveProperty("LIVEKIT_API_SECRET");
    expect(env).not.toHaveProperty("PULUMI_CONFIG_PASSPHRASE");
    expect(Object.values(env).join("\n")).not.toMatch(/must-not-leak/);
  });

  it("passes nothing else of this process's environment, whatever it holds", () => {
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/).filter((n) => !ALLOWED.has(n));
    fc.assert(
      fc.property(fc.dictionary(name, fc.string({ minLength: 1, maxLength: 20 }), { maxKeys: 8 }), (extra) => {
        for (const [key, value] of Object.entries(extra)) vi.stubEnv(key, value);
        try {
          for (const key of Object.keys(denoEnvironment())) expect(ALLOWED).toContain(key);
        } finally {
          vi.unstubAllEnvs();
        }
      }),
    );
  });
});
