package deploy

import (
	"testing"
)

// TestTracingRendering: tracing.otlpEndpoint gives the allocator
// --otlp-endpoint and the SDK's variables; left empty, neither.
func TestTracingRendering(t *testing.T) {
	helmBinary(t)
	envOf := func(c map[string]any) map[string]string {
		m := map[string]string{}
		for _, e := range c["env"].([]any) {
			e := e.(map[string]any)
			if v, ok := e["value"].(string); ok {
				m[e["name"].(string)] = v
			}
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		set     []string
		flag    string
		env     map[string]string
		noEnvOf []string
	}{
		{name: "off", noEnvOf: []string{"OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_EXPORTER_OTLP_HEADERS"}},
		{
			name: "on",
			set:  []string{"--set", "tracing.otlpEndpoint=http://otel-collector.monitoring:4318", "--set-string", "tracing.headers.x-api-key=a b/c", "--set", "tracing.samplerArg=0.25"},
			flag: "http://otel-collector.monitoring:4318",
			env: map[string]string{"OTEL_SERVICE_NAME": "leapfrog-allocator", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
				"OTEL_TRACES_SAMPLER_ARG": "0.25", "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=a+b%2Fc"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, "games", valueSet{name: "default"}, tc.set...)
			alloc := containerOf(t, nested(t, find(t, objs, "Deployment").Object, "spec", "template", "spec").(map[string]any), "allocator")
			flag, set := flagValues(stringList(t, alloc["args"]))["otlp-endpoint"]
			if flag != tc.flag || set != (tc.flag != "") {
				t.Errorf("--otlp-endpoint=%q (set %v), want %q", flag, set, tc.flag)
			}
			env := envOf(alloc)
			for k, v := range tc.env {
				if env[k] != v {
					t.Errorf("env %s=%q, want %q", k, env[k], v)
				}
			}
			for _, k := range tc.noEnvOf {
				if _, ok := env[k]; ok {
					t.Errorf("env %s set with tracing off", k)
				}
			}
		})
	}
	// A URL the allocator would refuse is refused by the chart first.
	if _, err := helm(t, templateArgs("games", valueSet{name: "default"}, "--set", "tracing.otlpEndpoint=otel-collector:4318")...); err == nil {
		t.Error("tracing.otlpEndpoint without a scheme rendered")
	}
}
