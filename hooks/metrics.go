package hooks

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// cardsKey is where callService leaves the response's cards for the
// metrics middleware (topic and indicator per card).
const cardsKey = "fracturecds.cards"

// Label values for requests that are not a call of a known service. Every
// label value is bounded: a service id only when it names one of our
// services, never anything else taken from the request.
const (
	serviceUnknown = "unknown" // a /cds-services/:id route with an id we do not serve
	serviceNone    = "none"    // a route that is not a service (discovery, health)
	routeUnmatched = "unmatched"
)

// Feedback outcomes of CDS Hooks 2.0.1 §Feedback; anything else is counted
// as "other" so that a client cannot grow the label set.
var feedbackOutcomes = map[string]bool{"accepted": true, "overridden": true}

// Metrics holds the Prometheus collectors of the service. Build it once
// with NewMetrics on a registry owned by the caller (never the global one)
// and pass it in Config.Metrics. Every method is safe on a nil *Metrics (it
// does nothing), so feedback, auth and FHIR code can call it
// unconditionally.
type Metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	cards         *prometheus.CounterVec
	fhirDuration  *prometheus.HistogramVec
	fhirErrors    *prometheus.CounterVec
	feedback      *prometheus.CounterVec
	jwksRefreshes *prometheus.CounterVec
	unmapped      *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them on reg. It fails
// when reg already holds collectors of the same names.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	// CDS Hooks asks for answers in about 500 ms; the buckets resolve that
	// range finely and reach the 2 s default FHIR budget and beyond.
	latency := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fracturecds_http_requests_total",
			Help: "HTTP requests on the CDS Hooks listener by route, service id and status code.",
		}, []string{"route", "service", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fracturecds_http_request_duration_seconds",
			Help:    "Latency of HTTP requests on the CDS Hooks listener by route, service id and status code.",
			Buckets: latency,
		}, []string{"route", "service", "status"}),
		cards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fracturecds_cards_total",
			Help: "Cards returned by card topic code and indicator.",
		}, []string{"topic", "indicator"}),
		fhirDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fracturecds_fhir_fetch_duration_seconds",
			Help:    "Latency of fetching one prefetch key from the EHR's FHIR server (all pages), by key and outcome.",
			Buckets: latency,
		}, []string{"key", "outcome"}),
		fhirErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fracturecds_fhir_fetch_errors_total",
			Help: "Failed FHIR-server fetches by prefetch key and outcome (error, timeout, canceled).",
		}, []string{"key", "outcome"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fracturecds_feedback_total",
			Help: "CDS Hooks feedback entries received by outcome (accepted, overridden, other).",
		}, []string{"outcome"}),
		jwksRefreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fracturecds_jwks_refreshes_total",
			Help: "JWKS fetches of trusted CDS client issuers by issuer and result (ok, error).",
		}, []string{"issuer", "result"}),
		unmapped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fracturecds_unmapped_codes_total",
			Help: "Codings of medications, conditions and observations that no value set or local code maps, by code system (the admin page /unmapped lists them).",
		}, []string{"system"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.cards, m.fhirDuration, m.fhirErrors, m.feedback, m.jwksRefreshes, m.unmapped} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// FeedbackOutcome counts one feedback entry; outcome is the CDS Hooks
// feedback outcome ("accepted" or "overridden"), anything else counts as
// "other".
func (m *Metrics) FeedbackOutcome(outcome string) {
	if m == nil {
		return
	}
	if !feedbackOutcomes[outcome] {
		outcome = "other"
	}
	m.feedback.WithLabelValues(outcome).Inc()
}

// JWKSRefresh counts one fetch of a JWKS. issuer must be a configured
// trusted issuer (the label set is bounded by the configuration), never
// an unverified value from a token.
func (m *Metrics) JWKSRefresh(issuer string, ok bool) {
	if m == nil {
		return
	}
	result := "ok"
	if !ok {
		result = "error"
	}
	m.jwksRefreshes.WithLabelValues(issuer, result).Inc()
}

// UnmappedCode counts one coding no value set maps. system is a bounded
// label (fhir.SystemLabel: a known system's short name, "other"), never a
// URI taken from the request.
func (m *Metrics) UnmappedCode(system string) {
	if m == nil {
		return
	}
	m.unmapped.WithLabelValues(system).Inc()
}

// FHIRFetch records one key's FHIR-server fetch: its duration and, when
// err is not nil, an error. outcome is FetchOutcome's classification.
func (m *Metrics) FHIRFetch(key string, d time.Duration, outcome string) {
	if m == nil {
		return
	}
	m.fhirDuration.WithLabelValues(key, outcome).Observe(d.Seconds())
	if outcome != "ok" {
		m.fhirErrors.WithLabelValues(key, outcome).Inc()
	}
}

// FetchOutcome classifies the end of a FHIR fetch for metrics and spans:
// "ok", "timeout" (the request's FHIR budget ran out), "canceled" (another
// key failed first, or the client went away) or "error" (the server
// answered with something unusable). ctx is the fetch's context.
func FetchOutcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "timeout"
	case errors.Is(ctx.Err(), context.Canceled):
		return "canceled"
	}
	return "error"
}

// instrument traces each request (a server span, unless it is a health
// probe) and records its count, latency and cards. It runs outside
// recoverPanic so that a recovered panic is seen as the 500 it becomes.
func (s *server) instrument(c *gin.Context) {
	start := time.Now()
	route := c.FullPath()
	traced := route != "/healthz" && route != "/readyz"
	var span trace.Span
	if traced {
		name := c.Request.Method + " " + route
		if route == "" {
			name = c.Request.Method + " " + routeUnmatched
		}
		var ctx context.Context
		ctx, span = s.tracer.Start(c.Request.Context(), name, trace.WithSpanKind(trace.SpanKindServer))
		c.Request = c.Request.WithContext(ctx)
	}
	c.Next()

	status := c.Writer.Status()
	service := s.serviceLabel(c)
	if traced {
		// Only bounded, non-clinical values: no patient id, URL query,
		// FHIR server or token.
		attrs := []attribute.KeyValue{
			attribute.String("http.request.method", c.Request.Method),
			attribute.String("http.route", route),
			attribute.Int("http.response.status_code", status),
			attribute.String("cds.service", service),
		}
		if v, ok := c.Get(logHookInstanceKey); ok {
			attrs = append(attrs, attribute.String("cds.hook_instance", v.(string)))
		}
		span.SetAttributes(attrs...)
		if status >= 500 {
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
		span.End()
	}
	if s.cfg.Metrics == nil {
		return
	}
	if route == "" {
		route = routeUnmatched
	}
	code := strconv.Itoa(status)
	s.cfg.Metrics.requests.WithLabelValues(route, service, code).Inc()
	s.cfg.Metrics.duration.WithLabelValues(route, service, code).Observe(time.Since(start).Seconds())
	if v, ok := c.Get(cardsKey); ok {
		for _, card := range v.([]Card) {
			topic := ""
			if card.Source.Topic != nil {
				topic = card.Source.Topic.Code
			}
			s.cfg.Metrics.cards.WithLabelValues(topic, card.Indicator).Inc()
		}
	}
}

// serviceLabel is the service id when the route names a known service,
// "unknown" for an unknown id and "none" for routes without one.
func (s *server) serviceLabel(c *gin.Context) string {
	id := c.Param("id")
	if id == "" {
		return serviceNone
	}
	if _, ok := s.service(id); ok {
		return id
	}
	return serviceUnknown
}
