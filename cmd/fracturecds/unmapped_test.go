package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUnmappedCodesOnTheAdminListener: codes no value set maps are counted
// by code system in /metrics and listed, with their display and count but
// nothing about the patient, on the admin page /unmapped (HTML and JSON);
// mapped codes are not listed.
func TestUnmappedCodesOnTheAdminListener(t *testing.T) {
	addr, adminAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--admin-addr", adminAddr}, func(string) string { return "" }, io.Discard, io.Discard)
	}()
	defer func() { cancel(); <-done }()
	waitHealthy(t, "http://"+addr+"/healthz")
	waitHealthy(t, "http://"+adminAddr+"/healthz")

	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "patient-view.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	if err := json.Unmarshal(data, &req); err != nil {
		t.Fatal(err)
	}
	prefetch := req["prefetch"].(map[string]any)
	add := func(key string, resource map[string]any) {
		b := prefetch[key].(map[string]any)
		entries, _ := b["entry"].([]any)
		b["entry"] = append(entries, map[string]any{"resource": resource})
	}
	add("conditions", map[string]any{
		"resourceType": "Condition", "id": "c-unmapped", "subject": map[string]any{"reference": "Patient/example-vertebral"},
		"code": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "38341003", "display": "Hypertensive disorder"}}},
	})
	add("medicationStatements", map[string]any{
		"resourceType": "MedicationStatement", "id": "m-unmapped", "status": "active", "subject": map[string]any{"reference": "Patient/example-vertebral"},
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "197361", "display": "amlodipine 5 MG Oral Tablet"}}},
	})
	add("medicationStatements", map[string]any{
		"resourceType": "MedicationStatement", "id": "m-mapped", "status": "active", "subject": map[string]any{"reference": "Patient/example-vertebral"},
		"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "904431", "display": "Alendronic acid 70 MG Oral Tablet"}}},
	})
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		resp, err := http.Post("http://"+addr+"/cds-services/fracturecds-patient-view", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}

	get := func(path string) string {
		t.Helper()
		resp, err := http.Get("http://" + adminAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	var got struct {
		Codes []struct {
			Kind, System, Code, Display string
			Count                       int
		} `json:"codes"`
	}
	if err := json.Unmarshal([]byte(get("/unmapped?format=json")), &got); err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, c := range got.Codes {
		rows[c.Kind+" "+c.Code+" "+c.Display] = c.Count
		if c.Code == "904431" {
			t.Errorf("a mapped code is listed: %+v", c)
		}
	}
	for _, want := range []string{"condition 38341003 ", "medication 197361 amlodipine 5 MG Oral Tablet"} {
		if rows[want] != 2 {
			t.Errorf("row %q count = %d, want 2 (rows %v)", want, rows[want], rows)
		}
	}
	page := get("/unmapped")
	for _, want := range []string{"amlodipine 5 MG Oral Tablet", "38341003", "local_codes"} {
		if !strings.Contains(page, want) {
			t.Errorf("/unmapped page lacks %q", want)
		}
	}
	if strings.Contains(page, "example-vertebral") || strings.Contains(page, "m-unmapped") {
		t.Error("/unmapped mentions the patient or a resource")
	}
	var scrape string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if scrape = get("/metrics"); strings.Contains(scrape, "fracturecds_unmapped_codes_total{") {
			break
		}
	}
	for _, want := range []string{`fracturecds_unmapped_codes_total{system="rxnorm"} 2`, `fracturecds_unmapped_codes_total{system="snomed-ct"} 2`} {
		if !strings.Contains(scrape, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
