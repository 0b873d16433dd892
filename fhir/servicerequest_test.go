package fhir

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// samplyServiceOrderFacts is serviceOrderFacts, serviceRequestDate and
// periodStart as they were when ServiceRequests were decoded with samply's
// type (commit 1bb1247): the oracle of TestServiceRequestDecodeReadsWhatSamplyRead.
func samplyServiceOrderFacts(sr r4.ServiceRequest, draft bool) (rules.ServiceOrder, bool) {
	if !hasCoding(sr.Code, SystemLOINC, LOINCDXAOrder) || sr.Status == r4.RequestStatusEnteredInError {
		return rules.ServiceOrder{}, false
	}
	periodStart := func(p *r4.Period) time.Time {
		if p == nil {
			return time.Time{}
		}
		return (&period{Start: deref(p.Start), End: deref(p.End)}).start()
	}
	id := rules.Ref("ServiceRequest/")
	if sr.Id != nil {
		id = refTo("ServiceRequest", *sr.Id)
	}
	return rules.ServiceOrder{
		Source: id,
		Kind:   rules.ServiceDXA,
		Status: sr.Status.Code(),
		Date:   firstDate(dateOf(sr.AuthoredOn), dateOf(sr.OccurrenceDateTime), periodStart(sr.OccurrencePeriod)),
		Draft:  draft,
	}, true
}

// serviceRequestEdgeCases are hand-written ServiceRequests around the
// distinctions serviceRequest must keep.
var serviceRequestEdgeCases = []string{
	`{"resourceType":"ServiceRequest","id":"e1","status":"active","intent":"order","code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]},"authoredOn":"2024-03-02"}`,
	`{"resourceType":"ServiceRequest","id":"e2","intent":"order","code":{"coding":[{"system":" http://loinc.org ","code":"38268-9 "}]},"occurrenceDateTime":"2024-04"}`,
	`{"resourceType":"ServiceRequest","id":"e3","status":null,"code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]}}`,
	`{"resourceType":"ServiceRequest","id":"e4","status":"Active","code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]}}`,
	`{"resourceType":"ServiceRequest","id":"e5","status":"\u0061ctive","code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]}}`,
	`{"resourceType":"ServiceRequest","id":"e6","status":"entered-in-error","code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]}}`,
	`{"resourceType":"ServiceRequest","id":"e7","status":"completed","code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]},"authoredOn":"","occurrencePeriod":{"end":"2024-05-01"}}`,
	`{"resourceType":"ServiceRequest","id":"e8","status":"completed","code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]},"authoredOn":"gisteren","occurrenceDateTime":null,"occurrencePeriod":null}`,
	`{"resourceType":"ServiceRequest","id":"e9","status":"revoked","code":{"coding":[{"system":"http://loinc.org","code":"24701-5"}]}}`,
	`{"resourceType":"ServiceRequest","id":"e10","status":5,"code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]}}`,
	`{"resourceType":"ServiceRequest","id":"e11","status":"draft","code":"38268-9"}`,
	`{"resourceType":"ServiceRequest","id":"e12","status":"on-hold","code":{"coding":[{"system":"http://loinc.org","code":"38268-9","extension":[{"url":"x","valueQuantity":{"comparator":"~"}}]}]}}`,
	`{"resourceType":"ServiceRequest","id":"../e13","status":"active","code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]},"authoredOn":20240302}`,
	`{"resourceType":"ServiceRequest","status":"active","code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]},"occurrencePeriod":{"start":"2024-03-02T10:00:00+01:00"}}`,
}

