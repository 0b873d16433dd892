package fhir

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/rules"
)

// TestRxNormProducts: RxNorm products (SCD, SBD, combination packs) are
// recognised, by their code when a published value set lists them and
// otherwise by their RxNorm name; names that only contain an ingredient
// word elsewhere, and unknown products, are not.
func TestRxNormProducts(t *testing.T) {
	bpOralALN := []rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateOral, rules.DrugAlendronate}
	tests := []struct {
		name, code, display string
		wantOK              bool
		wantClasses         []rules.DrugClass
		wantName            string
		wantMg              float64
	}{
		{"alendronic acid 70 mg SCD by name", "904431", "Alendronic acid 70 MG Oral Tablet", true, bpOralALN, "alendronic acid", 70},
		{"alendronic acid 70 mg SBD by name", "904433", "Alendronic acid 70 MG Oral Tablet [Fosamax]", true, bpOralALN, "alendronic acid", 70},
		{"risedronate 35 mg by name", "905024", "risedronate sodium 35 MG Oral Tablet", true,
			[]rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateOral, rules.DrugRisedronate}, "risedronic acid", 35},
		{"methotrexate 2.5 mg by code alone (VSAC Chemotherapy for Advanced Cancer)", "105585", "", true,
			[]rules.DrugClass{rules.DrugMethotrexate}, "methotrexate", 2.5},
		{"prednisolone 5 mg by code alone (VSAC Glucocorticoids (oral only))", "198142", "", true,
			[]rules.DrugClass{rules.DrugGlucocorticoidSystemic}, "prednisolone", 5},
		{"prednisolone pack by code alone", "1005830", "", true,
			[]rules.DrugClass{rules.DrugGlucocorticoidSystemic}, "prednisolone", 5},
		{"alendronate + colecalciferol combination by name", "904492", "Alendronic acid 70 MG / Cholecalciferol 2800 UNT Oral Tablet", true,
			append(append([]rules.DrugClass(nil), bpOralALN...), rules.DrugVitaminD), "alendronic acid / colecalciferol", 70},
		{"ibandronic acid 150 mg: oral without a route", "904934", "ibandronic acid 150 MG Oral Tablet [Boniva]", true,
			[]rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateOral}, "ibandronic acid", 150},
		{"a statin calcium salt is not a calcium supplement", "617312", "atorvastatin calcium 10 MG Oral Tablet", false, nil, "", 0},
		{"methylprednisolone is not prednisolone", "259966", "", true,
			[]rules.DrugClass{rules.DrugGlucocorticoidSystemic}, "methylprednisolone", 4},
		{"prednisolone eye drops are a local glucocorticoid (dose form)", "313236", "prednisolone acetate 10 MG/ML Ophthalmic Suspension", true,
			[]rules.DrugClass{rules.DrugGlucocorticoidLocal}, "prednisolone", 0},
		{"triamcinolone oral paste is local", "1085728", "triamcinolone acetonide 0.001 MG/MG Oral Paste", true,
			[]rules.DrugClass{rules.DrugGlucocorticoidLocal}, "triamcinolone", 0.001},
		{"ibandronic acid prefilled syringe is an IV bisphosphonate", "904938", "3 ML ibandronic acid 1 MG/ML Prefilled Syringe", true,
			[]rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateIV}, "ibandronic acid", 0},
		{"an unknown product", "999999", "Paracetamol 500 MG Oral Tablet", false, nil, "", 0},
		{"an unknown code without a display", "904431", "", false, nil, "", 0},
	}
	term := DefaultTerminology()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			classes, name, _, mg, ok := term.classifyDrug(medCC(medCoding(SystemRxNorm, tt.code, tt.display)))
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v (classes %v)", ok, tt.wantOK, classes)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(tt.wantClasses, classes); diff != "" {
				t.Errorf("classes (-want +got):\n%s", diff)
			}
			if name != tt.wantName || mg != tt.wantMg {
				t.Errorf("name, mg = %q, %v, want %q, %v", name, mg, tt.wantName, tt.wantMg)
			}
		})
	}
}

