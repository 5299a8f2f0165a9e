#!/usr/bin/env bash
# Debian packages the tool tests run for real: redis-server, cloud-init (with
# PyYAML), systemd-analyze; and for the network lab (test:net) nftables,
# iproute2 (ip netns, tc netem), socat and openssl (the throwaway test CA).
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
if ((${#need[@]})); then
  echo "install-system-packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
