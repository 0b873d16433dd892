package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/rules"
)

const failedSearchBundle = `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"OperationOutcome",
  "issue":[{"severity":"error","code":"forbidden","diagnostics":"insufficient scope"}]},"search":{"mode":"outcome"}}]}`

func nullPrefetchExcept(key, value string) map[string]json.RawMessage {
	p := map[string]json.RawMessage{}
	for _, k := range prefetchKeys {
		p[k] = json.RawMessage("null")
	}
	p[KeyPatient] = json.RawMessage(`{"resourceType":"Patient","id":"p1","birthDate":"1950-01-01"}`)
	p[key] = json.RawMessage(value)
	return p
}

// A searchset that carries an error OperationOutcome ("insufficient
// scope") is a failed search, not an empty one: without a FHIR server the
// request cannot be answered (412); with one, the key is fetched again.
func TestSearchsetWithAnErrorOutcomeIsAFailedSearch(t *testing.T) {
	g := NewGatherer(Options{Terminology: DefaultTerminology()})
	in := Input{Hook: rules.PatientView, PatientID: "p1", AsOf: time.Now(), Prefetch: nullPrefetchExcept(KeyMedicationStatements, failedSearchBundle)}
	if _, err := g.Facts(context.Background(), in); !errors.Is(err, ErrDataUnavailable) {
		t.Fatalf("without a FHIR server: err = %v, want ErrDataUnavailable (412)", err)
	}

	// Observation keys are decoded in one pass, and entry by entry when one
	// entry does not fit (observation.go): both paths see the outcome.
	for name, bundle := range map[string]string{
		"one pass":       failedSearchBundle,
		"entry by entry": strings.Replace(failedSearchBundle, `"entry":[`, `"entry":[{"resource":{"resourceType":"Observation","id":"o1","valueInteger":"x"}},`, 1),
	} {
		in := Input{Hook: rules.PatientView, PatientID: "p1", AsOf: time.Now(), Prefetch: nullPrefetchExcept(KeyLabs, bundle)}
		if _, err := g.Facts(context.Background(), in); !errors.Is(err, ErrDataUnavailable) {
			t.Errorf("labs, %s: err = %v, want ErrDataUnavailable (412)", name, err)
		}
	}

	var fetched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		if !strings.HasPrefix(r.URL.Path, "/MedicationStatement") {
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"MedicationStatement","id":"ms1","status":"active",
		  "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-01-01","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]}}}]}`))
	}))
	defer srv.Close()
	in.FHIRServer, in.AccessToken = srv.URL, "t"
	res, err := g.Facts(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if fetched.Load() != 1 || len(res.Facts.Medications) != 1 {
		t.Errorf("fetched %d times, %d medications; want the failed key fetched once and its statement read", fetched.Load(), len(res.Facts.Medications))
	}
}

// A next link that points back at a page already read is not followed
// again (it would otherwise be fetched until MaxPages).
func TestLoopingNextLinkIsReadOnce(t *testing.T) {
	var hits atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"` + srv.URL + r.URL.RequestURI() + `"}]}`))
	}))
	defer srv.Close()
	p := nullPrefetchExcept(KeyConditions, "")
	delete(p, KeyConditions)
	g := NewGatherer(Options{Terminology: DefaultTerminology(), MaxPages: 20})
	_, err := g.Facts(context.Background(), Input{Hook: rules.PatientView, PatientID: "p1", AsOf: time.Now(), Prefetch: p, FHIRServer: srv.URL, AccessToken: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the self-referencing page was fetched %d times, want 1", n)
	}
}

// An unknown gender code must not cost the birth date (and with it every
// age-gated rule such as case finding).
func TestPatientWithAnUnknownGenderCodeKeepsItsBirthDate(t *testing.T) {
	p := nullPrefetchExcept(KeyConditions, "null")
	p[KeyPatient] = json.RawMessage(`{"resourceType":"Patient","id":"p1","birthDate":"1950-03-04","gender":"F"}`)
	res, err := NewGatherer(Options{Terminology: DefaultTerminology()}).Facts(context.Background(),
		Input{Hook: rules.PatientView, PatientID: "p1", AsOf: time.Now(), Prefetch: p})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Facts.Patient.BirthDate.Format("2006-01-02"); got != "1950-03-04" {
		t.Errorf("birth date = %s, want 1950-03-04", got)
	}
	if len(res.Facts.Gaps) != 1 || !strings.Contains(res.Facts.Gaps[0].What.EN, "gender") {
		t.Errorf("gaps = %+v, want one naming the gender", res.Facts.Gaps)
	}
}
