// blackbox.yml: one module, a TLS handshake on 443 with the probed name as
// SNI, so probe_ssl_earliest_cert_expiry reads the certificate a client gets.
import { assertRenderable, type HostModel } from "./model";
import { toYaml } from "./yaml";

export const BLACKBOX_MODULE = "tls_connect";

export function blackboxConfig(model: HostModel): Record<string, unknown> {
  assertRenderable(model);
  return {
    modules: {
      [BLACKBOX_MODULE]: {
        prober: "tcp",
        timeout: "10s",
        // The host's own public addresses: IPv4 first, as most listeners reach it.
        tcp: { preferred_ip_protocol: "ip4", tls: true },
      },
    },
  };
}

export function renderBlackboxYaml(model: HostModel): string {
  return toYaml(blackboxConfig(model));
}
