package fhir

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/rules"
)

func TestDecodeDraftOrders(t *testing.T) {
	tests := []struct {
		name    string
		raw     json.RawMessage
		want    summary
		wantErr error
	}{
		{
			name: "Bundle without type: orders by resourceType, NutritionOrder ignored",
			raw:  readTestdata(t, "draft-orders.json"),
			want: summary{
				DraftMedicationRequests: []string{"draft-mr-1"},
				DraftServiceRequests:    []string{"draft-sr-1"},
				Raw:                     []string{"MedicationRequest/draft-mr-1"},
			},
		},
		{name: "absent (patient-view)", raw: nil, want: summary{}},
		{name: "JSON null", raw: json.RawMessage("null"), want: summary{}},
		{
			name: "undecodable order becomes a gap",
			raw:  json.RawMessage(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"ServiceRequest","id":"s1","status":"DRAFT"}}]}`),
			want: summary{Gaps: []rules.Gap{unreadable("draft ServiceRequest", "ServiceRequest/s1")}},
		},
		{name: "not a JSON object", raw: json.RawMessage(`["MedicationRequest/1"]`), wantErr: ErrInvalidInput},
		{name: "not a Bundle", raw: json.RawMessage(`{"resourceType":"MedicationRequest","id":"1"}`), wantErr: ErrInvalidInput},
		{
			name:    "order for another patient",
			raw:     json.RawMessage(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"MedicationRequest","id":"1","subject":{"reference":"Patient/p2"}}}]}`),
			wantErr: ErrInvalidInput,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := &resources{}
			err := decodeDraftOrders(tc.raw, testPatient, res)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, summarize(res)); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
		})
	}
}

// EHRs often send a draft order with medicationReference to a Medication in
// the same draftOrders Bundle (by id or by a urn:uuid fullUrl); the drug
// must still be recognised (a denosumab stop order must not go unnoticed).
func TestDraftOrderMedicationReferenceResolvesInTheBundle(t *testing.T) {
	for _, ref := range []string{"Medication/m1", "urn:uuid:0b6c3d1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"} {
		t.Run(ref, func(t *testing.T) {
			raw := []byte(`{"resourceType":"Bundle","entry":[
			  {"fullUrl":"urn:uuid:0b6c3d1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e","resource":{"resourceType":"Medication","id":"m1",
			    "code":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}},
			  {"resource":{"resourceType":"MedicationRequest","id":"stop1","status":"stopped","intent":"order",
			    "subject":{"reference":"Patient/p1"},"medicationReference":{"reference":"` + ref + `"}}}]}`)
			var res resources
			if err := decodeDraftOrders(raw, "p1", &res); err != nil {
				t.Fatal(err)
			}
			recs, gaps := medicationRecords(&res, Input{PatientID: "p1"}, DefaultTerminology())
			if len(gaps) > 0 {
				t.Errorf("gaps: %v", gaps)
			}
			if len(recs) != 1 || !recs[0].Is(rules.DrugDenosumab) {
				t.Fatalf("records %+v, want one denosumab draft order", recs)
			}
		})
	}
}
