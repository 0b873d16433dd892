package fhirtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireMedplumEnv is the environment variable that turns a missing Medplum
// install from a skip into a test failure (set it to "1" in CI).
const RequireMedplumEnv = "FRACTURECDS_REQUIRE_MEDPLUM"

// startTimeout bounds the wait for the server's "listening" line.
const startTimeout = 60 * time.Second

// PrefetchKeys are the prefetch keys of the service's contract, in the order
// the discovery document lists them. Every seed fixture uses exactly these.
var PrefetchKeys = []string{
	"patient",
	"conditions",
	"dxa",
	"labs",
	"medicationStatements",
	"medicationRequests",
	"medicationAdministrations",
	"serviceRequests",
}

// RepoRoot returns the module root: the nearest directory at or above the
// working directory that holds go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("fhirtest: working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("fhirtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// lockedBuffer collects the server's stderr for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartMedplum starts the in-memory Medplum FHIR R4 server on a free loopback
// port with a random bearer token and returns its base URL (".../fhir") and
// the token. The server is killed in t.Cleanup.
//
// When testdata/medplum/node_modules or node is missing the test is skipped,
// or fails when FRACTURECDS_REQUIRE_MEDPLUM=1.
func StartMedplum(t testing.TB) (baseURL, token string) {
	t.Helper()
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		t.Fatalf("fhirtest: random token: %v", err)
	}
	token = hex.EncodeToString(raw)
	return startMedplum(t, token), token
}

// StartOpenMedplum is StartMedplum without a token: an open FHIR server,
// as the CDS Hooks Sandbox's test servers are, and as the SMART launcher
// needs behind its proxy (it never forwards Authorization upstream).
func StartOpenMedplum(t testing.TB) (baseURL string) {
	t.Helper()
	return startMedplum(t, "")
}

func startMedplum(t testing.TB, token string) (baseURL string) {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "testdata", "medplum")
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv(RequireMedplumEnv) == "1" {
			t.Fatalf("fhirtest: %s (%s=1, so this is a failure, not a skip)", msg, RequireMedplumEnv)
		}
		t.Skipf("fhirtest: %s; run `scripts/medplum.sh install` to enable the Medplum integration tests", msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@medplum", "fhir-router")); err != nil {
		unavailable("testdata/medplum/node_modules is not installed")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not on PATH")
	}

	ctx, cancel := context.WithCancel(context.Background())
	// Port 0: the server binds a free port itself and prints it, so there is
	// no window in which another process can take a port we picked.
	cmd := exec.CommandContext(ctx, node, "server.mjs", "0")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MEDPLUM_TOKEN="+token, "MEDPLUM_HOST=127.0.0.1", "MEDPLUM_PORT=", "PORT=")
	cmd.WaitDelay = 5 * time.Second
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatalf("fhirtest: stdout pipe: %v", err)
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("fhirtest: start node server.mjs: %v", err)
	}

	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				select {
				case ready <- strings.TrimSpace(u):
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	t.Cleanup(func() {
		cancel() // kills the node process (CommandContext)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Logf("fhirtest: Medplum server did not exit within 10s")
		}
	})

	select {
	case baseURL = <-ready:
	case err := <-exited:
		t.Fatalf("fhirtest: Medplum server exited before listening: %v\nstderr:\n%s", err, stderr.String())
	case <-time.After(startTimeout):
		t.Fatalf("fhirtest: Medplum server not listening after %v\nstderr:\n%s", startTimeout, stderr.String())
	}
	t.Logf("fhirtest: Medplum listening at %s after %v", baseURL, time.Since(started).Round(time.Millisecond))
	return baseURL
}

// resourceHeader is the part of any FHIR resource the helpers need.
type resourceHeader struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
}

// bundle is a minimal Bundle.
type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

// cdsRequest is the part of a CDS Hooks request the helpers read.
type cdsRequest struct {
	Hook         string                     `json:"hook"`
	HookInstance string                     `json:"hookInstance"`
	FHIRServer   *string                    `json:"fhirServer"`
	Context      map[string]json.RawMessage `json:"context"`
	Prefetch     map[string]json.RawMessage `json:"prefetch"`
}