// TestFractureConceptsPerSite: the SNOMED CT concepts EHRs send for a
// fracture site, from the published sources (Synthea's injuries module,
// VSAC), mean a fracture; the neoplastic ones from the same sources are
// excluded.
func TestFractureConceptsPerSite(t *testing.T) {
	tests := []struct {
		code string
		want []rules.Concept
	}{
		{"33737001", []rules.Concept{cFx}},                                     // rib
		{"58150001", []rules.Concept{cFx}},                                     // clavicle
		{"263102004", []rules.Concept{cFx}},                                    // wrist fracture-subluxation
		{"1734006", []rules.Concept{cFx, rules.ConceptVertebralFracture}},      // vertebral column with cord injury
		{"15724005", []rules.Concept{cFx, rules.ConceptVertebralFracture}},     // vertebral column without
		{"79484004", []rules.Concept{cFx, rules.ConceptHipFracture}},           // closed transcervical fracture of femur (VSAC)
		{"11309801000119107", []rules.Concept{cFx, rules.ConceptOsteoporosis}}, // pathological femur fracture due to osteoporosis (VSAC)
		{"11309881000119104", []rules.Concept{cExcl}},                          // ... due to neoplastic disease
		{"409666003", []rules.Concept{cExcl}},                                  // pathological fracture of neck of femur, cause unstated
	}
	term := DefaultTerminology()
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			m, ok := term.classifyCondition([]coding{{System: SystemSNOMED, Code: tt.code}})
			if !ok {
				t.Fatal("not recognised")
			}
			if diff := cmp.Diff(tt.want, m.concepts); diff != "" {
				t.Errorf("concepts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEmbeddedValueSets: every embedded value set says what it means and
// has codes or a name pattern, and the published sources are named.
func TestEmbeddedValueSets(t *testing.T) {
	infos := DefaultTerminology().ValueSets()
	if len(infos) < 50 {
		t.Fatalf("%d value sets", len(infos))
	}
	sources := map[string]bool{}
	for _, vs := range infos {
		if vs.Codes == 0 {
			t.Errorf("%s has no codes", vs.ID)
		}
		if vs.Origin != "embedded" || !strings.HasPrefix(vs.URL, "https://fracturecds.org/fhir/ValueSet/") {
			t.Errorf("%s: origin %q, url %q", vs.ID, vs.Origin, vs.URL)
		}
		for _, s := range vs.Sources {
			sources[s] = true
		}
	}
	for _, want := range []string{
		"http://cts.nlm.nih.gov/fhir/ValueSet/2.16.840.1.113883.3.464.1003.196.12.1266|20180310",
		"http://cts.nlm.nih.gov/fhir/ValueSet/2.16.840.1.113883.3.464.1003.1230|20250128",
	} {
		if !sources[want] {
			t.Errorf("source %s not used", want)
		}
	}
}

func TestUnmappedCodes(t *testing.T) {
	u := NewUnmappedCodes(2)
	var labels []string
	u.OnUnmapped(func(l string) { labels = append(labels, l) })
	for i := 0; i < 3; i++ {
		u.record(UnmappedMedication, SystemRxNorm, "1", "drug one")
	}
	u.record(UnmappedMedication, SystemRxNorm, "2", "")
	u.record(UnmappedMedication, SystemRxNorm, "2", "drug two")
	// A full table: the least frequent ("2", count 2) makes way, and the
	// newcomer inherits its count.
	u.record(UnmappedMedication, "urn:local:x", "3", strings.Repeat("é", 200))
	u.record(UnmappedCondition, SystemSNOMED, "4", "")
	u.record(UnmappedCondition, SystemSNOMED, "", "no code: not counted")
	got := u.Top("", 0)
	want := []UnmappedCode{
		{Kind: UnmappedMedication, System: SystemRxNorm, Code: "1", Display: "drug one", Count: 3},
		{Kind: UnmappedMedication, System: "urn:local:x", Code: "3", Display: strings.Repeat("é", maxUnmappedDisplay), Count: 3},
		{Kind: UnmappedCondition, System: SystemSNOMED, Code: "4", Count: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Top (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"rxnorm", "rxnorm", "rxnorm", "rxnorm", "rxnorm", "other", "snomed-ct"}, labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if got := u.Top(UnmappedCondition, 5); len(got) != 1 || got[0].Code != "4" {
		t.Errorf("Top(condition) = %v", got)
	}
	var nilU *UnmappedCodes
	nilU.record(UnmappedMedication, "s", "c", "") // must not panic
}

// TestUnmappedCodesFromResources: the readers count what they could not
// classify, and only that.
func TestUnmappedCodesFromResources(t *testing.T) {
	term := DefaultTerminology()
	known := &condition{Code: &concept{Coding: []coding{{System: SystemSNOMED, Code: "33737001"}}}}
	unknown := &condition{Code: &concept{Coding: []coding{{System: SystemSNOMED, Code: "38341003"}}}}
	for i := 0; i < 2; i++ {
		conditionFacts(known, term)
		conditionFacts(unknown, term)
	}
	got := term.Unmapped().Top("", 0)
	want := []UnmappedCode{{Kind: UnmappedCondition, System: SystemSNOMED, Code: "38341003", Count: 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unmapped (-want +got):\n%s", diff)
	}
}

// BenchmarkRxNormByName is the cost of recognising a product by name (an
// RxNorm code in no expansion), paid per unknown RxNorm coding.
func BenchmarkRxNormByName(b *testing.B) {
	x := embedded()
	for i := 0; i < b.N; i++ {
		if _, ok := x.rxnormByName(fmt.Sprintf("Paracetamol %d MG Oral Tablet", i%3)); ok {
			b.Fatal("matched")
		}
	}
}
