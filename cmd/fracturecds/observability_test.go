package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
)

// TestMetricsAreServedOnTheAdminListenerOnly starts the program through
// run, posts the README's example, and scrapes /metrics the way Prometheus
// does: the service's metrics and the Go runtime and process metrics are
// there, the public port has no /metrics, and no label carries the
// example's patient id.
func TestMetricsAreServedOnTheAdminListenerOnly(t *testing.T) {
	addr, adminAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--admin-addr", adminAddr}, func(string) string { return "" }, io.Discard, io.Discard)
	}()
	defer func() { cancel(); <-done }()
	waitHealthy(t, "http://"+addr+"/healthz")
	waitHealthy(t, "http://"+adminAddr+"/healthz")

	body, err := os.ReadFile(filepath.Join("..", "..", "examples", "patient-view.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+addr+"/cds-services/fracturecds-patient-view", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("example: status %d", resp.StatusCode)
	}

	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("public port /metrics: status %d, want 404 (metrics belong on the admin listener)", resp.StatusCode)
	}

	// A large response reaches the client before the handler returns and
	// the middleware counts it, so poll briefly.
	var scrape []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err = http.Get("http://" + adminAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		scrape, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("admin /metrics: status %d", resp.StatusCode)
		}
		if strings.Contains(string(scrape), "fracturecds_cards_total{") {
			break
		}
	}
	t.Logf("/metrics scrape after one request: %d bytes", len(scrape))
	for _, want := range []string{
		`fracturecds_http_requests_total{route="/cds-services/:id",service="fracturecds-patient-view",status="200"} 1`,
		`fracturecds_http_request_duration_seconds_bucket{route="/cds-services/:id",service="fracturecds-patient-view",status="200",le="+Inf"} 1`,
		`fracturecds_cards_total{indicator="warning",topic="fracture-case-finding"} 1`,
		"go_goroutines ",
		"go_gc_duration_seconds",
		"process_resident_memory_bytes ",
		"go_build_info{",
	} {
		if !strings.Contains(string(scrape), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(string(scrape), "example-vertebral") || strings.Contains(string(scrape), "Patient/") {
		t.Error("/metrics mentions a patient reference")
	}
}

// TestFHIRFetchesAreTimedAndTracedAsChildSpans runs the example without
// prefetch against an in-process FHIR server, then against one that
// fails: each of the 8 keys gives one latency observation and one client
// span under the request's server span, and failures are counted.
func TestFHIRFetchesAreTimedAndTracedAsChildSpans(t *testing.T) {
	request, err := os.ReadFile(filepath.Join("..", "..", "examples", "patient-view.json"))
	if err != nil {
		t.Fatal(err)
	}
	const token = "obs-token-51c2"
	working := httptest.NewServer(fakeFHIRServer(t, request, token))
	defer working.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer failing.Close()

	tests := []struct {
		name         string
		fhirServer   string
		wantStatus   int
		wantOutcomes []string // the set of fetch outcomes seen
		wantErrors   bool
	}{
		{"a working FHIR server", working.URL, http.StatusOK, []string{"ok"}, false},
		// The first failure cancels the other keys: their outcome may be
		// error or canceled, never ok.
		{"a failing FHIR server answers 412", failing.URL, http.StatusPreconditionFailed, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			defer func() { _ = tp.Shutdown(context.Background()) }()
			obs, err := newObservability(tp)
			if err != nil {
				t.Fatal(err)
			}
			h, err := newObservedHandler(defaultConfig(), zap.NewNop(), time.Now, nil, obs)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodPost, "/cds-services/fracturecds-patient-view", bytes.NewReader(withoutPrefetch(t, request, tt.fhirServer, token)))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}

			var server sdktrace.ReadOnlySpan
			var fetchKeys []string
			outcomes := map[string]bool{}
			spans := rec.Ended()
			for _, s := range spans {
				if s.SpanKind().String() == "server" {
					server = s
				}
			}
			if server == nil {
				t.Fatal("no server span")
			}
			for _, s := range spans {
				if !strings.HasPrefix(s.Name(), "FHIR fetch ") {
					continue
				}
				fetchKeys = append(fetchKeys, strings.TrimPrefix(s.Name(), "FHIR fetch "))
				if s.Parent().SpanID() != server.SpanContext().SpanID() {
					t.Errorf("%s is not a child of the request span", s.Name())
				}
				for _, a := range s.Attributes() {
					if a.Key == "fhir.fetch_outcome" {
						outcomes[a.Value.AsString()] = true
					}
					if v := a.Value.String(); strings.Contains(v, token) || strings.Contains(v, "127.0.0.1") {
						t.Errorf("%s attribute %s = %q leaks the token or FHIR server", s.Name(), a.Key, v)
					}
				}
			}
			sort.Strings(fetchKeys)
			wantKeys := []string{"conditions", "dxa", "labs", "medicationAdministrations", "medicationRequests", "medicationStatements", "patient", "serviceRequests"}
			if diff := cmp.Diff(wantKeys, fetchKeys); diff != "" {
				t.Errorf("fetch spans by key (-want +got):\n%s", diff)
			}
			if tt.wantOutcomes != nil {
				got := []string{}
				for o := range outcomes {
					got = append(got, o)
				}
				if diff := cmp.Diff(tt.wantOutcomes, got); diff != "" {
					t.Errorf("fetch outcomes (-want +got):\n%s", diff)
				}
			}
			if outcomes["ok"] && tt.wantErrors {
				t.Error("a fetch from a failing server has outcome ok")
			}

			mfs, err := obs.registry.Gather()
			if err != nil {
				t.Fatal(err)
			}
			fetches, errs := sumOf(mfs, "fracturecds_fhir_fetch_duration_seconds"), sumOf(mfs, "fracturecds_fhir_fetch_errors_total")
			if fetches != 8 {
				t.Errorf("fhir_fetch_duration_seconds observations = %v, want 8 (one per key)", fetches)
			}
			if (errs > 0) != tt.wantErrors {
				t.Errorf("fhir_fetch_errors_total = %v, want errors: %v", errs, tt.wantErrors)
			}
		})
	}
}

