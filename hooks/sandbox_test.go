package hooks

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// sandboxOrderSelect is seed case S6 (an oral bisphosphonate selected for
// a patient with hiatal hernia and a PPI) with its draft order changed by
// edit, as the CDS Hooks Sandbox's Rx View sends it
// (../shared/tools/cds-hooks-sandbox/README.md).
func sandboxOrderSelect(t *testing.T, edit func(draft map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds", "S6-order-select-oral-bp.request.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	if err := json.Unmarshal(data, &req); err != nil {
		t.Fatal(err)
	}
	ctx := req["context"].(map[string]any)
	draft := ctx["draftOrders"].(map[string]any)["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
	edit(draft)
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// sandboxHandler serves the order-select service with the real fact
// gatherer, at the seed case's date, logging to logs.
func sandboxHandler(logs *zap.Logger) http.Handler {
	return NewHandler(Config{
		Logger:     logs,
		Facts:      fhir.NewGatherer(fhir.Options{}),
		Thresholds: rules.DefaultThresholds(),
		Now:        func() time.Time { return time.Date(2025, 9, 15, 9, 0, 0, 0, time.UTC) },
		NewUUID:    seqUUID(),
	})
}

func topicsOf(t *testing.T, body []byte) []string {
	t.Helper()
	var resp struct {
		Cards []struct {
			Source struct {
				Topic struct{ Code string } `json:"topic"`
			} `json:"source"`
		} `json:"cards"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.Cards == nil {
		t.Fatalf("response %s: not a card list (%v)", body, err)
	}
	topics := []string{}
	for _, c := range resp.Cards {
		topics = append(topics, c.Source.Topic.Code)
	}
	return topics
}

// The sandbox sends MedicationRequest.category as one object where R4
// says list. No rule reads category, so the order is read and its cards
// are given, as for the R4 shape.
func TestSandboxDraftOrderWithCategoryObjectGetsItsCards(t *testing.T) {
	for name, category := range map[string]any{
		"R4 list":    []any{map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category", "code": "community"}}}},
		"one object": map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category", "code": "community"}}},
	} {
		t.Run(name, func(t *testing.T) {
			body := sandboxOrderSelect(t, func(d map[string]any) { d["category"] = category })
			rec := post(t, sandboxHandler(zap.NewNop()), "/cds-services/fracturecds-order-select", body, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			topics := topicsOf(t, rec.Body.Bytes())
			found := false
			for _, tp := range topics {
				found = found || tp == "oral-bisphosphonate-gi-caution"
				if tp == rules.TopicInsufficientData {
					t.Errorf("insufficient-data card for a readable order: %v", topics)
				}
			}
			if !found {
				t.Errorf("topics %v, want oral-bisphosphonate-gi-caution", topics)
			}
		})
	}
}

// Opening the sandbox's Rx View fires an order-select whose selected draft
// names no drug yet. That is not missing data: the answer is no card (not
// an insufficient-data card counted as issued), and the log shows none.
func TestOrderSelectBeforeADrugIsChosenGivesNoCard(t *testing.T) {
	body := sandboxOrderSelect(t, func(d map[string]any) {
		delete(d, "medicationCodeableConcept")
		delete(d, "dosageInstruction")
		d["id"] = "request-123"
	})
	var req map[string]any
	_ = json.Unmarshal([]byte(body), &req)
	req["context"].(map[string]any)["selections"] = []any{"MedicationRequest/request-123"}
	b, _ := json.Marshal(req)

	core, logs := observer.New(zap.InfoLevel)
	rec := post(t, sandboxHandler(zap.New(core)), "/cds-services/fracturecds-order-select", string(b), nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if topics := topicsOf(t, rec.Body.Bytes()); len(topics) != 0 {
		t.Errorf("cards %v, want none", topics)
	}
	if n := len(logs.All()); n != 1 {
		t.Fatalf("%d log lines, want 1", n)
	}
	if topics, _ := logs.All()[0].ContextMap()["topics"].([]any); len(topics) != 0 {
		t.Errorf("logged topics %v, want none", topics)
	}

	// The same order once a drug is chosen is advised on.
	body = sandboxOrderSelect(t, func(d map[string]any) { d["id"] = "request-123" })
	_ = json.Unmarshal([]byte(body), &req)
	req["context"].(map[string]any)["selections"] = []any{"MedicationRequest/request-123"}
	b, _ = json.Marshal(req)
	rec = post(t, sandboxHandler(zap.NewNop()), "/cds-services/fracturecds-order-select", string(b), nil)
	if topics := topicsOf(t, rec.Body.Bytes()); len(topics) == 0 {
		t.Errorf("no card once the drug is chosen")
	}
}
