package bonehealth_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
)

// requireLauncherEnv turns a missing SMART launcher (node or
// ../shared/tools/smart-launcher) from a skip into a failure; CI sets it.
const requireLauncherEnv = "FRACTURECDS_REQUIRE_SMART_LAUNCHER"

// startLauncher runs the SMART launcher (../shared/tools/smart-launcher, a
// real SMART authorization server and FHIR proxy) in front of fhirBase and
// returns its FHIR base, the iss of an EHR launch.
//
// The launcher's FHIR proxy collapses every "//" of the URL it forwards,
// the query included, so "code=http://loinc.org|…" reaches the server as
// "http:/loinc.org|…" and matches nothing. A reverse proxy in front of it
// percent-encodes those slashes (the same query for any FHIR server) and
// keeps the Host header, from which the launcher builds its discovery
// URLs, so every step of the launch still goes to the launcher.
func startLauncher(t *testing.T, fhirBase string) (iss string) {
	t.Helper()
	target, err := url.Parse(runLauncher(t, fhirBase))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host
		pr.Out.URL.RawQuery = strings.ReplaceAll(pr.In.URL.RawQuery, "//", "%2F%2F")
	}})
	t.Cleanup(front.Close)
	return front.URL + "/v/r4/fhir"
}

// runLauncher starts the launcher process and returns its base URL.
func runLauncher(t *testing.T, fhirBase string) string {
	t.Helper()
	tool := filepath.Join(fhirtest.RepoRoot(t), "..", "shared", "tools", "smart-launcher", "server", "smart-launcher.js")
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(tool); err != nil || serr != nil {
		if os.Getenv(requireLauncherEnv) == "1" {
			t.Fatalf("SMART launcher unavailable (node: %v, %s: %v) and %s=1", err, tool, serr, requireLauncherEnv)
		}
		t.Skipf("SMART launcher unavailable (node: %v, tool: %v)", err, serr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, tool, "--port", "0", "--host", "127.0.0.1", "--fhir-server", fhirBase)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start SMART launcher: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "SMART launcher available at "); ok {
				ready <- strings.TrimSpace(u)
			}
		}
	}()
	select {
	case base := <-ready:
		return strings.TrimRight(base, "/")
	case <-time.After(60 * time.Second):
		t.Fatal("SMART launcher did not start within 60 s")
	}
	return ""
}

// launchCode is a launcher launch code (its README, "Launch code format"):
// an EHR launch for patient, no encounter, PKCE always required, only
// client clientID.
func launchCode(t *testing.T, patient, clientID string) string {
	t.Helper()
	b, err := json.Marshal([]any{0, patient, "", "NONE", 0, 0, 0, "", "", clientID, "", "", "", "", 0, 2, ""})
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
