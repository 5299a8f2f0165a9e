#!/usr/bin/env bash
# Builds the Go programs that the tool and e2e tests run for real:
# livekit-server, Caddy with layer4 + a YAML adapter, actionlint, the Pulumi
# CLI, promtool and amtool, which check the rendered monitoring files, and the
# Prometheus server and node_exporter of the monitoring scrape check, and
# tools/loadgen, the benchmark's listener crowd and guides (test/tools/guide.test.ts
# runs its guides) ("all", what CI needs); "bench" is loadgen and livekit-server.
# (Alertmanager's own module does not build with go install: its UI assets are
# not in the module, `pattern app/dist: no matching files found`; the scrape
# check runs Debian's, scripts/install-system-packages.sh.)
# Binaries go to a cache outside the clone (CI clones afresh every run, Go's own
# module and build caches survive on the machine), one file per tool and version,
# and are rebuilt only when missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${ROAMCAST_TOOLS_CACHE:-$HOME/.cache/roamcast}
mkdir -p "$cache"

LIVEKIT_VERSION=v1.13.5
ACTIONLINT_VERSION=v1.7.12
PULUMI_VERSION=v3.276.0 # keep equal to tools/pulumi/go.mod's pulumi/pkg/v3
# Prometheus's Go module v0.316.0 is Prometheus v3.16.0, the prom/prometheus tag the host runs.
PROMETHEUS_VERSION=v0.316.0
ALERTMANAGER_VERSION=v0.35.0
NODE_EXPORTER_VERSION=v1.12.1

build_module() { # name version package [build tags]
  local out="$cache/$1-$2"
  if [[ -x "$out" ]]; then echo "build-tools: $1 $2 cached at $out"; return; fi
  echo "build-tools: building $1 $2 (go install ${4:+-tags $4 }$3@$2)"
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" CGO_ENABLED=0 go install ${4:+-tags "$4"} "$3@$2"
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
    echo "build-tools: $name built at $out"
  fi
  ln -sfn "$out" "$cache/$name"
}

build_pulumi() {
  # `go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@version` is refused:
  # pkg/v3's go.mod has replace directives, which go install does not honour.
  # tools/pulumi is a wrapper module that repeats the one replace the CLI needs
  # and pins every dependency in its committed go.sum. The flags are Pulumi's
  # own release build's (static, the version stamped in). Cold: ~8 min, 117 MiB.
  local out="$cache/pulumi-$PULUMI_VERSION"
  if ! grep -q "github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION " "$here/tools/pulumi/go.mod"; then
    echo "build-tools: tools/pulumi/go.mod does not require pulumi/pkg/v3 $PULUMI_VERSION; make them agree" >&2
    exit 1
  fi
  if [[ -x "$out" ]]; then echo "build-tools: pulumi $PULUMI_VERSION cached at $out"; return; fi
  echo "build-tools: building pulumi $PULUMI_VERSION from tools/pulumi"
  (cd "$here/tools/pulumi" && CGO_ENABLED=0 go build -mod=readonly -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$out.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  mv "$out.partial" "$out"
}

want=${1:-all}
case "$want" in
  livekit|all) build_module livekit-server "$LIVEKIT_VERSION" github.com/livekit/livekit-server/cmd/server ;;&
  caddy|all) build_recipe caddy ;;&
  loadgen|bench|all) build_recipe loadgen ;;&
  actionlint|all) build_module actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint ;;&
  pulumi|all) build_pulumi ;;&
  promtool|all) build_module promtool "$PROMETHEUS_VERSION" github.com/prometheus/prometheus/cmd/promtool ;;&
  amtool|all) build_module amtool "$ALERTMANAGER_VERSION" github.com/prometheus/alertmanager/cmd/amtool ;;&
  # remove_all_sd (plugins/plugin_*.go in v0.316.0) leaves out every service
  # discovery plugin but file and http (static_configs are built in): the host
  # scrapes fixed loopback targets and needs no cloud SDK compiled in.
  prometheus|all) build_module prometheus "$PROMETHEUS_VERSION" github.com/prometheus/prometheus/cmd/prometheus remove_all_sd ;;&
  node_exporter|all) build_module node_exporter "$NODE_EXPORTER_VERSION" github.com/prometheus/node_exporter ;;&
  bench) build_module livekit-server "$LIVEKIT_VERSION" github.com/livekit/livekit-server/cmd/server ;;&
  livekit|caddy|actionlint|pulumi|promtool|amtool|prometheus|node_exporter|loadgen|all|bench) ;;
  *) echo "usage: $0 [all|livekit|caddy|actionlint|pulumi|promtool|amtool|prometheus|node_exporter|loadgen|bench]" >&2; exit 2 ;;
esac
ln -sfn "$cache/livekit-server-$LIVEKIT_VERSION" "$cache/livekit-server" 2>/dev/null || true
ln -sfn "$cache/actionlint-$ACTIONLINT_VERSION" "$cache/actionlint" 2>/dev/null || true
ln -sfn "$cache/pulumi-$PULUMI_VERSION" "$cache/pulumi" 2>/dev/null || true
ln -sfn "$cache/promtool-$PROMETHEUS_VERSION" "$cache/promtool" 2>/dev/null || true
ln -sfn "$cache/amtool-$ALERTMANAGER_VERSION" "$cache/amtool" 2>/dev/null || true
ln -sfn "$cache/prometheus-$PROMETHEUS_VERSION" "$cache/prometheus" 2>/dev/null || true
ln -sfn "$cache/node_exporter-$NODE_EXPORTER_VERSION" "$cache/node_exporter" 2>/dev/null || true
