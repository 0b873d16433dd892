package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// Defaults for Options fields left zero.
const (
	// DefaultBudget is the total time one gather may take, fetches
	// included. CDS Hooks asks for answers "on the order of 500 ms"; the
	// EHR's own FHIR server is the slow part, so the default leaves it room
	// while staying far below typical client timeouts.
	DefaultBudget = 2 * time.Second
	// DefaultMaxPages is the most pages read per key.
	DefaultMaxPages = 20
	// DefaultMaxResponseBytes is the largest page body accepted (8 MiB).
	DefaultMaxResponseBytes int64 = 8 << 20
)

// Options configure a Gatherer. Zero fields take the defaults.
type Options struct {
	// HTTPClient performs FHIR-server requests. The Gatherer uses a copy
	// that never follows redirects (a redirect could carry the bearer
	// token off fhirServer). Nil means a client on http.DefaultTransport.
	HTTPClient *http.Client
	// Budget bounds one whole gather, all parallel fetches and every page
	// included (a context deadline); 0 means DefaultBudget.
	Budget time.Duration
	// MaxPages caps the pages read per key (the prefetched page, if any,
	// not counted); 0 means DefaultMaxPages. Further pages are not read
	// and leave a gap "results for <key> incomplete".
	MaxPages int
	// MaxResponseBytes caps one response body; 0 means
	// DefaultMaxResponseBytes. A larger body fails the key: it is never
	// truncated into a partial answer.
	MaxResponseBytes int64
	// Terminology decides which codes the dxa and labs templates ask for;
	// nil means DefaultTerminology().
	Terminology *Terminology
	// AllowServer, when set, must approve fhirServer (the base URL) before
	// any request is sent to it; nil allows every server.
	AllowServer func(base string) bool
	// OnFetch, when set, is called as the FHIR-server fetch of a key
	// starts (with the fetch's context, which carries the request's trace
	// span, and the prefetch key), and the function it returns is called
	// with the key's result (nil or the error) when that fetch ends. It
	// lets cmd add metrics and trace spans without this package importing
	// either. It is called from concurrent goroutines; it must never see
	// the URL or the token, so it gets neither.
	OnFetch func(ctx context.Context, key string) (done func(err error))
}

// Gatherer resolves the prefetch keys of a request, fetches what is missing
// from the EHR's FHIR server and turns the result into facts. It is safe
// for concurrent use.
type Gatherer struct {
	opts        Options
	terminology *Terminology
	templates   map[string]string
}

// NewGatherer returns a Gatherer with o's zero fields set to the defaults.
func NewGatherer(o Options) *Gatherer {
	client := &http.Client{}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		client = &c
	}
	client.CheckRedirect = noRedirects
	o.HTTPClient = client
	if o.Budget <= 0 {
		o.Budget = DefaultBudget
	}
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.Terminology == nil {
		o.Terminology = DefaultTerminology()
	}
	return &Gatherer{opts: o, terminology: o.Terminology, templates: templates(o.Terminology)}
}

// Facts gathers the FHIR data of one request and turns it into facts.
//
// Every prefetch key is required. Per key (cds-hooks.md §D item 21):
//   - present: decoded. A searchset Bundle with a next link is continued
//     on fhirServer when there is access, else it leaves a gap "results
//     for <key> incomplete";
//   - JSON null: known empty, nothing is fetched;
//   - an OperationOutcome (the client failed to fetch it) or absent:
//     fetched from fhirServer with the bearer token.
//
// All fetches run in parallel, one goroutine per key, each following next
// links on fhirServer only (Options.MaxPages, Options.MaxResponseBytes),
// all within one Options.Budget for the whole call. The first failing key
// cancels the others.
//
// Facts returns ErrDataUnavailable (the hooks package answers 412) when a
// key must be fetched and there is no fhirServer or access token, the
// server is not allowed, or a fetch fails: an HTTP status other than 200,
// a timeout or the budget running out, an oversized or non-JSON body, or
// an OperationOutcome body. It returns ErrInvalidInput (400) when the
// request's data is not what a key promises (a Patient key holding a
// Bundle, a Condition under dxa, a draftOrders value that is not a Bundle)
// or when any data is about another patient than context.patientId.
// Resources that cannot be decoded are skipped and reported as gaps.
func (g *Gatherer) Facts(ctx context.Context, in Input) (Result, error) {
	res, err := g.gather(ctx, in)
	if err != nil {
		return Result{}, err
	}
	return extract(res, in, g.terminology), nil
}

// job is one key to read from the FHIR server.
type job struct {
	key string
	// start is an absolute URL to continue from (a prefetched Bundle's
	// next link); "" means fetch the key from its template.
	start string
	// outcome marks a key whose prefetch value was an OperationOutcome.
	outcome bool
}

