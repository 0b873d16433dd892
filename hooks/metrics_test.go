package hooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
	"github.com/fracturecds/fracturecds/rules"
)

// newMetrics returns Metrics on a private registry (never the global one,
// so tests do not see each other's counts).
func newMetrics(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// samples flattens metric family name into "label=value,..." -> value
// (a counter's value, or a histogram's sample count).
func samples(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetCounter().GetValue()
			if h := m.GetHistogram(); h != nil {
				v = float64(h.GetSampleCount())
			}
			out[strings.Join(labels, ",")] = v
		}
	}
	return out
}

func TestRequestMetricsUseOnlyBoundedLabelValues(t *testing.T) {
	m, reg := newMetrics(t)
	panicking := FactSourceFunc(func(context.Context, fhir.Input) (fhir.Result, error) { panic("boom") })
	h := NewHandler(Config{Facts: staticFacts(pieterse()), Thresholds: rules.DefaultThresholds(), Now: func() time.Time { return testNow }, Metrics: m})
	hPanic := NewHandler(Config{Facts: panicking, Thresholds: rules.DefaultThresholds(), Metrics: m})

	requests := []struct {
		name   string
		h      http.Handler
		method string
		path   string
		body   string
	}{
		{"a known service answering 200", h, http.MethodPost, "/cds-services/fracturecds-patient-view", validPatientView},
		{"the same service answering 400", h, http.MethodPost, "/cds-services/fracturecds-patient-view", `{`},
		{"an unknown service id is not a label value", h, http.MethodPost, "/cds-services/pieterse-1961", validPatientView},
		{"discovery", h, http.MethodGet, "/cds-services", ""},
		{"liveness probe", h, http.MethodGet, "/healthz", ""},
		{"an unrouted path is not a label value", h, http.MethodGet, "/Patient/pieterse", ""},
		{"a panic is counted as the 500 it becomes", hPanic, http.MethodPost, "/cds-services/fracturecds-patient-view", validPatientView},
	}
	for _, r := range requests {
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		r.h.ServeHTTP(httptest.NewRecorder(), req)
	}

	want := map[string]float64{
		"route=/cds-services/:id,service=fracturecds-patient-view,status=200": 1,
		"route=/cds-services/:id,service=fracturecds-patient-view,status=400": 1,
		"route=/cds-services/:id,service=unknown,status=404":                  1,
		"route=/cds-services,service=none,status=200":                         1,
		"route=/healthz,service=none,status=200":                              1,
		"route=unmatched,service=none,status=404":                             1,
		"route=/cds-services/:id,service=fracturecds-patient-view,status=500": 1,
	}
	if diff := cmp.Diff(want, samples(t, reg, "fracturecds_http_requests_total")); diff != "" {
		t.Errorf("requests_total (-want +got):\n%s", diff)
	}
	// Every request is also one latency observation under the same labels.
	if diff := cmp.Diff(want, samples(t, reg, "fracturecds_http_request_duration_seconds")); diff != "" {
		t.Errorf("request_duration_seconds counts (-want +got):\n%s", diff)
	}
}

