package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestDeployConfigsPassConfigCheck runs `fracturecds config check` on the
// documented example configuration and on the config.yaml of the
// Kubernetes ConfigMap, so neither can drift from the keys the program
// accepts.
func TestDeployConfigsPassConfigCheck(t *testing.T) {
	deploy := filepath.Join("..", "..", "deploy")
	raw, err := os.ReadFile(filepath.Join(deploy, "kubernetes", "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	fromConfigMap := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(fromConfigMap, []byte(cm.Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(deploy, "config.example.yaml"), fromConfigMap} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"config", "check", path}, func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		if !strings.Contains(out.String(), "configuration is valid") {
			t.Errorf("%s: output %q", path, out.String())
		}
	}
}

// TestExampleConfigIsTheDefaults keeps deploy/config.example.yaml honest:
// apart from its sample overrides (thresholds at their defaults, local
// codes) it states exactly the built-in defaults.
func TestExampleConfigIsTheDefaults(t *testing.T) {
	cfg := defaultConfig()
	if err := loadConfigFile(&cfg, filepath.Join("..", "..", "deploy", "config.example.yaml")); err != nil {
		t.Fatal(err)
	}
	cfg.Thresholds, cfg.LocalCodes = nil, nil
	cfg.Tracing.SampleRatio = 0 // the example spells out the default 1
	if got, want := cfg, defaultConfig(); !configEqual(got, want) {
		t.Errorf("example config differs from the defaults:\n got %+v\nwant %+v", got, want)
	}
}

func configEqual(a, b Config) bool {
	ya, _ := yaml.Marshal(a)
	yb, _ := yaml.Marshal(b)
	return bytes.Equal(ya, yb)
}
