package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/monitor"
)

// ParseEndpoint decodes one endpoint written as JSON or YAML — an API
// request body — by the same strict rules as the endpoints of a config
// file, merging in the default-alert of cfg's providers. name names the
// input in errors (e.g. "request body"): "request body:3: endpoint.interval:
// invalid duration". ${ENV} is not expanded: a request must not read the
// server's environment. The spec's Origin is "api".
func ParseEndpoint(data []byte, name string, cfg *Config) (spec *monitor.Spec, err error) {
	l := newLoader(nil)
	if cfg != nil {
		l.sections = cfg.Alerting
		for k, v := range cfg.alertDefaults {
			l.defaults[k] = v
		}
	}
	defer func() {
		if r := recover(); r != nil {
			spec, err = nil, &Errors{List: []*Error{{File: name, Msg: fmt.Sprintf("cannot parse: %v", r)}}}
		}
	}()
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Errors{List: []*Error{{File: name, Msg: "empty: want an endpoint object"}}}
		}
		return nil, &Errors{List: []*Error{yamlError(name, err)}}
	}
	if len(doc.Content) == 0 || resolve(doc.Content[0]).Kind != yaml.MappingNode {
		return nil, &Errors{List: []*Error{{File: name, Msg: "want an endpoint object"}}}
	}
	l.budget += visitBudget(recordFile(l.files, &doc, name))
	root := doc.Content[0]
	if !l.visit(root, "endpoint") {
		return nil, &Errors{List: l.finalErrors()}
	}
	spec = l.endpoint(root, "endpoint")
	if len(l.errs) > 0 {
		return nil, &Errors{List: l.finalErrors()}
	}
	if spec == nil {
		return nil, &Errors{List: []*Error{{File: name, Msg: "not a monitor custodes can probe"}}}
	}
	spec.Origin, spec.Source = "api", ""
	return spec, nil
}