// sumOf adds the counter values (or histogram sample counts) of a family.
func sumOf(mfs []*dto.MetricFamily, name string) float64 {
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			n += m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return n
}

// TestTracingExportsOTLPToTheConfiguredEndpoint proves the exporter wiring
// end to end against a fake collector: a span reaches POST /v1/traces as
// OTLP protobuf when the provider shuts down (which flushes).
func TestTracingExportsOTLPToTheConfiguredEndpoint(t *testing.T) {
	var mu sync.Mutex
	var got []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	tp, shutdown, err := newTracerProvider(context.Background(), TracingConfig{Endpoint: collector.URL + "/v1/traces"})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tp.Tracer("test").Start(context.Background(), "POST /cds-services/:id")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"POST /v1/traces application/x-protobuf"}, got); diff != "" {
		t.Errorf("collector requests (-want +got):\n%s", diff)
	}
}

func TestTracingIsOffByDefault(t *testing.T) {
	tp, shutdown, err := newTracerProvider(context.Background(), defaultConfig().Tracing)
	if err != nil || tp != nil {
		t.Fatalf("default tracing: provider %v, error %v; want none", tp, err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestTracingConfigProblems(t *testing.T) {
	tests := []struct {
		name string
		cfg  TracingConfig
		want int
	}{
		{"off", TracingConfig{}, 0},
		{"an in-cluster collector", TracingConfig{Endpoint: "http://otel-collector.monitoring:4318/v1/traces", SampleRatio: 0.1}, 0},
		{"a host:port without scheme", TracingConfig{Endpoint: "otel-collector:4318"}, 1},
		{"a gRPC scheme", TracingConfig{Endpoint: "grpc://otel-collector:4317"}, 1},
		{"a ratio above 1", TracingConfig{SampleRatio: 1.5}, 1},
		{"a negative ratio", TracingConfig{SampleRatio: -0.1}, 1},
	}
	for _, tt := range tests {
		if got := tt.cfg.problems(); len(got) != tt.want {
			t.Errorf("%s: problems %q, want %d", tt.name, got, tt.want)
		}
	}
}

func TestTracingEndpointFromEnvironment(t *testing.T) {
	env := func(k string) string {
		if k == "FRACTURECDS_TRACING_ENDPOINT" {
			return "http://otel-collector:4318/v1/traces"
		}
		return ""
	}
	cfg, err := loadConfig("", env)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Tracing.Endpoint, "http://otel-collector:4318/v1/traces"; got != want {
		t.Errorf("tracing endpoint = %q, want %q", got, want)
	}
}
