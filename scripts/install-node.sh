#!/usr/bin/env bash
# Installs Node 22 (the npm package "node" carries the real binary) into the
# git-ignored .tools folder, for machines whose own Node is older.
# Use it with:  export PATH="$PWD/.tools/node_modules/.bin:$PATH"
set -euo pipefail
NODE_VERSION=22.23.3
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/.tools/node_modules/.bin/node"
if [[ -x "$bin" && "$("$bin" --version)" == "v$NODE_VERSION" ]]; then exit 0; fi
mkdir -p "$here/.tools"
cd "$here/.tools"
[[ -f package.json ]] || echo '{ "private": true }' > package.json
npm install --no-audit --no-fund --save-exact "node@$NODE_VERSION" >/dev/null
echo "install-node: $("$bin" --version) at $bin"
