// Package yamladapter registers Caddy's "yaml" config adapter.
//
// LiveKit's caddyl4 image uses github.com/abiosoft/caddy-yaml for this, but the
// Go module proxy reachable from our build machines refuses that module
// (403 for every version), so the test build carries this small equivalent:
// YAML in, the same JSON document out. Keys starting with "x-" are extension
// fields in caddy-yaml and are dropped here too.
package yamladapter

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"sigs.k8s.io/yaml"
)

func init() {
	caddyconfig.RegisterAdapter("yaml", Adapter{})
}

// Adapter converts a YAML Caddy config to Caddy's native JSON.
type Adapter struct{}

// Adapt implements caddyconfig.Adapter.
func (Adapter) Adapt(body []byte, _ map[string]any) ([]byte, []caddyconfig.Warning, error) {
	asJSON, err := yaml.YAMLToJSON(body)
	if err != nil {
		return nil, nil, fmt.Errorf("caddy.yaml is not valid YAML: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(asJSON, &doc); err != nil {
		return nil, nil, fmt.Errorf("caddy.yaml must be a mapping at the top level: %w", err)
	}
	for key := range doc {
		if strings.HasPrefix(key, "x-") {
			delete(doc, key)
		}
	}
	out, err := json.Marshal(doc)
	return out, nil, err
}
