package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/admin"
	"github.com/fracturecds/fracturecds/hooks/store"
	"github.com/fracturecds/fracturecds/hooks/store/storetest"
)

// TestMain removes the ./data directory that tests serving with the
// default data_dir create in this package, unless it was already there.
func TestMain(m *testing.M) {
	_, err := os.Stat(defaultDataDir)
	existed := err == nil
	code := m.Run()
	if !existed {
		os.RemoveAll(defaultDataDir)
	}
	os.Exit(code)
}

// service is one run of the real program through run, as
// `go run ./cmd/fracturecds` starts it; stop cancels its context, the
// path SIGTERM takes.
type service struct {
	base, admin string
	cancel      context.CancelFunc
	done        chan error
	logs        *syncBuffer
}

func startService(t *testing.T, env map[string]string) *service {
	t.Helper()
	addr, adminAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &service{base: "http://" + addr, admin: "http://" + adminAddr, cancel: cancel, done: make(chan error, 1), logs: &syncBuffer{}}
	go func() {
		s.done <- run(ctx, []string{"--addr", addr, "--admin-addr", adminAddr}, func(k string) string { return env[k] }, io.Discard, s.logs)
	}()
	t.Cleanup(cancel)
	waitHealthy(t, s.base+"/healthz")
	waitHealthy(t, s.admin+"/healthz")
	return s
}

func (s *service) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("run returned %v after shutdown\n%s", err, s.logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not shut down")
	}
}

func postJSON(t *testing.T, url string, body []byte) []byte {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, got)
	}
	return got
}

func getAnalytics(t *testing.T, adminBase string) admin.Analytics {
	t.Helper()
	resp, err := http.Get(adminBase + "/analytics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a admin.Analytics
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /analytics: %d %v", resp.StatusCode, err)
	}
	return a
}

