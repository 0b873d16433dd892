package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	yaml3 "gopkg.in/yaml.v3"
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

// commentedKey matches a commented-out configuration line of the example
// ("#   jwks_url: ...", "  # - system: ..."), not prose.
var commentedKey = regexp.MustCompile(`^(\s*)# ?(\s*(?:- )?[a-z_]+:(?:\s.*)?)$`)

// TestExampleConfigHoldsEveryKey: deploy/config.example.yaml names every
// key the configuration has, set or (without a default) commented out;
// with the comments removed it still passes config check, apart from the
// TLS and JWK Set files that exist only on a real host.
func TestExampleConfigHoldsEveryKey(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(raw), "\n") {
		if m := commentedKey.FindStringSubmatch(l); m != nil {
			l = m[1] + m[2]
		}
		lines = append(lines, l)
	}
	uncommented := strings.Join(lines, "\n")
	var root yaml3.Node
	if err := yaml3.Unmarshal([]byte(uncommented), &root); err != nil {
		t.Fatalf("the example with its commented keys enabled is not YAML: %v\n%s", err, uncommented)
	}
	have := map[string]bool{}
	var walk func(n *yaml3.Node, path string)
	walk = func(n *yaml3.Node, path string) {
		switch n.Kind {
		case yaml3.DocumentNode:
			walk(n.Content[0], path)
		case yaml3.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := joinKey(path, n.Content[i].Value)
				have[p] = true
				if p != "thresholds" {
					walk(n.Content[i+1], p)
				}
			}
		case yaml3.SequenceNode:
			for _, item := range n.Content {
				walk(item, path+"[]")
			}
		}
	}
	walk(&root, "")
	for _, k := range configKeyPaths(reflect.TypeFor[Config](), "") {
		if !have[k] {
			t.Errorf("deploy/config.example.yaml lacks the key %s", k)
		}
	}
	_, problems := configCheckProblems(t, writeConfig(t, uncommented), nil)
	for _, p := range problems {
		if !strings.HasPrefix(p, "tls_cert_file/tls_key_file:") && !strings.HasPrefix(p, "auth.issuers[1].jwks_file:") {
			t.Errorf("a commented-out example does not pass config check: %s", p)
		}
	}
}
