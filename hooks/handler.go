package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks/bonehealth"
	"github.com/fracturecds/fracturecds/rules"
)

// FactSource gathers the facts for one request (prefetch, then the FHIR
// server). *fhir.Gatherer implements it.
type FactSource interface {
	Facts(ctx context.Context, in fhir.Input) (fhir.Result, error)
}

// FactSourceFunc adapts a function to FactSource, so a test can say
// "FHIR server down -> 412" in one line.
type FactSourceFunc func(ctx context.Context, in fhir.Input) (fhir.Result, error)

// Facts calls f.
func (f FactSourceFunc) Facts(ctx context.Context, in fhir.Input) (fhir.Result, error) {
	return f(ctx, in)
}

// Config is what the handler needs; package cmd fills it from flags,
// environment and the configuration file.
type Config struct {
	Logger     *zap.Logger
	Facts      FactSource
	Thresholds rules.Thresholds
	// Prefetch is the discovery prefetch object (key -> template).
	Prefetch map[string]string
	// DefaultLanguage is "nl" or "en": the card language when
	// IgnoreAcceptLanguage is set, or when Accept-Language names neither.
	DefaultLanguage string
	// IgnoreAcceptLanguage makes DefaultLanguage win over the request's
	// Accept-Language. A browser-based EHR sends the browser's language,
	// not the clinician's choice of card language: an English-locale
	// browser gave a Dutch GP English cards. The program sets it unless
	// the configuration says prefer_request_language: true.
	IgnoreAcceptLanguage bool
	// MaxBodyBytes caps request bodies (413 above it).
	MaxBodyBytes int64
	// MaxInFlight caps concurrent service calls; a call that cannot start
	// within a short wait gets 503 with Retry-After instead of queueing
	// without bound (EHRs call hooks synchronously: a fast "busy" beats a
	// slow answer). 0 means the default, 4 × GOMAXPROCS × 8.
	MaxInFlight int
	// Now and NewUUID are injected so tests get stable ages and goldens.
	Now     func() time.Time
	NewUUID func() string
	// Ready reports readiness for /readyz; nil means always ready.
	Ready *atomic.Bool
	// CardLog remembers every issued card (uuid, service, topic, no
	// patient data) so feedback can be tied to topics; nil remembers none.
	CardLog CardLog
	// Feedback stores what POST /cds-services/{id}/feedback receives; nil
	// validates feedback and discards it.
	Feedback FeedbackStore
	// Storage tells /readyz whether the card log and feedback store can
	// take writes now; nil means there is nothing to check.
	Storage StorageCheck
	// CardLogFailures counts failed card-log writes (a metric for the
	// caller to expose); nil counts into a private counter.
	CardLogFailures *atomic.Int64
	// Metrics records request, latency and card metrics; nil records
	// none.
	Metrics *Metrics
	// Tracer starts a server span per request (health probes excepted);
	// nil means no tracing.
	Tracer trace.Tracer
	// Auth authenticates CDS clients on every /cds-services path
	// (discovery, services, feedback); nil means no authentication
	// (development on loopback only: see README "Authentication").
	Auth Verifier
	// CORSAllowedOrigins are the browser origins allowed by CORS; empty
	// means CORS is off.
	CORSAllowedOrigins []string
	// HSTS adds Strict-Transport-Security (set when serving TLS).
	HSTS bool
	// BoneHealth is the bone-health SMART app (README "Bone-health view");
	// nil serves no app and puts no smart links on cards.
	BoneHealth *bonehealth.App
}

// NewHandler returns the HTTP handler with every route of the service.
func NewHandler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewUUID == nil {
		cfg.NewUUID = newCardUUID
	}
	if cfg.DefaultLanguage == "" {
		cfg.DefaultLanguage = "nl"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 4 << 20
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 32 * runtime.GOMAXPROCS(0)
	}
	if cfg.CardLogFailures == nil {
		cfg.CardLogFailures = new(atomic.Int64)
	}
	s := &server{cfg: cfg, services: services(cfg.Prefetch), tracer: cfg.Tracer, inFlight: make(chan struct{}, cfg.MaxInFlight)}
	if s.tracer == nil {
		s.tracer = noop.NewTracerProvider().Tracer("")
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Never redirect: an EHR POSTing to a near-miss URL must get a clear
	// 404/405, not a redirect it may not follow with its body.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.Use(s.accessLog, s.instrument, s.recoverPanic, s.securityHeaders)
	if len(cfg.CORSAllowedOrigins) > 0 {
		// Before authentication: preflights carry no Authorization.
		r.Use(corsMiddleware(cfg.CORSAllowedOrigins))
	}
	// Every /cds-services path, including unknown ones, needs a valid JWT.
	r.Use(s.authenticate)

	// Every route of the service is here.
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/cds-services", s.discovery)
	r.POST("/cds-services/:id", s.callService)
	r.POST("/cds-services/:id/feedback", s.feedback)
	if app := cfg.BoneHealth; app != nil {
		r.GET(bonehealth.LaunchPath, s.boneHealth(app.Launch))
		r.GET(bonehealth.CallbackPath, s.boneHealth(app.Callback))
		r.GET(bonehealth.ViewPath, s.boneHealth(app.View))
	}

	r.NoRoute(func(c *gin.Context) { s.fail(c, errNotFound) })
	r.NoMethod(func(c *gin.Context) {
		c.JSON(http.StatusMethodNotAllowed, newOutcome(http.StatusMethodNotAllowed, "method not allowed"))
	})
	return r
}