// waitForIssued reads /analytics until it counts issued cards (the card
// log is written in batches), failing after a few seconds.
func waitForIssued(t *testing.T, adminBase string, issued int64) admin.Analytics {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a := getAnalytics(t, adminBase)
		if a.Totals.Issued >= issued || time.Now().After(deadline) {
			return a
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFeedbackSurvivesARestartOfTheService posts the README's example
// requests, sends feedback on every card (plus a retry and a card that
// was never issued), stops the service, starts it again on the same
// storage and finds every card and every feedback item in /analytics.
func TestFeedbackSurvivesARestartOfTheService(t *testing.T) {
	backends := []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{store.SQLite, func(t *testing.T) map[string]string {
			return map[string]string{"FRACTURECDS_DATA_DIR": filepath.Join(t.TempDir(), "data")}
		}},
		{store.Postgres, func(t *testing.T) map[string]string {
			return map[string]string{"FRACTURECDS_STORAGE_DRIVER": "postgres", "FRACTURECDS_POSTGRES_URL": storetest.PostgresURL(t)}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			env := b.env(t)
			svc := startService(t, env)

			var want admin.Counts
			now := time.Now().UTC().Format(time.RFC3339)
			for _, ex := range []struct{ file, service string }{
				{"patient-view.json", hooks.ServicePatientView},
				{"order-sign-denosumab-stop.json", hooks.ServiceOrderSign},
			} {
				body, err := os.ReadFile(filepath.Join("..", "..", "examples", ex.file))
				if err != nil {
					t.Fatal(err)
				}
				var resp hooks.Response
				if err := json.Unmarshal(postJSON(t, svc.base+"/cds-services/"+ex.service, body), &resp); err != nil {
					t.Fatal(err)
				}
				var items []map[string]any
				for i, c := range resp.Cards {
					want.Issued++
					// Accept every other card that has a suggestion; override the rest.
					if i%2 == 0 && len(c.Suggestions) > 0 {
						want.Accepted++
						items = append(items, map[string]any{"card": c.UUID, "outcome": "accepted",
							"acceptedSuggestions": []map[string]string{{"id": c.Suggestions[0].UUID}}, "outcomeTimestamp": now})
					} else {
						want.Overridden++
						items = append(items, map[string]any{"card": c.UUID, "outcome": "overridden",
							"overrideReason": map[string]any{"reason": map[string]string{"system": hooks.OverrideReasonSystem, "code": "already-addressed"}}, "outcomeTimestamp": now})
					}
				}
				fb, _ := json.Marshal(map[string]any{"feedback": items})
				postJSON(t, svc.base+"/cds-services/"+ex.service+"/feedback", fb)
				// The EHR retries: stored once.
				postJSON(t, svc.base+"/cds-services/"+ex.service+"/feedback", fb)
			}
			unknown, _ := json.Marshal(map[string]any{"feedback": []map[string]any{{"card": "never-issued", "outcome": "overridden", "outcomeTimestamp": now}}})
			postJSON(t, svc.base+"/cds-services/"+hooks.ServicePatientView+"/feedback", unknown)
			if want.Issued < 3 || want.Accepted == 0 || want.Overridden == 0 {
				t.Fatalf("the examples gave too few cards for the test: %+v", want)
			}
			want.SetRate()
			// Cards are recorded in batches off the request path (at most
			// 200 ms later): wait for them before taking the reference.
			before := waitForIssued(t, svc.admin, want.Issued)
			svc.stop(t)

			svc = startService(t, env)
			after := getAnalytics(t, svc.admin)
			if d := cmp.Diff(want, after.Totals); d != "" {
				t.Errorf("totals after restart (-want +got):\n%s", d)
			}
			if d := cmp.Diff(before.Topics, after.Topics); d != "" {
				t.Errorf("per-topic numbers changed across the restart (-before +after):\n%s", d)
			}
			if after.UnknownCardFeedback != 1 {
				t.Errorf("unknownCardFeedback = %d, want 1", after.UnknownCardFeedback)
			}
			var reasons int64
			for _, tp := range after.Topics {
				for _, r := range tp.OverrideReasons {
					if r.Code == "already-addressed" {
						reasons += r.Count
					}
				}
			}
			if reasons != want.Overridden {
				t.Errorf("already-addressed overrides = %d, want %d", reasons, want.Overridden)
			}
			resp, err := http.Get(svc.admin + "/report")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(page), fmt.Sprintf(`data-metric="issued">%d<`, want.Issued)) {
				t.Errorf("/report: %d, does not show %d issued cards", resp.StatusCode, want.Issued)
			}
			// The public CDS port never serves the admin endpoints.
			if r, err := http.Get(svc.base + "/analytics"); err != nil || r.StatusCode != 404 {
				t.Errorf("GET /analytics on the CDS port: %v %v, want 404", err, r)
			} else {
				r.Body.Close()
			}
			svc.stop(t)
			if strings.Contains(svc.logs.String(), "postgres://") {
				t.Errorf("the log holds a PostgreSQL URL:\n%s", svc.logs)
			}
		})
	}
}

func TestConfigCheckNamesStorageProblems(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error; empty means valid
		notWant    string
	}{
		{"defaults are valid", "", nil, ""},
		{"postgres with a URL is valid", "storage:\n  driver: postgres\n  postgres_url: postgres://u:pw@db:5432/fracturecds\n  retention: 2160h\n", nil, ""},
		{"unknown driver", "storage:\n  driver: mysql\n", []string{`storage.driver "mysql"`}, ""},
		{"postgres without a URL", "storage:\n  driver: postgres\n", []string{"storage.postgres_url"}, ""},
		{"bad URL is not echoed", "storage:\n  driver: postgres\n  postgres_url: mysql://u:hunter2@db/x\n", []string{"storage.postgres_url"}, "hunter2"},
		{"negative retention", "storage:\n  retention: -1h\n", []string{"storage.retention"}, ""},
		{"empty data_dir", "data_dir: \"\"\n", []string{"data_dir"}, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("c%d.yaml", i))
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			err := run(context.Background(), []string{"config", "check", path}, func(string) string { return "" }, io.Discard, io.Discard)
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %q: %v", w, err)
				}
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("error echoes a secret: %v", err)
			}
		})
	}
}
