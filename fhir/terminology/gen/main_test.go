package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExpansionsUpToDate: the embedded expansions.json is exactly what
// the generator makes of source/, so no one edits it by hand and no
// source change is left unexpanded. Regenerate with go generate.
func TestExpansionsUpToDate(t *testing.T) {
	got, err := generate("../source", "2026-12-08T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../expansions.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("expansions.json is not the generator's output: run go generate ./fhir/terminology")
	}
}

// TestFractureConflictRejected: a source update that puts a code in both
// an included and the excluded fracture value set fails the generation.
func TestFractureConflictRejected(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pub/vs.json", `{"resourceType":"ValueSet","url":"urn:pub","version":"1","expansion":{"contains":[
		{"system":"http://snomed.info/sct","code":"1","display":"Fracture of femur"},
		{"system":"http://snomed.info/sct","code":"2","display":"Pathological fracture of femur due to neoplasm"}]}}`)
	vs := func(id, concept, filter string) string {
		return `{"resource":{"resourceType":"ValueSet","id":"` + id + `","url":"urn:` + id + `","version":"1","status":"active",
		"extension":[{"url":"https://fracturecds.org/fhir/StructureDefinition/meaning","valueCode":"concept:` + concept + `"}],
		"compose":{"include":[{"system":"http://snomed.info/sct","valueSet":["urn:pub"],"filter":[{"property":"display","op":"regex","value":"` + filter + `"}]}]}}}`
	}
	write("fracturecds/c.json", `{"resourceType":"Bundle","entry":[`+vs("fx", "fracture", "(?i)fracture")+`,`+vs("excl", "fracture-excluded", "(?i)neoplas")+`]}`)
	_, err := generate(dir, "2026-12-08T00:00:00Z")
	if err == nil || !strings.Contains(err.Error(), "http://snomed.info/sct|2 in fx and excl") {
		t.Fatalf("err = %v, want the conflict of code 2", err)
	}
	// With the neoplastic code excluded from the fracture set, it passes.
	write("fracturecds/c.json", `{"resourceType":"Bundle","entry":[`+strings.Replace(vs("fx", "fracture", "(?i)fracture"), `]}]}}}`,
		`]}],"exclude":[{"system":"http://snomed.info/sct","valueSet":["urn:pub"],"filter":[{"property":"display","op":"regex","value":"(?i)neoplas"}]}]}}}`, 1)+`,`+vs("excl", "fracture-excluded", "(?i)neoplas")+`]}`)
	out, err := generate(dir, "2026-12-08T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"used-valueset"`)) || !bytes.Contains(out, []byte(`"total": 1`)) {
		t.Errorf("unexpected output:\n%s", out)
	}
}