// boneHealth adapts a bone-health handler to gin, with the page language
// from ?lang= or else Accept-Language.
func (s *server) boneHealth(h func(w http.ResponseWriter, r *http.Request, lang string)) gin.HandlerFunc {
	return func(c *gin.Context) {
		lang := c.Query("lang")
		if lang != "nl" && lang != "en" {
			lang = negotiateLanguage(c.GetHeader("Accept-Language"), s.cfg.DefaultLanguage)
		}
		h(c.Writer, c.Request, lang)
	}
}

// newCardUUID returns a version 7 UUID for a card or suggestion. They are
// time-ordered, so the card log's primary-key index grows at one end
// instead of at random pages: recording a card went from 49 to 5 µs on
// SQLite (BenchmarkRecordCards), and with random version 4 uuids the card
// log had been 17 % of the server's CPU at 2,000 requests/s. A v7 uuid
// tells the millisecond the card was made, which the EHR that received it
// knows anyway; it holds no patient data.
func newCardUUID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

type server struct {
	cfg      Config
	services []Service
	tracer   trace.Tracer
	// inFlight is a semaphore of MaxInFlight service calls.
	inFlight chan struct{}
	bodies   bodyBuffers
}

// admissionWait is how long a service call may wait for a free slot.
const admissionWait = 100 * time.Millisecond

// admit takes a service-call slot, waiting at most admissionWait; release
// must be called when ok.
func (s *server) admit(ctx context.Context) (release func(), ok bool) {
	select {
	case s.inFlight <- struct{}{}:
		return func() { <-s.inFlight }, true
	default:
	}
	t := time.NewTimer(admissionWait)
	defer t.Stop()
	select {
	case s.inFlight <- struct{}{}:
		return func() { <-s.inFlight }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

func (s *server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *server) readyz(c *gin.Context) {
	if s.cfg.Ready != nil && !s.cfg.Ready.Load() {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready"})
		return
	}
	if s.cfg.Storage != nil {
		// A replica that cannot store feedback must leave the load
		// balancer: it would answer every feedback call with 503.
		ctx, cancel := context.WithTimeout(c.Request.Context(), storageCheckTimeout)
		defer cancel()
		if err := s.cfg.Storage.Check(ctx); err != nil {
			c.Set(logErrorKey, fmt.Errorf("readiness: %w", err))
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "storage unavailable"})
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

func (s *server) discovery(c *gin.Context) {
	c.JSON(http.StatusOK, Discovery{Services: s.services})
}

func (s *server) service(id string) (Service, bool) {
	for _, sv := range s.services {
		if sv.ID == id {
			return sv, true
		}
	}
	return Service{}, false
}

func (s *server) callService(c *gin.Context) {
	id := c.Param("id")
	sv, ok := s.service(id)
	if !ok {
		s.fail(c, errNotFound)
		return
	}
	release, admitted := s.admit(c.Request.Context())
	if !admitted {
		c.Header("Retry-After", "1")
		s.fail(c, errOverloaded)
		return
	}
	defer release()
	c.Set(logServiceKey, id)
	buf := s.bodies.get()
	defer s.bodies.put(buf)
	body, err := s.readJSONBody(c, buf)
	if err != nil {
		s.fail(c, err)
		return
	}
	req, err := decodeRequest(body, rules.Hook(sv.Hook))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(logHookInstanceKey, req.HookInstance)

	now := s.cfg.Now()
	in := req.input(now)
	if in.FHIRServer != "" && !s.fhirServerAllowed(c, in.FHIRServer) {
		// No request, and no token, ever goes to a server that is not
		// allow-listed: the call proceeds on prefetch alone.
		c.Set(logFHIRServerRefusedKey, true)
		in.FHIRServer, in.AccessToken = "", ""
		in.FHIRServerRefused = true
	}
	result, err := s.cfg.Facts.Facts(c.Request.Context(), in)
	if err != nil {
		if c.Request.Context().Err() != nil {
			// The EHR hung up while we fetched: not a 412 of the FHIR server.
			err = fmt.Errorf("%w: %w", errClientClosed, err)
		}
		s.fail(c, err)
		return
	}
	var findings []rules.Finding
	if !result.SelectionPending {
		// An order-select before a drug is chosen gets no card at all,
		// rather than an insufficient-data card about the empty order.
		findings = rules.Evaluate(result.Facts, s.cfg.Thresholds)
	}
	b := cardBuilder{
		lang:      s.cardLanguage(c.GetHeader("Accept-Language")),
		patientID: req.patientID,
		now:       now,
		newUUID:   s.cfg.NewUUID,
		result:    result,
	}
	if s.cfg.BoneHealth != nil {
		b.boneHealthURL = s.cfg.BoneHealth.LaunchURL()
	}
	resp := Response{Cards: b.cards(findings)}
	s.recordCards(c.Request.Context(), id, now, resp.Cards)
	topics := make([]string, 0, len(findings))
	for _, f := range findings {
		topics = append(topics, f.Topic)
	}
	c.Set(logTopicsKey, topics)
	if len(result.Unreadable) > 0 {
		c.Set(logUnreadableKey, result.Unreadable)
	}
	c.Set(cardsKey, resp.Cards)
	c.Header("Content-Language", b.lang)
	// goccy/go-json writes the same JSON as encoding/json (HTML-safe
	// escaping, compacted raw resources; the golden tests hold it to
	// that) in a third of the time. It writes into a recycled buffer, as
	// the body is read into one; gin sets Content-Length from it, which
	// spares the response chunked framing.
	out := s.bodies.get()
	defer s.bodies.put(out)
	out.Reset()
	if err := gojson.NewEncoder(out).Encode(resp); err != nil {
		s.fail(c, fmt.Errorf("encoding the response: %w", err))
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", bytes.TrimSuffix(out.Bytes(), []byte("\n")))
}

// fail answers with the status the one error table assigns, an
// OperationOutcome body, and records the error for the access log.
func (s *server) fail(c *gin.Context, err error) {
	status, msg := statusOf(err)
	c.Set(logErrorKey, err)
	c.AbortWithStatusJSON(status, newOutcome(status, msg))
}

// readJSONBody reads a POST body for the service and feedback routes: a
// JSON content type (or none), at most MaxBodyBytes. The body is read into
// buf (emptied first) and aliases it.
func (s *server) readJSONBody(c *gin.Context, buf *bytes.Buffer) ([]byte, error) {
	if ct := c.GetHeader("Content-Type"); ct != "" && !isJSONContentType(ct) {
		return nil, errUnsupportedMedia
	}
	body, err := readAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes), min(c.Request.ContentLength, s.cfg.MaxBodyBytes+1), buf)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errBodyTooLarge
		}
		return nil, badRequest("could not read request body")
	}
	return body, nil
}

