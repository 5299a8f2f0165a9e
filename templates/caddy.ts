// caddy.yaml for Caddy with layer4 and the YAML adapter: one listener on :443
// that routes by TLS server name, certificates for both names.
import { assertRenderable, type HostModel, PORTS } from "./model";
import { toYaml } from "./yaml";

export function caddyConfig(model: HostModel): Record<string, unknown> {
  assertRenderable(model);
  return {
    // Loopback only, at the port Prometheus scrapes for Caddy's /metrics.
    admin: { listen: `127.0.0.1:${PORTS.caddyAdmin}` },
    logging: { logs: { default: { level: "INFO", encoder: { format: "json" } } } },
    storage: { module: "file_system", root: "/data" },
    apps: {
      tls: {
        certificates: { automate: [model.livekitHost, model.turnHost] },
        automation: {
          policies: [
            { subjects: [model.livekitHost, model.turnHost], issuers: [{ module: "acme", email: model.acmeEmail }] },
          ],
        },
      },
      // No http app on :443 beside layer4 (mholt/caddy-l4#440); port 80 is
      // served by the TLS app's own ACME HTTP-01 solver.
      layer4: {
        servers: {
          main: {
            listen: [`:${PORTS.https}`],
            routes: [
              {
                match: [{ tls: { sni: [model.turnHost] } }],
                handle: [
                  { handler: "tls" },
                  // The public address, not loopback: Firefox refuses a TURN
                  // relay whose upstream is a loopback address (livekit#4851).
                  { handler: "proxy", upstreams: [{ dial: [`${model.publicIpv4}:${PORTS.turnTls}`] }] },
                ],
              },
              {
                match: [{ tls: { sni: [model.livekitHost] } }],
                handle: [
                  { handler: "tls", connection_policies: [{ alpn: ["http/1.1"] }] },
                  { handler: "proxy", upstreams: [{ dial: [`localhost:${PORTS.livekitHttp}`] }] },
                ],
              },
            ],
          },
        },
      },
    },
  };
}

export function renderCaddyYaml(model: HostModel): string {
  return toYaml(caddyConfig(model));
}