// serviceRequest must read exactly the service orders and gaps that
// samply's type read, on every ServiceRequest of the seed requests, the
// fhir fixtures, generated patients and the edge cases, prefetched and as
// a draft order.
func TestServiceRequestDecodeReadsWhatSamplyRead(t *testing.T) {
	docs := corpusDocuments(t)
	docs["edge cases"] = []byte("[" + strings.Join(serviceRequestEdgeCases, ",") + "]")
	compared, orders, gaps := 0, 0, 0
	for name, doc := range docs {
		for _, raw := range collectResources(t, doc).services {
			var h entryHeader
			if err := unmarshal(raw, &h); err != nil {
				t.Fatalf("%s: header: %v", name, err)
			}
			ref := refOf("ServiceRequest", h)
			for _, draft := range []bool{false, true} {
				var want []rules.ServiceOrder
				var wantGaps []rules.Gap
				if sr, err := samplyAs[r4.ServiceRequest](raw); err != nil {
					wantGaps = []rules.Gap{unreadable("ServiceRequest", ref)}
					if draft {
						wantGaps = []rules.Gap{unreadable("draft ServiceRequest", ref)}
					}
				} else if o, ok := samplyServiceOrderFacts(sr, draft); ok {
					want = []rules.ServiceOrder{o}
				}

				res := &resources{}
				if draft {
					body := `{"resourceType":"Bundle","entry":[{"resource":` + string(raw) + `}]}`
					if err := decodeDraftOrders(json.RawMessage(body), patientOf(&h), res); err != nil {
						t.Fatalf("%s: decodeDraftOrders: %v", name, err)
					}
				} else if err := decodeEntry(KeyServiceRequests, raw, &h, allowedTypes[KeyServiceRequests], patientOf(&h), res); err != nil {
					t.Fatalf("%s: decodeEntry: %v", name, err)
				}
				var got []rules.ServiceOrder
				for _, sr := range append(res.serviceRequests, res.draftServiceRequests...) {
					if o, ok := serviceOrderFacts(sr, draft); ok {
						got = append(got, o)
					}
				}
				if toleratedOnly(wantGaps, len(got) > 0) {
					continue
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (draft %v): orders differ from samply's (-samply +small):\n%s\nresource: %s", name, draft, diff, raw)
				}
				if diff := cmp.Diff(wantGaps, res.gaps, withoutElement); diff != "" {
					t.Errorf("%s (draft %v): gaps differ from samply's (-samply +small):\n%s\nresource: %s", name, draft, diff, raw)
				}
				compared++
				orders += len(want)
				gaps += len(wantGaps)
			}
		}
	}
	if compared < 20 || orders < 10 || gaps < 5 {
		t.Errorf("compared %d requests (%d orders, %d gaps): too few to prove anything", compared, orders, gaps)
	}
	t.Logf("compared %d requests: %d DXA orders, %d gaps", compared, orders, gaps)
}

// valid() makes a ServiceRequest whose status samply rejected a gap in one
// pass and entry by entry alike; a member of the wrong JSON type fails the
// one pass and is a gap entry by entry. intent is no longer read, so an
// unknown intent (which samply rejected) no longer makes a gap.
func TestServiceRequestValid(t *testing.T) {
	const rest = `"code":{"coding":[{"system":"http://loinc.org","code":"38268-9"}]},"subject":{"reference":"Patient/p1"}`
	gap := []rules.Gap{unreadable("ServiceRequest", "ServiceRequest/x")}
	tests := []struct {
		name     string
		resource string
		onePass  bool
		want     []string // statuses read
		gaps     []rules.Gap
	}{
		{"a known status is read", `"status":"active",` + rest, true, []string{"active"}, nil},
		{"an absent status reads draft, as samply's zero value", rest, true, []string{"draft"}, nil},
		{"a null status is a gap", `"status":null,` + rest, true, nil, gap},
		{"an unknown status is a gap", `"status":"actief",` + rest, true, nil, gap},
		{"a status of the wrong case is a gap", `"status":"ACTIVE",` + rest, true, nil, gap},
		{"an escaped status samply did not recognise is a gap", `"status":"\u0061ctive",` + rest, true, nil, gap},
		{"a status that is a number is a gap", `"status":1,` + rest, true, nil, gap},
		{"an unknown intent is no longer read", `"status":"active","intent":"bestelling",` + rest, true, []string{"active"}, nil},
		{"a code that is not an object is a gap naming it", `"status":"active","code":"38268-9","subject":{"reference":"Patient/p1"}`, false, nil, []rules.Gap{unreadable("ServiceRequest.code", "ServiceRequest/x")}},
		{"an authoredOn that is a number is a gap naming it", `"status":"active","authoredOn":20240302,` + rest, false, nil, []rules.Gap{unreadable("ServiceRequest.authoredOn", "ServiceRequest/x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(page("", `{"resource":{"resourceType":"ServiceRequest","id":"x",`+tt.resource+`}}`))
			if _, ok, err := decodeWholeBundle(KeyServiceRequests, "ServiceRequest", body, allowedTypes[KeyServiceRequests], "p1", &resources{}, (*resources).addServiceRequest); ok != tt.onePass || err != nil {
				t.Errorf("one pass: ok = %v, err = %v; want ok = %v", ok, err, tt.onePass)
			}
			for _, entryByEntry := range []bool{false, true} {
				entryByEntryOnly = entryByEntry
				res := &resources{}
				_, err := decodeValue(KeyServiceRequests, body, "p1", res)
				entryByEntryOnly = false
				if err != nil {
					t.Fatalf("entry by entry %v: %v", entryByEntry, err)
				}
				var got []string
				for _, sr := range res.serviceRequests {
					st, _ := sr.status()
					got = append(got, st.Code())
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("entry by entry %v: statuses (-want +got):\n%s", entryByEntry, diff)
				}
				if diff := cmp.Diff(tt.gaps, res.gaps); diff != "" {
					t.Errorf("entry by entry %v: gaps (-want +got):\n%s", entryByEntry, diff)
				}
			}
		})
	}
}