// prefetchResources returns every resource in a request's prefetch: a
// non-Bundle value as itself, a Bundle as its entries. JSON null values are
// skipped. Keys are visited in sorted order.
func prefetchResources(request []byte) ([]json.RawMessage, error) {
	var req cdsRequest
	if err := json.Unmarshal(request, &req); err != nil {
		return nil, fmt.Errorf("request is not valid JSON: %w", err)
	}
	keys := make([]string, 0, len(req.Prefetch))
	for k := range req.Prefetch {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []json.RawMessage
	for _, k := range keys {
		v := bytes.TrimSpace(req.Prefetch[k])
		if len(v) == 0 || bytes.Equal(v, []byte("null")) {
			continue
		}
		var b bundle
		if err := json.Unmarshal(v, &b); err != nil {
			return nil, fmt.Errorf("prefetch %q: %w", k, err)
		}
		if b.ResourceType != "Bundle" {
			out = append(out, json.RawMessage(v))
			continue
		}
		for i, e := range b.Entry {
			if len(e.Resource) == 0 {
				return nil, fmt.Errorf("prefetch %q entry %d has no resource", k, i)
			}
			out = append(out, e.Resource)
		}
	}
	return out, nil
}

// SeedFromRequest PUTs every resource in request's prefetch (the Patient and
// every Bundle entry) to the FHIR server at baseURL, with client-assigned ids.
// Any non-2xx answer fails the test.
func SeedFromRequest(t testing.TB, baseURL, token string, request []byte) {
	t.Helper()
	resources, err := prefetchResources(request)
	if err != nil {
		t.Fatalf("fhirtest: %v", err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	base := strings.TrimSuffix(baseURL, "/")
	for _, raw := range resources {
		var h resourceHeader
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatalf("fhirtest: resource: %v", err)
		}
		if h.ResourceType == "" || h.ID == "" {
			t.Fatalf("fhirtest: prefetch resource without resourceType/id: %.200s", raw)
		}
		target := base + "/" + h.ResourceType + "/" + url.PathEscape(h.ID)
		req, err := http.NewRequest(http.MethodPut, target, bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("fhirtest: %v", err)
		}
		req.Header.Set("Content-Type", "application/fhir+json")
		req.Header.Set("Accept", "application/fhir+json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("fhirtest: PUT %s/%s: %v", h.ResourceType, h.ID, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("fhirtest: PUT %s/%s: HTTP %d: %s", h.ResourceType, h.ID, resp.StatusCode, body)
		}
	}
}

// Case is one entry of testdata/seeds/cases.json.
type Case struct {
	// ID is the rules.md §5.2 case id, e.g. "S1-mtx-casus1-fracture".
	ID string `json:"id"`
	// File is the request fixture in testdata/seeds (S4-alt shares S4's).
	File string `json:"file"`
	// Service is the CDS service id: fracturecds-patient-view,
	// fracturecds-order-select or fracturecds-order-sign.
	Service string `json:"service"`
	// AsOf is the evaluation moment T.
	AsOf time.Time `json:"asOf"`
	// Config holds threshold overrides (rules.md §3 keys), e.g.
	// {"VFA_GRADE1_COUNTS": true}; nil for the defaults.
	Config map[string]any `json:"config,omitempty"`
	// Must maps each topic code that must appear to its card indicator.
	Must map[string]string `json:"must"`
	// MustNot lists topic codes that must be absent (wildcards expanded).
	MustNot []string `json:"mustNot"`
	// OneDXASuggestion: exactly one DXA ServiceRequest suggestion across
	// all cards (S1).
	OneDXASuggestion bool `json:"oneDXASuggestion,omitempty"`
	// NoOralBisphosphonateSuggestion: no card suggests an oral
	// bisphosphonate (S5 and its variants).
	NoOralBisphosphonateSuggestion bool `json:"noOralBisphosphonateSuggestion,omitempty"`
	// MustNotFlagsInsideR12 lists analytes the
	// secondary-osteoporosis-lab-flags card must not flag (S3b).
	MustNotFlagsInsideR12 []string `json:"mustNotFlagsInsideR12,omitempty"`
	// Note explains the case and the synthetic choices.
	Note string `json:"note"`
}

// LoadCases reads testdata/seeds/cases.json.
func LoadCases(t testing.TB) []Case {
	t.Helper()
	path := filepath.Join(RepoRoot(t), "testdata", "seeds", "cases.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fhirtest: %v", err)
	}
	var cases []Case
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("fhirtest: %s: %v", path, err)
	}
	return cases
}

// Request returns the case's CDS Hooks request body.
func (c Case) Request(t testing.TB) []byte {
	t.Helper()
	if c.File == "" || filepath.Base(c.File) != c.File {
		t.Fatalf("fhirtest: case %s: bad file name %q", c.ID, c.File)
	}
	data, err := os.ReadFile(filepath.Join(RepoRoot(t), "testdata", "seeds", c.File))
	if err != nil {
		t.Fatalf("fhirtest: case %s: %v", c.ID, err)
	}
	return data
}
