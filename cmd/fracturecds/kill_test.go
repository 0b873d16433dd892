package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/hooks"
)

// TestFeedbackSurvivesSIGKILL runs the real binary, records cards and
// feedback, kills the process with SIGKILL (no shutdown code runs) and
// starts it again on the same data directory: every feedback item must
// still be there, because feedback is committed (and synced) before the
// EHR gets its 200. Cards are written in batches; the test waits for the
// batch, as the crash window is documented as at most 200 ms of cards.
func TestFeedbackSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fracturecds")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	start := func() (*exec.Cmd, string, string) {
		addr, adminAddr := freeAddr(t), freeAddr(t)
		cmd := exec.Command(bin, "--addr", addr, "--admin-addr", adminAddr)
		cmd.Env = append(os.Environ(), "FRACTURECDS_DATA_DIR="+data, "FRACTURECDS_STORAGE_DRIVER=sqlite")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
		waitHealthy(t, "http://"+addr+"/healthz")
		return cmd, "http://" + addr, "http://" + adminAddr
	}

	cmd, base, adminBase := start()
	body, err := os.ReadFile(filepath.Join("..", "..", "examples", "patient-view.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp hooks.Response
	if err := json.Unmarshal(postJSON(t, base+"/cds-services/"+hooks.ServicePatientView, body), &resp); err != nil || len(resp.Cards) == 0 {
		t.Fatalf("no cards: %v", err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	var items []map[string]any
	for _, c := range resp.Cards {
		items = append(items, map[string]any{"card": c.UUID, "outcome": "overridden", "outcomeTimestamp": now,
			"overrideReason": map[string]any{"reason": map[string]string{"system": hooks.OverrideReasonSystem, "code": "patient-declined"}}})
	}
	fb, _ := json.Marshal(map[string]any{"feedback": items})
	postJSON(t, base+"/cds-services/"+hooks.ServicePatientView+"/feedback", fb)
	waitForIssued(t, adminBase, int64(len(resp.Cards)))

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = cmd.Process.Wait()

	_, _, adminBase = start()
	a := getAnalytics(t, adminBase)
	if a.Totals.Overridden != int64(len(resp.Cards)) || a.Totals.Issued != int64(len(resp.Cards)) || a.UnknownCardFeedback != 0 {
		t.Errorf("after SIGKILL and restart: %+v (unknown-card feedback %d), want %d cards issued and overridden",
			a.Totals, a.UnknownCardFeedback, len(resp.Cards))
	}
}
