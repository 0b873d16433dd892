package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/admin"
)

// TracingConfig turns on OpenTelemetry tracing (YAML key tracing). It is
// off unless Endpoint is set.
type TracingConfig struct {
	// Endpoint is the OTLP/HTTP traces URL of a collector, e.g.
	// http://otel-collector:4318/v1/traces (env
	// FRACTURECDS_TRACING_ENDPOINT); empty means no tracing. http:// sends
	// without TLS, so use it only inside the cluster.
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the fraction of requests traced, 0 < r <= 1; 0 means
	// 1 (every request). A sampled parent span is honoured.
	SampleRatio float64 `yaml:"sample_ratio"`
}

// problems lists what is wrong with t, for Config.validate.
func (t TracingConfig) problems() []string {
	var p []string
	if t.Endpoint != "" {
		u, err := url.Parse(t.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p = append(p, fmt.Sprintf("tracing.endpoint %q: want an http(s) URL such as http://otel-collector:4318/v1/traces", t.Endpoint))
		}
	}
	if t.SampleRatio < 0 || t.SampleRatio > 1 {
		p = append(p, fmt.Sprintf("tracing.sample_ratio %v: want 0 < ratio <= 1", t.SampleRatio))
	}
	return p
}

// observability is the metrics registry and tracer of one serving
// process. The registry is private: nothing is registered globally, so
// tests can run several services side by side.
type observability struct {
	registry *prometheus.Registry
	metrics  *hooks.Metrics
	// tracer is nil when tracing is off.
	tracer trace.Tracer
	// term is the terminology in use (set when the handler is built), for
	// the admin page of unmapped codes and the terminology server refresh.
	term *fhir.Terminology
}

// unmappedHandler serves the admin page of unmapped codes, nil without
// one.
func (o *observability) unmappedHandler() http.Handler {
	if o == nil || o.term == nil {
		return nil
	}
	return admin.UnmappedHandler(o.term.Unmapped())
}

// newObservability builds the registry (Go runtime, process and build
// collectors plus the service's metrics) and, when tp is not nil, a
// tracer from it.
func newObservability(tp trace.TracerProvider) (*observability, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	m, err := hooks.NewMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	o := &observability{registry: reg, metrics: m}
	if tp != nil {
		o.tracer = tp.Tracer("github.com/fracturecds/fracturecds")
	}
	return o, nil
}

// newTracerProvider returns the OTLP/HTTP tracer provider for t and its
// shutdown (which flushes buffered spans), or nil and a no-op shutdown
// when tracing is off. Nothing is sent until the first span ends, so an
// unreachable collector never delays start-up.
func newTracerProvider(ctx context.Context, t TracingConfig) (trace.TracerProvider, func(context.Context) error, error) {
	if t.Endpoint == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(t.Endpoint))
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: %w", err)
	}
	ratio := t.SampleRatio
	if ratio == 0 {
		ratio = 1
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "fracturecds"))),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	return tp, tp.Shutdown, nil
}

// metricsHandler serves the registry in the Prometheus exposition format.
func (o *observability) metricsHandler() http.Handler {
	return promhttp.HandlerFor(o.registry, promhttp.HandlerOpts{Registry: o.registry})
}

// onFetch is the fhir.Options.OnFetch observer: a latency observation and,
// when tracing, a client span per fetched prefetch key, child of the
// request span carried by ctx. The key is the only attribute: fhir never
// hands out the URL (it holds the patient id) or the token.
func (o *observability) onFetch(ctx context.Context, key string) func(error) {
	start := time.Now()
	var span trace.Span
	if o.tracer != nil {
		_, span = o.tracer.Start(ctx, "FHIR fetch "+key,
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("fhir.prefetch_key", key)))
	}
	return func(err error) {
		outcome := hooks.FetchOutcome(ctx, err)
		o.metrics.FHIRFetch(key, time.Since(start), outcome)
		if span != nil {
			span.SetAttributes(attribute.String("fhir.fetch_outcome", outcome))
			if err != nil {
				// The outcome class, not err's text: keep span contents
				// to bounded values.
				span.SetStatus(codes.Error, outcome)
			}
			span.End()
		}
	}
}

// startObservability builds the metrics registry and, when configured, the
// tracer for a serving process. stop flushes buffered spans (bounded, so
// an unreachable collector cannot hold up shutdown).
func startObservability(ctx context.Context, t TracingConfig, logger *zap.Logger) (obs *observability, stop func(), err error) {
	tp, shutdown, err := newTracerProvider(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	obs, err = newObservability(tp)
	if err != nil {
		return nil, nil, err
	}
	if t.Endpoint != "" {
		logger.Info("tracing", zap.String("endpoint", t.Endpoint))
	}
	stop = func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			logger.Warn("tracing shutdown", zap.Error(err))
		}
	}
	return obs, stop, nil
}

// fetchObserver is the fhir.Options.OnFetch of o; nil when o is nil.
func (o *observability) fetchObserver() func(context.Context, string) func(error) {
	if o == nil {
		return nil
	}
	return o.onFetch
}

// hooksMetrics is the metrics for hooks.Config; nil when o is nil.
func (o *observability) hooksMetrics() *hooks.Metrics {
	if o == nil {
		return nil
	}
	return o.metrics
}

// hooksTracer is the tracer for hooks.Config; nil when o is nil or
// tracing is off.
func (o *observability) hooksTracer() trace.Tracer {
	if o == nil {
		return nil
	}
	return o.tracer
}