// gather resolves every key and the draft orders into one resources.
func (g *Gatherer) gather(ctx context.Context, in Input) (*resources, error) {
	ctx, cancel := context.WithTimeout(ctx, g.opts.Budget)
	defer cancel()
	if in.PatientID == "" {
		return nil, fmt.Errorf("no patient id: %w", ErrInvalidInput)
	}

	// Decode everything the request carries before any network traffic,
	// so that invalid input fails fast and costs the EHR nothing.
	parts := map[string][]*resources{}
	var jobs []job
	for _, key := range prefetchKeys {
		state := stateAbsent
		raw, sent := in.Prefetch[key]
		if sent {
			var err error
			if state, err = classify(key, raw); err != nil {
				return nil, err
			}
		}
		switch state {
		case stateNull:
			// Known empty: nothing to decode, nothing to fetch.
		case stateAbsent:
			jobs = append(jobs, job{key: key})
		case statePresent:
			r := &resources{}
			next, err := decodeValue(key, raw, in.PatientID, r)
			if errors.Is(err, errSearchFailed) {
				jobs = append(jobs, job{key: key, outcome: true})
				continue
			}
			if err != nil {
				return nil, err
			}
			parts[key] = append(parts[key], r)
			if next != "" {
				jobs = append(jobs, job{key: key, start: next})
			}
		}
	}
	drafts := &resources{}
	if err := decodeDraftOrders(in.DraftOrders, in.PatientID, drafts); err != nil {
		return nil, err
	}

	if len(jobs) > 0 {
		f, noAccess := newFetcher(in, g.opts)
		if noAccess != nil {
			for _, j := range jobs {
				switch {
				case j.outcome:
					return nil, fmt.Errorf("prefetch key %s holds an OperationOutcome and the FHIR server cannot be used (%v): %w", j.key, noAccess, ErrDataUnavailable)
				case j.start == "":
					return nil, fmt.Errorf("no prefetch and no FHIR server access for key %s (%v): %w", j.key, noAccess, ErrDataUnavailable)
				}
			}
			// Only continuations are left: keep the prefetched page and
			// say that the rest is missing.
			for _, j := range jobs {
				parts[j.key] = append(parts[j.key], &resources{gaps: []rules.Gap{incomplete(j.key)}})
			}
		} else {
			fetched, err := g.fetchAll(ctx, f, in.PatientID, jobs)
			if err != nil {
				return nil, err
			}
			for i, j := range jobs {
				parts[j.key] = append(parts[j.key], fetched[i])
			}
		}
	}

	res := &resources{}
	seen := map[resourceKey]bool{}
	for _, key := range prefetchKeys {
		for _, p := range parts[key] {
			res.merge(p, seen)
		}
	}
	// Drafts last, so a draft's raw JSON replaces a stored version of the
	// same order.
	res.draftMedicationRequests = drafts.draftMedicationRequests
	res.draftServiceRequests = drafts.draftServiceRequests
	res.gaps = append(res.gaps, drafts.gaps...)
	res.unreadable = append(res.unreadable, drafts.unreadable...)
	for ref, raw := range drafts.raw {
		if res.raw == nil {
			res.raw = map[rules.Ref]json.RawMessage{}
		}
		res.raw[ref] = raw
	}
	res.selections = in.Selections
	return res, nil
}

// fetchAll runs one goroutine per job and returns their results in job
// order. The first error cancels the other fetches and is returned.
func (g *Gatherer) fetchAll(ctx context.Context, f *fetcher, patientID string, jobs []job) ([]*resources, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]*resources, len(jobs))
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for i, j := range jobs {
		start := j.start
		if start == "" {
			start = f.urlFor(fillTemplate(g.templates[j.key], patientID))
		}
		wg.Go(func() {
			done := func(error) {}
			if g.opts.OnFetch != nil {
				done = g.opts.OnFetch(ctx, j.key)
			}
			r, err := f.fetchKey(ctx, j.key, start)
			done(err)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
				return
			}
			out[i] = r
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return out, nil
}

// merge adds src to r, skipping resources already seen by "Type/id" (the
// same Observation may come back under dxa and labs, or on two pages).
func (r *resources) merge(src *resources, seen map[resourceKey]bool) {
	if src.patient != nil {
		r.patient = src.patient
	}
	r.observations = appendNew(r.observations, src.observations, "Observation", func(x **observation) *string { return &(*x).ID }, seen)
	r.conditions = appendNew(r.conditions, src.conditions, "Condition", func(x **condition) *string { return &(*x).ID }, seen)
	r.medicationStatements = appendNew(r.medicationStatements, src.medicationStatements, "MedicationStatement", func(x **medicationStatement) *string { return &(*x).ID }, seen)
	r.medicationRequests = appendNew(r.medicationRequests, src.medicationRequests, "MedicationRequest", func(x **medicationRequest) *string { return &(*x).ID }, seen)
	r.medicationAdministrations = appendNew(r.medicationAdministrations, src.medicationAdministrations, "MedicationAdministration", func(x **medicationAdministration) *string { return &(*x).ID }, seen)
	r.serviceRequests = appendNew(r.serviceRequests, src.serviceRequests, "ServiceRequest", func(x **serviceRequest) *string { return &(*x).ID }, seen)
	if len(src.medications) > 0 && r.medications == nil {
		r.medications = map[string]r4.Medication{}
	}
	maps.Copy(r.medications, src.medications)
	if len(src.raw) > 0 && r.raw == nil {
		r.raw = map[rules.Ref]json.RawMessage{}
	}
	maps.Copy(r.raw, src.raw)
	r.gaps = append(r.gaps, src.gaps...)
	r.unreadable = append(r.unreadable, src.unreadable...)
}

// resourceKey identifies a resource for merge without building the
// "Type/id" string of every resource of every request.
type resourceKey struct{ typ, id string }

// appendNew appends the elements of src whose type and id are not yet in
// seen. Resources without an id cannot be compared and are always kept.
func appendNew[T any](dst, src []T, typ string, id func(*T) *string, seen map[resourceKey]bool) []T {
	dst = slices.Grow(dst, len(src))
	for i := range src {
		if p := id(&src[i]); p != nil && *p != "" {
			k := resourceKey{typ, *p}
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		dst = append(dst, src[i])
	}
	return dst
}
