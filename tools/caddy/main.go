// Command caddy is the Caddy build that serves the LiveKit host: Caddy's standard
// modules plus layer4 (TLS SNI routing on :443) and a YAML config adapter, the
// same set as LiveKit's caddyl4 image. scripts/build-tools.sh builds it.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/mholt/caddy-l4"

	_ "roamcast.local/tools/caddy/yamladapter"
)

func main() {
	caddycmd.Main()
}
