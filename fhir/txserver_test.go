package fhir

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// txServer is an in-process FHIR terminology server answering
// ValueSet/$expand for the canonical URLs in expansions (the codes it
// adds); every other value set is unknown (404), as on a server that
// holds only some of them.
func txServer(t *testing.T, expansions map[string]string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != http.MethodGet || r.URL.Path != "/fhir/ValueSet/$expand" {
			http.NotFound(w, r)
			return
		}
		contains, ok := expansions[r.URL.Query().Get("url")]
		if !ok {
			w.Header().Set("Content-Type", "application/fhir+json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}`)
			return
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		fmt.Fprintf(w, `{"resourceType":"ValueSet","url":%q,"version":"20261201","expansion":{"timestamp":"2026-12-01T00:00:00Z","contains":[%s]}}`,
			r.URL.Query().Get("url"), contains)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestRefreshFromTerminologyServer(t *testing.T) {
	const fractureVS = "https://fracturecds.org/fhir/ValueSet/condition-fracture"
	// 704236005 stands for a SNOMED CT descendant only the server knows.
	srv, _ := txServer(t, map[string]string{
		fractureVS: `{"system":"http://snomed.info/sct","code":"704236005","display":"Fracture of bone of rib cage"},
			{"system":"http://snomed.info/sct","code":"33737001","display":"Fracture of rib"},
			{"system":"http://www.whocc.no/atc","code":"M05BA04","display":"a drug in a condition value set is ignored"}`,
	})
	term, err := NewTerminology(nil)
	if err != nil {
		t.Fatal(err)
	}
	descendant := []coding{{System: SystemSNOMED, Code: "704236005"}}
	if _, ok := term.classifyCondition(descendant); ok {
		t.Fatal("the descendant is known before the refresh")
	}
	res, err := term.Refresh(context.Background(), http.DefaultClient, srv.URL+"/fhir/")
	if err != nil {
		t.Fatal(err)
	}
	if res.Expanded != 1 || res.Added != 1 || res.Fallback != len(term.ValueSets())-1 {
		t.Errorf("result %+v", res)
	}
	m, ok := term.classifyCondition(descendant)
	if !ok || len(m.concepts) != 1 || m.concepts[0] != cFx {
		t.Errorf("after refresh: %+v, %v", m, ok)
	}
	// The embedded codes stay in use, for this and every other value set.
	if _, ok := term.classifyCondition([]coding{{System: SystemSNOMED, Code: "58150001"}}); !ok {
		t.Error("an embedded fracture code was lost")
	}
	if _, _, _, _, ok := term.classifyDrug(medCC(medCoding(SystemATC, "M05BA04", ""))); !ok {
		t.Error("an embedded drug code was lost")
	}
	for _, vs := range term.ValueSets() {
		want := "embedded"
		if vs.URL == fractureVS {
			want = srv.URL + "/fhir"
		}
		if vs.Origin != want {
			t.Errorf("%s: origin %q, want %q", vs.ID, vs.Origin, want)
		}
	}
}

func TestRefreshFallsBackWhenTheServerIsUnusable(t *testing.T) {
	none, _ := txServer(t, nil)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	for name, base := range map[string]string{"holds none": none.URL + "/fhir", "unreachable": down.URL, "too slow": slow.URL} {
		t.Run(name, func(t *testing.T) {
			term := DefaultTerminology()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := term.Refresh(ctx, http.DefaultClient, base)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "Patient") {
				t.Errorf("error mentions patient data: %v", err)
			}
			// The embedded expansions answer as before.
			if _, ok := term.classifyCondition([]coding{{System: SystemSNOMED, Code: "33737001"}}); !ok {
				t.Error("embedded codes not in use after a failed refresh")
			}
		})
	}
}
