#!/usr/bin/env bash
# Builds the Go programs that the tool and e2e tests run for real:
# livekit-server, Caddy with layer4 + a YAML adapter, and actionlint ("all",
# what CI needs); "bench" adds tools/loadgen, the benchmark's listener crowd.
# Binaries go to a cache outside the clone (CI clones afresh every run, Go's own
# module and build caches survive on the machine), one file per tool and version,
# and are rebuilt only when missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${ROAMCAST_TOOLS_CACHE:-$HOME/.cache/roamcast}
mkdir -p "$cache"

LIVEKIT_VERSION=v1.13.5
ACTIONLINT_VERSION=v1.7.12

build_module() { # name version package
  local out="$cache/$1-$2"
  if [[ -x "$out" ]]; then echo "build-tools: $1 $2 cached at $out"; return; fi
  echo "build-tools: building $1 $2 (go install $3@$2)"
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" CGO_ENABLED=0 go install "$3@$2"
  mv "$tmp"/* "$out.partial" && mv "$out.partial" "$out"
  rm -rf "$tmp"
}

build_recipe() { # name: a Go main package kept in tools/<name>
  # The version is the hash of the recipe, so any change to it rebuilds.
  local name=$1 dir="$here/tools/$1"
  local sum; sum=$(find "$dir" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | sort | xargs cat | sha256sum | cut -c1-12)
  local out="$cache/$name-$sum"
  if [[ -x "$out" ]]; then echo "build-tools: $name cached at $out"; else
    echo "build-tools: building $name from tools/$name"
    (cd "$dir" && CGO_ENABLED=0 go build -mod=readonly -trimpath -o "$out.partial" .)
    mv "$out.partial" "$out"
  fi
  ln -sfn "$out" "$cache/$name"
}

want=${1:-all}
case "$want" in
  livekit|all) build_module livekit-server "$LIVEKIT_VERSION" github.com/livekit/livekit-server/cmd/server ;;&
  caddy|all) build_recipe caddy ;;&
  loadgen|bench) build_recipe loadgen ;;&
  actionlint|all) build_module actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint ;;&
  bench) build_module livekit-server "$LIVEKIT_VERSION" github.com/livekit/livekit-server/cmd/server ;;&
  livekit|caddy|actionlint|loadgen|all|bench) ;;
  *) echo "usage: $0 [all|livekit|caddy|actionlint|loadgen|bench]" >&2; exit 2 ;;
esac
ln -sfn "$cache/livekit-server-$LIVEKIT_VERSION" "$cache/livekit-server" 2>/dev/null || true
ln -sfn "$cache/actionlint-$ACTIONLINT_VERSION" "$cache/actionlint" 2>/dev/null || true
