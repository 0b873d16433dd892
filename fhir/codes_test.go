package fhir

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// r4Coding builds an r4.Coding for tests.
func r4Coding(system, code string) r4.Coding {
	return r4.Coding{System: &system, Code: &code}
}

// r4Concept builds an r4.CodeableConcept from system/code pairs.
func r4Concept(pairs ...string) *r4.CodeableConcept {
	cc := &r4.CodeableConcept{}
	for i := 0; i+1 < len(pairs); i += 2 {
		cc.Coding = append(cc.Coding, r4Coding(pairs[i], pairs[i+1]))
	}
	return cc
}

// liteCodings converts a test concept to the codings an observation
// decodes (nil for nil).
func liteCodings(cc *r4.CodeableConcept) []coding {
	if cc == nil {
		return nil
	}
	var out []coding
	for _, c := range cc.Coding {
		out = append(out, coding{System: deref(c.System), Code: deref(c.Code)})
	}
	return out
}

func testTerminology(t *testing.T) *Terminology {
	t.Helper()
	term, err := NewTerminology([]LocalCode{
		{System: "urn:oid:2.16.840.1.113883.2.4.4.30.45", Code: "VITD0001", Analyte: rules.AnalyteVitaminD},
		{System: "urn:local:dxa", Code: "NECK-T", Site: rules.SiteFemoralNeck, Measure: rules.TScore},
		{System: "urn:local:problems", Code: "VFA2", Concepts: []rules.Concept{rules.ConceptFracture, rules.ConceptVertebralFracture}},
	})
	if err != nil {
		t.Fatalf("NewTerminology: %v", err)
	}
	return term
}

func TestSearchCodes(t *testing.T) {
	term := testTerminology(t)
	tests := []struct {
		name      string
		group     string
		mustHave  []string
		mustNot   []string
		wantCount int
	}{
		{
			name:      "dxa holds every T, Z and BMD code plus the local DXA code",
			group:     SearchGroupDXA,
			mustHave:  []string{"http://loinc.org|38267-1", "http://loinc.org|80945-9", "http://loinc.org|80934-3", "http://loinc.org|46383-6", "http://loinc.org|85393-7", "urn:local:dxa|NECK-T"},
			mustNot:   []string{"http://loinc.org|38268-9", "http://loinc.org|98979-8", "urn:oid:2.16.840.1.113883.2.4.4.30.45|VITD0001"},
			wantCount: len(embedded().dxaOrder) + 1,
		},
		{
			name:      "labs holds eGFR incl. CrCl, testosterone and the local lab code",
			group:     SearchGroupLabs,
			mustHave:  []string{"http://loinc.org|98979-8", "http://loinc.org|35591-7", "http://loinc.org|2986-8", "http://loinc.org|29265-6", "http://loinc.org|14635-7", "urn:oid:2.16.840.1.113883.2.4.4.30.45|VITD0001"},
			mustNot:   []string{"http://loinc.org|38267-1", "urn:local:dxa|NECK-T", "urn:local:problems|VFA2", "http://loinc.org|1995-0"},
			wantCount: len(embedded().labOrder) + 1,
		},
		{name: "unknown group is empty", group: "vitals", wantCount: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := term.SearchCodes(tc.group)
			if len(got) != tc.wantCount {
				t.Errorf("SearchCodes(%q) returned %d tokens, want %d", tc.group, len(got), tc.wantCount)
			}
			set := map[string]bool{}
			for _, tok := range got {
				if set[tok] {
					t.Errorf("duplicate token %q", tok)
				}
				set[tok] = true
			}
			for _, tok := range tc.mustHave {
				if !set[tok] {
					t.Errorf("missing %q", tok)
				}
			}
			for _, tok := range tc.mustNot {
				if set[tok] {
					t.Errorf("unexpected %q", tok)
				}
			}
			if diff := cmp.Diff(got, term.SearchCodes(tc.group)); diff != "" {
				t.Errorf("order not deterministic (-first +second):\n%s", diff)
			}
		})
	}
}

