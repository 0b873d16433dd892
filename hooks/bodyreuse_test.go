package hooks

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// reuseBody is one request of the buffer-reuse tests.
type reuseBody struct {
	name    string
	service string
	hook    rules.Hook
	data    []byte
}

// reuseBodies are every seed request and the generated typical and heavy
// patients.
func reuseBodies(t *testing.T) []reuseBody {
	t.Helper()
	dir := filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds")
	hookOf := map[string]rules.Hook{
		ServicePatientView: rules.PatientView, ServiceOrderSelect: rules.OrderSelect, ServiceOrderSign: rules.OrderSign,
	}
	var bodies []reuseBody
	for _, c := range fhirtest.LoadCases(t) {
		data, err := os.ReadFile(filepath.Join(dir, c.File))
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, reuseBody{c.ID, c.Service, hookOf[c.Service], data})
	}
	for _, p := range []fhirtest.Profile{fhirtest.Typical, fhirtest.Heavy} {
		bodies = append(bodies, reuseBody{p.Name, ServicePatientView, rules.PatientView, fhirtest.Generate(p, 1, benchAsOf)})
	}
	return bodies
}

// The service route reuses request-body buffers (bodyBuffers); that is
// only safe while nothing that outlives the request points into the body:
// the next request would overwrite it. Every seed
// request and the generated profiles are decoded and their facts
// gathered, the body is scribbled over, and the request's other fields
// and the facts (with the resources kept for suggestions) must still equal
// those of an untouched copy.
func TestFactsDoNotAliasBody(t *testing.T) {
	g := fhir.NewGatherer(fhir.Options{})
	read := func(t *testing.T, body []byte, hook rules.Hook) (validRequest, fhir.Result) {
		t.Helper()
		req, err := decodeRequest(body, hook)
		if err != nil {
			t.Fatalf("seed request rejected: %v", err)
		}
		res, err := g.Facts(t.Context(), req.input(benchAsOf))
		if err != nil {
			t.Fatalf("facts: %v", err)
		}
		// What may alias the body, and dies with it.
		req.Prefetch, req.Context = nil, nil
		return req, res
	}
	all := cmp.Exporter(func(reflect.Type) bool { return true })
	for _, b := range reuseBodies(t) {
		t.Run(b.name, func(t *testing.T) {
			wantReq, wantRes := read(t, append([]byte(nil), b.data...), b.hook)
			scratch := append([]byte(nil), b.data...)
			gotReq, gotRes := read(t, scratch, b.hook)
			for i := range scratch {
				scratch[i] = 'x'
			}
			if diff := cmp.Diff(wantReq, gotReq, all); diff != "" {
				t.Errorf("decoded request changed when its body was overwritten (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantRes, gotRes, all); diff != "" {
				t.Errorf("facts changed when the body was overwritten (-want +got):\n%s", diff)
			}
		})
	}
}

// One handler serving every request in turn (large, small, large again,
// so recycled buffers hold older, longer bodies) must answer each exactly
// as a fresh handler does, card uuids aside, and say how long the answer
// is.
func TestRecycledBodyBuffersDoNotMixRequests(t *testing.T) {
	bodies := reuseBodies(t)
	newHandler := func() http.Handler {
		g := fhir.NewGatherer(fhir.Options{})
		return NewHandler(Config{
			Facts:      g,
			Thresholds: rules.DefaultThresholds(),
			Prefetch:   g.Templates(),
			Now:        func() time.Time { return time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC) },
			NewUUID:    seqUUID(),
		})
	}
	uuids := regexp.MustCompile(`"uuid":"[^"]*"`)
	serve := func(h http.Handler, b reuseBody) []byte {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/cds-services/"+b.service, bytes.NewReader(b.data))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d: %s", b.name, rec.Code, rec.Body)
			return nil
		}
		if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
			t.Errorf("%s: Content-Length %q, body has %s bytes", b.name, got, want)
		}
		return uuids.ReplaceAll(rec.Body.Bytes(), []byte(`"uuid":""`))
	}
	shared := newHandler()
	want := map[string][]byte{}
	for _, b := range bodies {
		want[b.name] = serve(newHandler(), b)
	}
	order := append(append([]reuseBody{bodies[len(bodies)-1]}, bodies...), bodies...)
	for _, b := range order {
		if got := serve(shared, b); !bytes.Equal(got, want[b.name]) {
			t.Errorf("%s: a handler that served other requests first answers differently:\n got %s\nwant %s", b.name, got, want[b.name])
		}
	}
	// Concurrently, each goroutine in another order, so buffers pass
	// between requests of different sizes while others are in flight.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range bodies {
				b := bodies[(i*(g+1)+g)%len(bodies)]
				if got := serve(shared, b); !bytes.Equal(got, want[b.name]) {
					t.Errorf("%s, concurrently: answered differently", b.name)
				}
			}
		})
	}
	wg.Wait()
}