func TestCardMetricsMatchTheCardsOfTheResponse(t *testing.T) {
	m, reg := newMetrics(t)
	h := NewHandler(Config{Facts: staticFacts(pieterse()), Thresholds: rules.DefaultThresholds(), Now: func() time.Time { return testNow }, Metrics: m})
	rec := post(t, h, "/cds-services/fracturecds-patient-view", validPatientView, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	topics, err := hookstest.Topics(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(topics) == 0 {
		t.Fatal("the Pieterse case gives no cards; the test needs some")
	}
	want := map[string]float64{}
	for topic, indicator := range topics {
		want["indicator="+indicator+",topic="+topic]++
	}
	if diff := cmp.Diff(want, samples(t, reg, "fracturecds_cards_total")); diff != "" {
		t.Errorf("cards_total (-want +got):\n%s", diff)
	}
}

func TestFeedbackJWKSAndFHIRMetricHooks(t *testing.T) {
	m, reg := newMetrics(t)
	m.FeedbackOutcome("accepted")
	m.FeedbackOutcome("overridden")
	m.FeedbackOutcome("overridden")
	m.FeedbackOutcome("free text from a client") // must not become a label value
	m.JWKSRefresh("https://ehr.example/issuer", true)
	m.JWKSRefresh("https://ehr.example/issuer", false)
	m.FHIRFetch("conditions", 30*time.Millisecond, "ok")
	m.FHIRFetch("labs", 2*time.Second, "timeout")

	tests := []struct {
		metric string
		want   map[string]float64
	}{
		{"fracturecds_feedback_total", map[string]float64{"outcome=accepted": 1, "outcome=overridden": 2, "outcome=other": 1}},
		{"fracturecds_jwks_refreshes_total", map[string]float64{"issuer=https://ehr.example/issuer,result=ok": 1, "issuer=https://ehr.example/issuer,result=error": 1}},
		{"fracturecds_fhir_fetch_duration_seconds", map[string]float64{"key=conditions,outcome=ok": 1, "key=labs,outcome=timeout": 1}},
		{"fracturecds_fhir_fetch_errors_total", map[string]float64{"key=labs,outcome=timeout": 1}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, samples(t, reg, tt.metric)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.metric, diff)
		}
	}
}

func TestNilMetricsIsANoOp(t *testing.T) {
	var m *Metrics
	// Feedback and auth code call these unconditionally; a service started
	// without metrics must not panic.
	m.FeedbackOutcome("accepted")
	m.JWKSRefresh("https://ehr.example/issuer", true)
	m.FHIRFetch("patient", time.Millisecond, "ok")
}

func TestNewMetricsRefusesARegistryThatAlreadyHasThem(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("second NewMetrics on the same registry succeeded, want an AlreadyRegistered error")
	}
}

func TestFetchOutcome(t *testing.T) {
	expired, cancel1 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel1()
	canceled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	failed := errors.New("FHIR server, key labs: HTTP 500")
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want string
	}{
		{"success", context.Background(), nil, "ok"},
		{"success just before the budget ran out", expired, nil, "ok"},
		{"the budget ran out", expired, failed, "timeout"},
		{"another key failed first", canceled, failed, "canceled"},
		{"the server answered badly", context.Background(), failed, "error"},
	}
	for _, tt := range tests {
		if got := FetchOutcome(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: FetchOutcome = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestServerSpanPerRequestWithHookInstanceAndNoPatientData(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("test")
	// The fact source stands in for the fhir observer: a span started from
	// the request's context must be a child of the request span.
	facts := FactSourceFunc(func(ctx context.Context, in fhir.Input) (fhir.Result, error) {
		_, span := tracer.Start(ctx, "fhir.fetch")
		span.End()
		return staticFacts(pieterse()).Facts(ctx, in)
	})
	h := NewHandler(Config{Facts: facts, Thresholds: rules.DefaultThresholds(), Now: func() time.Time { return testNow }, Tracer: tracer})
	body := strings.Replace(validPatientView, `"context"`, `"fhirServer":"https://ehr.example/fhir","fhirAuthorization":{"access_token":"SECRET-TOKEN-123","token_type":"Bearer","expires_in":300,"scope":"user/*.read","subject":"cds"},"context"`, 1)
	if r := post(t, h, "/cds-services/fracturecds-patient-view", body, nil); r.Code != http.StatusOK {
		t.Fatalf("status %d: %s", r.Code, r.Body)
	}
	// Health probes would drown the traces: they get no span.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/readyz", nil))

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want the fetch and the request span", len(spans))
	}
	child, server := spans[0], spans[1]
	if got, want := server.Name(), "POST /cds-services/:id"; got != want {
		t.Errorf("server span name = %q, want %q", got, want)
	}
	if child.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Error("a span started from the request context is not a child of the request span")
	}
	got := map[string]string{}
	for _, a := range server.Attributes() {
		got[string(a.Key)] = a.Value.String()
	}
	want := map[string]string{
		"http.request.method":       "POST",
		"http.route":                "/cds-services/:id",
		"http.response.status_code": "200",
		"cds.service":               "fracturecds-patient-view",
		"cds.hook_instance":         "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("server span attributes (-want +got):\n%s", diff)
	}
	for _, s := range spans {
		for _, a := range s.Attributes() {
			if v := a.Value.String(); strings.Contains(v, "pieterse") || strings.Contains(v, "SECRET") || strings.Contains(v, "ehr.example") {
				t.Errorf("span %s attribute %s = %q carries request data", s.Name(), a.Key, v)
			}
		}
	}
}
