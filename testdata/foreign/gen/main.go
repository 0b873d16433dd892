// Command gen turns foreign FHIR R4 data (a Synthea patient Bundle, or a
// single US Core example Observation) into a CDS Hooks patient-view request
// with the prefetch keys fracturecds asks for (fhir/templates.go), so the
// foreign-data tests in cmd/fracturecds run on data this project did not
// write. The originals are not committed; see ../PROVENANCE.md.
//
//	go run ./testdata/foreign/gen -in Lonnie_Von_....json -asof 2021-04-01 -out testdata/foreign/lonnie-von.request.json
//	go run ./testdata/foreign/gen -in Observation-dxa-femur-l-z-score-bmd.json -patient uscore-amy -birth 1987-02-20 -gender female -asof 2022-01-01 -out ...
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

type resource = map[string]any

func main() {
	in := flag.String("in", "", "Synthea Bundle or single Observation (JSON)")
	out := flag.String("out", "", "request file to write")
	asOf := flag.String("asof", "", "evaluation date, YYYY-MM-DD")
	patientID := flag.String("patient", "", "for a single Observation: the id of the minimal Patient to wrap it in")
	birth := flag.String("birth", "", "for a single Observation: Patient.birthDate")
	gender := flag.String("gender", "", "for a single Observation: Patient.gender")
	hookInstance := flag.String("hook-instance", "", "uuid of the request")
	flag.Parse()
	if err := run(*in, *out, *asOf, *patientID, *birth, *gender, *hookInstance); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out, asOf, patientID, birth, gender, hookInstance string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var root resource
	if err := json.Unmarshal(raw, &root); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var all []resource
	switch root["resourceType"] {
	case "Bundle":
		entries, _ := root["entry"].([]any)
		for _, e := range entries {
			if r, ok := e.(resource)["resource"].(resource); ok {
				all = append(all, r)
			}
		}
	case "Observation":
		if patientID == "" {
			return fmt.Errorf("a single Observation needs -patient")
		}
		// The US Core example points at Patient/example; re-point it at the
		// minimal Patient we wrap it in.
		root["subject"] = resource{"reference": "Patient/" + patientID}
		all = []resource{{"resourceType": "Patient", "id": patientID, "birthDate": birth, "gender": gender}, root}
	default:
		return fmt.Errorf("%s: unsupported resourceType %v", in, root["resourceType"])
	}

	var patient resource
	for _, r := range all {
		if r["resourceType"] == "Patient" {
			if patient != nil {
				return fmt.Errorf("%s: more than one Patient", in)
			}
			patient = r
		}
	}
	if patient == nil {
		return fmt.Errorf("%s: no Patient", in)
	}
	pid, _ := patient["id"].(string)
	keep := map[string][]resource{}
	for _, r := range all {
		rt, _ := r["resourceType"].(string)
		switch rt {
		case "Condition":
			keep["conditions"] = append(keep["conditions"], r)
		case "MedicationRequest":
			keep["medicationRequests"] = append(keep["medicationRequests"], r)
		case "MedicationStatement":
			keep["medicationStatements"] = append(keep["medicationStatements"], r)
		case "ServiceRequest":
			keep["serviceRequests"] = append(keep["serviceRequests"], r)
		case "MedicationAdministration":
			keep["medicationAdministrations"] = append(keep["medicationAdministrations"], r)
		case "Observation":
			// Laboratory results go to "labs"; imaging (DXA) and social
			// history go to "dxa" (Synthea files its DXA T-score under the category
			// "procedure"). Vital signs and surveys are cut: no rule
			// reads them and they are most of a Synthea record.
			switch category(r) {
			case "laboratory":
				keep["labs"] = append(keep["labs"], r)
			case "imaging", "procedure", "social-history", "exam":
				keep["dxa"] = append(keep["dxa"], r)
			}
		}
	}
	// Synthea writes references as urn:uuid:...; a FHIR server answering a
	// search would give Patient/<id>, which is what the service checks.
	for _, rs := range keep {
		for _, r := range rs {
			for _, k := range []string{"subject", "patient"} {
				if _, ok := r[k].(resource); ok {
					r[k] = resource{"reference": "Patient/" + pid}
				}
			}
			delete(r, "encounter")
			delete(r, "context")
			delete(r, "requester")
			delete(r, "text")
		}
	}
	delete(patient, "text")
	prefetch := resource{"patient": patient}
	for _, k := range []string{"conditions", "dxa", "labs", "medicationStatements", "medicationRequests", "medicationAdministrations", "serviceRequests"} {
		entries := []any{}
		for _, r := range keep[k] {
			entries = append(entries, resource{
				"fullUrl":  fmt.Sprintf("https://ehr.example.org/fhir/%s/%s", r["resourceType"], r["id"]),
				"resource": r,
			})
		}
		prefetch[k] = resource{"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
	}
	req := resource{
		"hook":         "patient-view",
		"hookInstance": hookInstance,
		"extension":    resource{"org.fracturecds.as-of": asOf + "T09:00:00Z"},
		"context":      resource{"userId": "Practitioner/foreign-1", "patientId": pid},
		"prefetch":     prefetch,
	}
	b, err := json.MarshalIndent(req, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}

func category(r resource) string {
	cats, _ := r["category"].([]any)
	for _, c := range cats {
		cc, _ := c.(resource)
		codings, _ := cc["coding"].([]any)
		for _, x := range codings {
			if code, ok := x.(resource)["code"].(string); ok {
				return code
			}
		}
	}
	return ""
}
