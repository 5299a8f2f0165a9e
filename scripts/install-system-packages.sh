#!/usr/bin/env bash
# Debian packages the tool tests run for real: redis-server, cloud-init (with
# PyYAML), systemd-analyze. Installs only what is missing.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v cloud-init >/dev/null || need+=(cloud-init)
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
  echo "install-system-packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