// presizeLimit caps the buffer allocated up front from Content-Length:
// the header is the client's claim, so a small request claiming 4 MiB must
// not reserve 4 MiB. Once that much has arrived the rest of the claim is
// believed (up to MaxBodyBytes). It also caps the buffers kept for reuse
// (bodyBuffers).
const presizeLimit = 1 << 20

// readAll reads r like io.ReadAll, into buf (emptied first), sized from
// the request's Content-Length (hint, -1 when unknown; the caller caps it
// at the body limit). io.ReadAll grows from 512 bytes by doubling, which
// for a typical 60 KB prefetch allocated twice the body and copied it
// eight times, and for a 2.5 MB one (3,000 resources) allocated 8 MB.
func readAll(r io.Reader, hint int64, buf *bytes.Buffer) ([]byte, error) {
	buf.Reset()
	if hint <= 0 {
		_, err := buf.ReadFrom(r)
		return buf.Bytes(), err
	}
	first := min(hint, presizeLimit)
	buf.Grow(int(first) + bytes.MinRead)
	if _, err := io.CopyN(buf, r, first); err != nil {
		if err == io.EOF {
			err = nil // shorter than claimed: what arrived is the body
		}
		return buf.Bytes(), err
	}
	if hint > first {
		buf.Grow(int(hint-first) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// bodyBuffers recycles the request-body and response buffers of the
// service route. A fresh 60 KB buffer per typical request was an eighth
// of all the bytes a request allocated, and a recycled one is still in
// the CPU cache. A buffer goes back only when the handler returns: the
// prefetch values of the request are slices of its body until then, and
// nothing that outlives the request points into it
// (TestFactsDoNotAliasBody). Buffers grown past presizeLimit are dropped,
// so one large request does not pin its memory.
type bodyBuffers struct{ pool sync.Pool }

func (p *bodyBuffers) get() *bytes.Buffer {
	if b, ok := p.pool.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func (p *bodyBuffers) put(b *bytes.Buffer) {
	if b.Cap() <= presizeLimit+bytes.MinRead {
		p.pool.Put(b)
	}
}

func isJSONContentType(ct string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(ct), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || mt == "application/fhir+json" || strings.HasSuffix(mt, "+json")
}