func TestClassifyCondition(t *testing.T) {
	term := testTerminology(t)
	const (
		sct   = SystemSNOMED
		icd   = SystemICD10
		icdCM = SystemICD10CM
		icpc  = SystemICPC2
		icpNL = SystemICPC1NL
	)
	fx, excl, vert, hip, mtx, op := rules.ConceptFracture, rules.ConceptFractureExcluded, rules.ConceptVertebralFracture, rules.ConceptHipFracture, rules.ConceptMTXTypicalSite, rules.ConceptOsteoporosis
	tests := []struct {
		name string
		cc   *r4.CodeableConcept
		want conditionMatch
		ok   bool
	}{
		{"SNOMED tibia fracture is MTX-typical", r4Concept(sct, "31978002"), conditionMatch{concepts: []rules.Concept{fx, mtx}, code: "SNOMED CT 31978002"}, true},
		{"SNOMED closed hip fracture", r4Concept(sct, "359817006"), conditionMatch{concepts: []rules.Concept{fx, hip}, code: "SNOMED CT 359817006"}, true},
		{"SNOMED closed vertebral fracture", r4Concept(sct, "42157000"), conditionMatch{concepts: []rules.Concept{fx, vert}, code: "SNOMED CT 42157000"}, true},
		{"SNOMED osteoporotic vertebral collapse", r4Concept(sct, "240198002"), conditionMatch{concepts: []rules.Concept{fx, vert, op}, code: "SNOMED CT 240198002"}, true},
		{"SNOMED osteoporotic pathological fracture stays included", r4Concept(sct, "443165006"), conditionMatch{concepts: []rules.Concept{fx, op}, code: "SNOMED CT 443165006"}, true},
		{"SNOMED fracture in neoplastic disease is excluded", r4Concept(sct, "203449003"), conditionMatch{concepts: []rules.Concept{excl}, code: "SNOMED CT 203449003"}, true},
		{"SNOMED metacarpal fracture", r4Concept(sct, "208393000"), conditionMatch{concepts: []rules.Concept{fx, mtx}, code: "SNOMED CT 208393000"}, true},
		{"SNOMED osteoporosis", r4Concept(sct, "64859006"), conditionMatch{concepts: []rules.Concept{op}, code: "SNOMED CT 64859006"}, true},
		{"SNOMED bone pain", r4Concept(sct, "12584003"), conditionMatch{concepts: []rules.Concept{rules.ConceptBonePain}, code: "SNOMED CT 12584003"}, true},
		{"SNOMED generic fracture of bone is low confidence", r4Concept(sct, "125605004"), conditionMatch{concepts: []rules.Concept{fx}, code: "SNOMED CT 125605004", lowConfidence: true}, true},
		{"SNOMED unknown code", r4Concept(sct, "38341003"), conditionMatch{}, false},
		{"ICD-10 hip S72.0 with dot", r4Concept(icd, "S72.0"), conditionMatch{concepts: []rules.Concept{fx, hip}, code: "ICD-10 S72.0"}, true},
		{"ICD-10-CM hip with 7th character and no dot", r4Concept(icdCM, "S72001A"), conditionMatch{concepts: []rules.Concept{fx, hip}, code: "ICD-10-CM S72001A"}, true},
		{"ICD-10 distal radius S52.5", r4Concept(icd, "S52.5"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICD-10 S52.5"}, true},
		{"ICD-10 thoracic vertebra S22.0", r4Concept(icd, "S22.0"), conditionMatch{concepts: []rules.Concept{fx, vert}, code: "ICD-10 S22.0"}, true},
		{"ICD-10 rib S22.3", r4Concept(icd, "S22.3"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICD-10 S22.3"}, true},
		{"ICD-10 flail chest S22.5 is ribs", r4Concept(icd, "S22.5"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICD-10 S22.5"}, true},
		{"ICD-10 WHO S22.1 multiple thoracic spine", r4Concept(icd, "S22.1"), conditionMatch{concepts: []rules.Concept{fx, vert}, code: "ICD-10 S22.1"}, true},
		{"ICD-10 three-character S72 is a fracture", r4Concept(icd, "S72"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICD-10 S72"}, true},
		{"ICD-10 three-character S62 may be a finger", r4Concept(icd, "S62"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICD-10 S62", lowConfidence: true}, true},
		{"ICD-10 non-fracture code", r4Concept(icd, "J45.9"), conditionMatch{}, false},
		{"ICD-10 lumbar vertebra S32.0", r4Concept(icd, "S32.0"), conditionMatch{concepts: []rules.Concept{fx, vert}, code: "ICD-10 S32.0"}, true},
		{"ICD-10 pelvis S32.8", r4Concept(icd, "S32.8"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICD-10 S32.8"}, true},
		{"ICD-10 skull S02 excluded", r4Concept(icd, "S02.1"), conditionMatch{concepts: []rules.Concept{excl}, code: "ICD-10 S02.1"}, true},
		{"ICD-10 cervical spine S12 excluded", r4Concept(icd, "S12.0"), conditionMatch{concepts: []rules.Concept{excl}, code: "ICD-10 S12.0"}, true},
		{"ICD-10 metacarpal S62.3 included", r4Concept(icd, "S62.3"), conditionMatch{concepts: []rules.Concept{fx, mtx}, code: "ICD-10 S62.3"}, true},
		{"ICD-10 finger S62.6 excluded", r4Concept(icd, "S62.6"), conditionMatch{concepts: []rules.Concept{excl}, code: "ICD-10 S62.6"}, true},
		{"ICD-10 thumb S62.5 excluded", r4Concept(icd, "S62.5"), conditionMatch{concepts: []rules.Concept{excl}, code: "ICD-10 S62.5"}, true},
		{"ICD-10 metatarsal S92.3", r4Concept(icd, "S92.3"), conditionMatch{concepts: []rules.Concept{fx, mtx}, code: "ICD-10 S92.3"}, true},
		{"ICD-10 toe S92.4 excluded", r4Concept(icd, "S92.4"), conditionMatch{concepts: []rules.Concept{excl}, code: "ICD-10 S92.4"}, true},
		{"ICD-10 tibia shaft S82.2", r4Concept(icd, "S82.2"), conditionMatch{concepts: []rules.Concept{fx, mtx}, code: "ICD-10 S82.2"}, true},
		{"ICD-10 fibula alone S82.4 not MTX-typical", r4Concept(icd, "S82.4"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICD-10 S82.4"}, true},
		{"ICD-10 M80 osteoporotic fracture", r4Concept(icd, "M80.0"), conditionMatch{concepts: []rules.Concept{fx, op}, code: "ICD-10 M80.0"}, true},
		{"ICD-10 WHO M80.08 is other site, not vertebral", r4Concept(icd, "M80.08"), conditionMatch{concepts: []rules.Concept{fx, op}, code: "ICD-10 M80.08"}, true},
		{"ICD-10-CM M80.08XA is vertebral", r4Concept(icdCM, "M80.08XA"), conditionMatch{concepts: []rules.Concept{fx, vert, op}, code: "ICD-10-CM M80.08XA"}, true},
		{"ICD-10-CM M80.88XA is vertebral", r4Concept(icdCM, "M80.88XA"), conditionMatch{concepts: []rules.Concept{fx, vert, op}, code: "ICD-10-CM M80.88XA"}, true},
		{"ICD-10 M81 osteoporosis", r4Concept(icd, "M81.0"), conditionMatch{concepts: []rules.Concept{op}, code: "ICD-10 M81.0"}, true},
		{"ICD-10 collapsed vertebra M48.5", r4Concept(icd, "M48.5"), conditionMatch{concepts: []rules.Concept{fx, vert}, code: "ICD-10 M48.5"}, true},
		{"ICD-10-CM stress fracture M84.3", r4Concept(icdCM, "M84.331A"), conditionMatch{concepts: []rules.Concept{fx, rules.ConceptStressFracture}, code: "ICD-10-CM M84.331A"}, true},
		{"ICD-10-CM neoplastic fracture M84.5 excluded", r4Concept(icdCM, "M84.50XA"), conditionMatch{concepts: []rules.Concept{excl}, code: "ICD-10-CM M84.50XA"}, true},
		{"ICD-10 lower case is normalised", r4Concept(icd, "s72.1"), conditionMatch{concepts: []rules.Concept{fx, hip}, code: "ICD-10 s72.1"}, true},
		{"ICPC-2 L72 radius", r4Concept(icpc, "L72"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICPC-2 L72"}, true},
		{"ICPC-1-NL L73 tibia/fibula", r4Concept(icpNL, "L73"), conditionMatch{concepts: []rules.Concept{fx, mtx}, code: "ICPC-1-NL L73"}, true},
		{"ICPC L74 hand/foot is low confidence", r4Concept(icpNL, "L74"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICPC-1-NL L74", lowConfidence: true}, true},
		{"ICPC L74 with a metacarpal ICD code is sure", r4Concept(icpNL, "L74", icd, "S62.3"), conditionMatch{concepts: []rules.Concept{fx, mtx}, code: "ICPC-1-NL L74"}, true},
		{"ICPC L74 with a finger ICD code is excluded", r4Concept(icpNL, "L74", icd, "S62.6"), conditionMatch{concepts: []rules.Concept{fx, excl}, code: "ICPC-1-NL L74"}, true},
		{"ICPC L75 femur", r4Concept(icpc, "L75"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICPC-2 L75"}, true},
		{"ICPC L76 alone is not vertebral", r4Concept(icpNL, "L76"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICPC-1-NL L76"}, true},
		{"ICPC L76 with a vertebral SNOMED coding is vertebral", r4Concept(icpNL, "L76", sct, "42157000"), conditionMatch{concepts: []rules.Concept{fx, vert}, code: "ICPC-1-NL L76"}, true},
		{"ICPC L76 with a rib ICD coding stays non-vertebral", r4Concept(icpNL, "L76", icd, "S22.3"), conditionMatch{concepts: []rules.Concept{fx}, code: "ICPC-1-NL L76"}, true},
		{"ICPC-1-NL sub-code belongs to its rubric", r4Concept(icpNL, "L95.01"), conditionMatch{concepts: []rules.Concept{op}, code: "ICPC-1-NL L95.01"}, true},
		{"ICPC-1-NL FHIR alias URI", r4Concept("http://hl7.org/fhir/sid/icpc-1-nl", "L95"), conditionMatch{concepts: []rules.Concept{op}, code: "ICPC-1-NL L95"}, true},
		{"ICPC T86 hypothyroidism", r4Concept(icpc, "T86"), conditionMatch{concepts: []rules.Concept{rules.ConceptHypothyroidism}, code: "ICPC-2 T86"}, true},
		{"ICD code under the SNOMED system does not match", r4Concept(sct, "S72.0"), conditionMatch{}, false},
		{"unknown coding first, known second: display is the known one", r4Concept("urn:x", "1", sct, "5913000"), conditionMatch{concepts: []rules.Concept{fx, hip}, code: "SNOMED CT 5913000"}, true},
		{"local problem code", r4Concept("urn:local:problems", "VFA2"), conditionMatch{concepts: []rules.Concept{fx, vert}, code: "urn:local:problems VFA2"}, true},
		{"SNOMED code with spaces: display shows it trimmed", r4Concept(sct, " 5913000 "), conditionMatch{concepts: []rules.Concept{fx, hip}, code: "SNOMED CT 5913000"}, true},
		{"hip fracture coded twice: concepts once", r4Concept(icd, "S72.0", sct, "5913000", sct, "71620000"), conditionMatch{concepts: []rules.Concept{fx, hip}, code: "ICD-10 S72.0"}, true},
		{"nil code", nil, conditionMatch{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := term.classifyCondition(liteCodings(tc.cc))
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(conditionMatch{})); diff != "" {
				t.Errorf("classifyCondition (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClassifyLab(t *testing.T) {
	term := testTerminology(t)
	tests := []struct {
		name string
		cc   *r4.CodeableConcept
		want labMatch
		ok   bool
	}{
		{"eGFR CKD-EPI 2021", r4Concept(SystemLOINC, "98979-8"), labMatch{rules.AnalyteEGFR, "LOINC 98979-8"}, true},
		{"Cockcroft-Gault CrCl is its own analyte", r4Concept(SystemLOINC, "35591-7"), labMatch{rules.AnalyteCrClCockcroftGault, "LOINC 35591-7"}, true},
		{"vitamin D D3 moles", r4Concept(SystemLOINC, "14635-7"), labMatch{rules.AnalyteVitaminD, "LOINC 14635-7"}, true},
		{"corrected calcium", r4Concept(SystemLOINC, "29265-6"), labMatch{rules.AnalyteCalciumCorrected, "LOINC 29265-6"}, true},
		{"testosterone", r4Concept(SystemLOINC, "2986-8"), labMatch{rules.AnalyteTestosterone, "LOINC 2986-8"}, true},
		{"ionised calcium is not total calcium", r4Concept(SystemLOINC, "1995-0"), labMatch{}, false},
		{"bone ALP is not total ALP", r4Concept(SystemLOINC, "1777-2"), labMatch{}, false},
		{"local NHG-45 25-OH-D code", r4Concept(SystemNHGTab45, "VITD0001"), labMatch{rules.AnalyteVitaminD, "NHG-45 VITD0001"}, true},
		{"local code next to an unknown LOINC", r4Concept(SystemLOINC, "0000-0", SystemNHGTab45, "VITD0001"), labMatch{rules.AnalyteVitaminD, "NHG-45 VITD0001"}, true},
		{"DXA code is not a lab", r4Concept(SystemLOINC, "38267-1"), labMatch{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := term.classifyLab(liteCodings(tc.cc))
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(labMatch{})); diff != "" {
				t.Errorf("classifyLab (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClassifyDXA(t *testing.T) {
	term := testTerminology(t)
	neck := r4Concept(SystemSNOMED, sctNeckOfFemur)
	hipRegion := r4Concept(SystemSNOMED, sctHipRegion)
	femurBone := r4Concept(SystemSNOMED, "71341001")
	neckLeft := r4Concept(SystemSNOMED, sctNeckOfFemur, SystemSNOMED, sctLeft)
	tests := []struct {
		name     string
		cc       *r4.CodeableConcept
		bodySite *r4.CodeableConcept
		want     dxaMatch
		ok       bool
	}{
		{"lumbar spine T-score", r4Concept(SystemLOINC, "38267-1"), nil, dxaMatch{rules.SiteLumbarSpine, rules.TScore, "", "LOINC 38267-1"}, true},
		{"total hip T-score", r4Concept(SystemLOINC, "38264-8"), nil, dxaMatch{rules.SiteTotalHip, rules.TScore, "", "LOINC 38264-8"}, true},
		{"hip right T-score carries laterality", r4Concept(SystemLOINC, "80945-9"), nil, dxaMatch{rules.SiteTotalHip, rules.TScore, "right", "LOINC 80945-9"}, true},
		{"hip left BMD", r4Concept(SystemLOINC, "46278-8"), nil, dxaMatch{rules.SiteTotalHip, rules.BMD, "left", "LOINC 46278-8"}, true},
		{"hip code with neck bodySite is femoral neck", r4Concept(SystemLOINC, "38264-8"), neck, dxaMatch{rules.SiteFemoralNeck, rules.TScore, "", "LOINC 38264-8"}, true},
		{"femur T-score with neck bodySite is femoral neck", r4Concept(SystemLOINC, "38263-0"), neck, dxaMatch{rules.SiteFemoralNeck, rules.TScore, "", "LOINC 38263-0"}, true},
		{"femur left T-score with neck bodySite", r4Concept(SystemLOINC, "80948-3"), neck, dxaMatch{rules.SiteFemoralNeck, rules.TScore, "left", "LOINC 80948-3"}, true},
		{"femur T-score with hip-region bodySite is total hip", r4Concept(SystemLOINC, "38263-0"), hipRegion, dxaMatch{rules.SiteTotalHip, rules.TScore, "", "LOINC 38263-0"}, true},
		{"femur T-score without bodySite has no site", r4Concept(SystemLOINC, "38263-0"), nil, dxaMatch{"", rules.TScore, "", "LOINC 38263-0"}, true},
		{"femur BMD with femur-bone bodySite has no site", r4Concept(SystemLOINC, "24701-5"), femurBone, dxaMatch{"", rules.BMD, "", "LOINC 24701-5"}, true},
		{"femur Z-score with laterality qualifier in bodySite", r4Concept(SystemLOINC, "80934-3"), neckLeft, dxaMatch{rules.SiteFemoralNeck, rules.ZScore, "left", "LOINC 80934-3"}, true},
		{"forearm (Synthea's 38265-5) is radius and ulna", r4Concept(SystemLOINC, "38265-5"), nil, dxaMatch{rules.SiteForearm, rules.TScore, "", "LOINC 38265-5"}, true},
		{"spine code ignores a contradicting bodySite", r4Concept(SystemLOINC, "38267-1"), neck, dxaMatch{rules.SiteLumbarSpine, rules.TScore, "", "LOINC 38267-1"}, true},
		{"calcaneus is other", r4Concept(SystemLOINC, "38266-3"), nil, dxaMatch{rules.SiteOther, rules.TScore, "", "LOINC 38266-3"}, true},
		{"unspecified bone BMD takes the bodySite", r4Concept(SystemLOINC, "46383-6"), r4Concept(SystemSNOMED, sctLumbarSpine), dxaMatch{rules.SiteLumbarSpine, rules.BMD, "", "LOINC 46383-6"}, true},
		{"unspecified bone BMD without bodySite has no site", r4Concept(SystemLOINC, "46383-6"), nil, dxaMatch{"", rules.BMD, "", "LOINC 46383-6"}, true},
		{"local DXA code", r4Concept("urn:local:dxa", "NECK-T"), nil, dxaMatch{rules.SiteFemoralNeck, rules.TScore, "", "urn:local:dxa NECK-T"}, true},
		{"order code is not a result", r4Concept(SystemLOINC, "38268-9"), nil, dxaMatch{}, false},
		{"lab code is not DXA", r4Concept(SystemLOINC, "98979-8"), nil, dxaMatch{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := term.classifyDXA(liteCodings(tc.cc), liteCodings(tc.bodySite))
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(dxaMatch{})); diff != "" {
				t.Errorf("classifyDXA (-want +got):\n%s", diff)
			}
		})
	}
}

// The S6 patient (SEED-GP Casus 4) has "hernia diafragmatica": every code
// system must carry it to oral-bisphosphonate-gi-caution (rules.md R25).
func TestOesophagealConditionsForGICaution(t *testing.T) {
	tests := []struct {
		system, code string
		want         rules.Concept
	}{
		{SystemSNOMED, "84089009", rules.ConceptHiatalHernia},
		{SystemICD10, "K44.9", rules.ConceptHiatalHernia},
		{SystemICD10CM, "K21.9", rules.ConceptHiatalHernia},
		{SystemICPC2, "D90", rules.ConceptHiatalHernia},
		{SystemICPC1NL, "D90", rules.ConceptHiatalHernia},
		{SystemSNOMED, "45564002", rules.ConceptOesophagealDisorder},
		{SystemICD10, "K22.2", rules.ConceptOesophagealDisorder},
		{SystemICD10, "K22.7", rules.ConceptOesophagealDisorder},
	}
	term := DefaultTerminology()
	for _, tt := range tests {
		m, ok := term.codingMeaningOf(tt.system, tt.code)
		if !ok || len(m.concepts) != 1 || m.concepts[0] != tt.want {
			t.Errorf("%s|%s = %+v (%v), want %s", tt.system, tt.code, m, ok, tt.want)
		}
	}
	if m, ok := term.codingMeaningOf(SystemICD10, "K22.1"); ok {
		t.Errorf("K22.1 (oesophageal ulcer) is not an R25 trigger, got %+v", m)
	}
}

// TestBuiltinDisplays checks the displays built once at start-up against
// codeDisplay, which builds them per coding.
func TestBuiltinDisplays(t *testing.T) {
	x := embedded()
	for code, lc := range x.labs {
		if want := codeDisplay(SystemLOINC, code); lc.display != want {
			t.Errorf("labs[%q].display = %q, want %q", code, lc.display, want)
		}
	}
	for code, d := range x.dxa {
		if want := codeDisplay(SystemLOINC, code); d.display != want {
			t.Errorf("dxa[%q].display = %q, want %q", code, d.display, want)
		}
	}
	for code, cm := range x.snomed {
		if want := codeDisplay(SystemSNOMED, code); cm.display != want {
			t.Errorf("snomed[%q].display = %q, want %q", code, cm.display, want)
		}
	}
}

func TestBodySites(t *testing.T) {
	tests := []struct {
		name       string
		codings    []coding
		laterality string
		has        []string
		hasNot     []string
	}{
		{"neck with left qualifier", []coding{{SystemSNOMED, sctNeckOfFemur}, {SystemSNOMED, sctLeft}}, "left", []string{sctNeckOfFemur}, []string{sctHipRegion, sctLeft, ""}},
		{"codes are trimmed", []coding{{" " + SystemSNOMED, sctHipRegion + " "}, {SystemSNOMED, " " + sctRight}}, "right", []string{sctHipRegion}, []string{sctRight}},
		{"other systems are not sites", []coding{{SystemLOINC, sctLumbarSpine}, {"", sctForearm}}, "", nil, []string{sctLumbarSpine, sctForearm}},
		{"empty code is no site", []coding{{SystemSNOMED, ""}}, "", nil, []string{""}},
		{"last laterality wins", []coding{{SystemSNOMED, sctRight}, {SystemSNOMED, sctLeft}}, "left", nil, []string{sctLeft, sctRight}},
		{"no bodySite", nil, "", nil, []string{sctNeckOfFemur}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bodySiteCodes(tc.codings)
			if b.laterality != tc.laterality {
				t.Errorf("laterality = %q, want %q", b.laterality, tc.laterality)
			}
			for _, c := range tc.has {
				if !b.has(c) {
					t.Errorf("has(%q) = false, want true", c)
				}
			}
			for _, c := range tc.hasNot {
				if b.has(c) {
					t.Errorf("has(%q) = true, want false", c)
				}
			}
		})
	}
}
