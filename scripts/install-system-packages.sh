#!/usr/bin/env bash
# Debian packages the tool tests run for real: redis-server, cloud-init (with
# PyYAML), systemd-analyze; and for the network lab (test:net) nftables,
# iproute2 (ip netns, tc netem), socat and openssl (the throwaway test CA); and
# what the monitoring check runs (test/e2e/monitoring.test.ts): blackbox_exporter
# and redis_exporter (the Go module proxy serves neither) and Alertmanager (its
# module does not build with go install).
# Installs only what is missing.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v cloud-init >/dev/null || need+=(cloud-init)
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v curl >/dev/null || need+=(curl)
command -v nft >/dev/null || need+=(nftables)
command -v ip >/dev/null || need+=(iproute2)
command -v tc >/dev/null || need+=(iproute2)
command -v socat >/dev/null || need+=(socat)
command -v openssl >/dev/null || need+=(openssl)
command -v prometheus-blackbox-exporter >/dev/null || need+=(prometheus-blackbox-exporter)
command -v prometheus-redis-exporter >/dev/null || need+=(prometheus-redis-exporter)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
if ((${#need[@]})); then
  echo "install-system-packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The exporters' maintainer scripts start their daemons (invoke-rc.d, no
  # systemd needed) on the packages' default ports; the tests start their own
  # on free ports. A policy-rc.d that forbids every start, for this install only.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    trap 'rm -f "$policy"' EXIT
    printf '#!/bin/sh\n# install-system-packages.sh: no daemon starts while installing\nexit 101\n' >"$policy"
    chmod 755 "$policy"
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
