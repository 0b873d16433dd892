package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/hooks/hookstest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// syncBuffer is a goroutine-safe log sink for the server under test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunServesTheREADMEExamplesAndShutsDownGracefully starts the real
// program through run, the way `go run ./cmd/fracturecds` does, posts the
// README's example requests, and cancels the context as SIGTERM would.
func TestRunServesTheREADMEExamplesAndShutsDownGracefully(t *testing.T) {
	addr, adminAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--admin-addr", adminAddr}, func(string) string { return "" }, io.Discard, &logs)
	}()
	base := "http://" + addr
	waitHealthy(t, base+"/healthz")

	waitHealthy(t, "http://"+adminAddr+"/healthz")
	// Ready is set before serving starts, so a healthy server is ready.
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/readyz: %v %v", err, resp)
	}
	resp.Body.Close()

	tests := []struct {
		file, service string
		wantTopic     string
		wantIndicator string
	}{
		{"patient-view.json", "fracturecds-patient-view", "fracture-case-finding", "warning"},
		{"order-sign-denosumab-stop.json", "fracturecds-order-sign", "denosumab-no-stop-without-followup", "critical"},
	}
	for _, tt := range tests {
		body, err := os.ReadFile(filepath.Join("..", "..", "examples", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(base+"/cds-services/"+tt.service, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %s", tt.file, resp.StatusCode, got)
		}
		if p := hookstest.Problems(got); len(p) > 0 {
			t.Errorf("%s: spec problems: %v", tt.file, p)
		}
		topics, _ := hookstest.Topics(got)
		if topics[tt.wantTopic] != tt.wantIndicator {
			t.Errorf("%s: topic %s = %q, want %q (all: %v)", tt.file, tt.wantTopic, topics[tt.wantTopic], tt.wantIndicator, topics)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after shutdown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not shut down")
	}
	if !strings.Contains(logs.String(), `"service":"fracturecds-order-sign"`) || !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("expected request and shutdown log lines, got:\n%s", logs.String())
	}
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", url)
}

func TestAddrFromEnvironmentAndFlag(t *testing.T) {
	env := func(k string) string {
		if k == "FRACTURECDS_ADDR" {
			return "127.0.0.1:9999"
		}
		return ""
	}
	cfg, err := loadConfig("", env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9999" {
		t.Errorf("env FRACTURECDS_ADDR not applied: %q", cfg.Addr)
	}
	// The flag wins over the environment: serving must fail on a bad flag
	// address even though the environment is valid.
	err = run(context.Background(), []string{"--addr", "not-an-address"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "addr") {
		t.Errorf("run with a bad --addr: %v", err)
	}
}

func TestEvalPrintsTheCardsOfARequestFile(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"eval", "--as-of", "2026-01-15", "--lang", "en", filepath.Join("..", "..", "examples", "patient-view.json")},
		func(string) string { return "" }, &out, io.Discard)
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out.String())
	}
	topics, err := hookstest.Topics(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if topics["fracture-case-finding"] != "warning" {
		t.Errorf("topics %v, want fracture-case-finding warning", topics)
	}
	if !strings.Contains(out.String(), "Fracture at") {
		t.Errorf("want English cards, got:\n%s", out.String())
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(good, []byte("addr: 127.0.0.1:8081\nlanguage: en\nthresholds:\n  CASEFIND_MIN_AGE: 55\n"), 0o644)
	os.WriteFile(bad, []byte("language: fr\nthresholds:\n  NO_SUCH_THRESHOLD: 1\n  LSC_MODE: sometimes\n"), 0o644)
	os.WriteFile(typo, []byte("adress: 127.0.0.1:8081\n"), 0o644)
	env := func(string) string { return "" }

	var out bytes.Buffer
	if err := run(context.Background(), []string{"config", "check", good}, env, &out, io.Discard); err != nil {
		t.Errorf("good config rejected: %v", err)
	}
	err := run(context.Background(), []string{"config", "check", bad}, env, &out, io.Discard)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"language", "NO_SUCH_THRESHOLD", "LSC_MODE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if err := run(context.Background(), []string{"config", "check", typo}, env, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "adress") {
		t.Errorf("unknown key accepted or not named: %v", err)
	}
}
