package fhir

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

const testGStandaardPRK = "urn:oid:2.16.840.1.113883.2.4.4.10"

// medCoding builds a coding with an optional display.
func medCoding(system, code, display string) r4.Coding {
	c := r4.Coding{System: &system, Code: &code}
	if display != "" {
		c.Display = &display
	}
	return c
}

// medCC builds a CodeableConcept from codings.
func medCC(codings ...r4.Coding) *r4.CodeableConcept {
	return &r4.CodeableConcept{Coding: codings}
}

func medTerminology(t *testing.T) *Terminology {
	t.Helper()
	term, err := NewTerminology([]LocalCode{
		// A G-Standaard PRK for Prolia: the local code carries the strength.
		{System: testGStandaardPRK, Code: "99999", DrugClasses: []rules.DrugClass{rules.DrugDenosumab}, StrengthMg: 60, Name: "denosumab"},
	})
	if err != nil {
		t.Fatalf("NewTerminology: %v", err)
	}
	return term
}

func TestClassifyDrug(t *testing.T) {
	type result struct {
		Classes    []rules.DrugClass
		Name, Code string
		StrengthMg float64
		OK         bool
	}
	bpOral := func(extra ...rules.DrugClass) []rules.DrugClass {
		return append([]rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateOral}, extra...)
	}
	tests := []struct {
		name string
		cc   *r4.CodeableConcept
		want result
	}{
		{"alendronate by ATC M05BA04 is an oral bisphosphonate", medCC(medCoding(SystemATC, "M05BA04", "")),
			result{bpOral(rules.DrugAlendronate), "alendronic acid", "ATC M05BA04", 0, true}},
		{"risedronate by ATC M05BA07", medCC(medCoding(SystemATC, "M05BA07", "")),
			result{bpOral(rules.DrugRisedronate), "risedronic acid", "ATC M05BA07", 0, true}},
		{"Aclasta 5 mg by ATC M05BA08 is IV zoledronic acid with strength 5",
			medCC(medCoding(SystemATC, "M05BA08", "Aclasta 5 mg/100 ml infusievloeistof")),
			result{[]rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateIV, rules.DrugZoledronicAcid}, "zoledronic acid", "ATC M05BA08", 5, true}},
		{"Zometa 4 mg by ATC M05BA08 has strength 4",
			medCC(medCoding(SystemATC, "M05BA08", "Zometa 4 mg/5 ml concentraat")),
			result{[]rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateIV, rules.DrugZoledronicAcid}, "zoledronic acid", "ATC M05BA08", 4, true}},
		{"ibandronate without a route defaults to oral", medCC(medCoding(SystemATC, "M05BA06", "")),
			result{bpOral(), "ibandronic acid", "ATC M05BA06", 0, true}},
		{"alendronate with colecalciferol M05BB03 is also vitamin D", medCC(medCoding(SystemATC, "M05BB03", "")),
			result{bpOral(rules.DrugAlendronate, rules.DrugVitaminD), "alendronic acid and colecalciferol", "ATC M05BB03", 0, true}},
		{"risedronate, calcium and colecalciferol M05BB04", medCC(medCoding(SystemATC, "M05BB04", "")),
			result{bpOral(rules.DrugRisedronate, rules.DrugCalcium, rules.DrugVitaminD), "risedronic acid, calcium and colecalciferol", "ATC M05BB04", 0, true}},
		{"Prolia 60 mg by ATC M05BX04", medCC(medCoding(SystemATC, "M05BX04", "Prolia 60 mg oplossing voor injectie")),
			result{[]rules.DrugClass{rules.DrugDenosumab}, "denosumab", "ATC M05BX04", 60, true}},
		{"Xgeva 120 mg by ATC M05BX04", medCC(medCoding(SystemATC, "M05BX04", "Xgeva 120 mg/1,7 ml")),
			result{[]rules.DrugClass{rules.DrugDenosumab}, "denosumab", "ATC M05BX04", 120, true}},
		{"a per-mL concentration is not read as a strength", medCC(medCoding(SystemATC, "M05BX04", "XGEVA INJVLST 70MG/ML")),
			result{[]rules.DrugClass{rules.DrugDenosumab}, "denosumab", "ATC M05BX04", 0, true}},
		{"denosumab by RxNorm ingredient", medCC(medCoding(SystemRxNorm, "993449", "")),
			result{[]rules.DrugClass{rules.DrugDenosumab}, "denosumab", "RxNorm 993449", 0, true}},
		{"teriparatide H05AA02", medCC(medCoding(SystemATC, "H05AA02", "")),
			result{[]rules.DrugClass{rules.DrugTeriparatide}, "teriparatide", "ATC H05AA02", 0, true}},
		{"romosozumab M05BX06", medCC(medCoding(SystemATC, "M05BX06", "")),
			result{[]rules.DrugClass{rules.DrugRomosozumab}, "romosozumab", "ATC M05BX06", 0, true}},
		{"raloxifene G03XC01 is a SERM", medCC(medCoding(SystemATC, "G03XC01", "")),
			result{[]rules.DrugClass{rules.DrugSERM}, "raloxifene", "ATC G03XC01", 0, true}},
		{"bazedoxifene by RxNorm is a SERM", medCC(medCoding(SystemRxNorm, "1441386", "")),
			result{[]rules.DrugClass{rules.DrugSERM}, "bazedoxifene", "RxNorm 1441386", 0, true}},
		{"strontium ranelate M05BX03", medCC(medCoding(SystemATC, "M05BX03", "")),
			result{[]rules.DrugClass{rules.DrugStrontium}, "strontium ranelate", "ATC M05BX03", 0, true}},
		{"methotrexate immunosuppressant L04AX03", medCC(medCoding(SystemATC, "L04AX03", "")),
			result{[]rules.DrugClass{rules.DrugMethotrexate}, "methotrexate", "ATC L04AX03", 0, true}},
		{"methotrexate antineoplastic L01BA01", medCC(medCoding(SystemATC, "L01BA01", "")),
			result{[]rules.DrugClass{rules.DrugMethotrexate}, "methotrexate", "ATC L01BA01", 0, true}},
		{"methotrexate by RxNorm 6851", medCC(medCoding(SystemRxNorm, "6851", "")),
			result{[]rules.DrugClass{rules.DrugMethotrexate}, "methotrexate", "RxNorm 6851", 0, true}},
		{"oral prednisolone H02AB06 is a systemic glucocorticoid", medCC(medCoding(SystemATC, "H02AB06", "Prednisolon 5 mg tablet")),
			result{[]rules.DrugClass{rules.DrugGlucocorticoidSystemic}, "prednisolone", "ATC H02AB06", 5, true}},
		{"an unlisted H02AB member is systemic by prefix", medCC(medCoding(SystemATC, "H02AB03", "")),
			result{[]rules.DrugClass{rules.DrugGlucocorticoidSystemic}, "systemic glucocorticoid", "ATC H02AB03", 0, true}},
		{"prednisone 10 mg SCD from the VSAC oral list carries its strength", medCC(medCoding(SystemRxNorm, "198145", "")),
			result{[]rules.DrugClass{rules.DrugGlucocorticoidSystemic}, "prednisone", "RxNorm 198145", 10, true}},
		{"inhaled budesonide R03BA02 is a local glucocorticoid", medCC(medCoding(SystemATC, "R03BA02", "")),
			result{[]rules.DrugClass{rules.DrugGlucocorticoidLocal}, "budesonide", "ATC R03BA02", 0, true}},
		{"dermal corticosteroid D07AC01 is local", medCC(medCoding(SystemATC, "D07AC01", "")),
			result{[]rules.DrugClass{rules.DrugGlucocorticoidLocal}, "dermal glucocorticoid", "ATC D07AC01", 0, true}},
		{"NSAID eye drops S01BC03 are not a glucocorticoid", medCC(medCoding(SystemATC, "S01BC03", "")), result{}},
		{"anastrozole L02BG03 is an aromatase inhibitor", medCC(medCoding(SystemATC, "L02BG03", "")),
			result{[]rules.DrugClass{rules.DrugAromataseInhibitor}, "anastrozole", "ATC L02BG03", 0, true}},
		{"letrozole 2.5 mg SCD from the VSAC list", medCC(medCoding(SystemRxNorm, "200064", "")),
			result{[]rules.DrugClass{rules.DrugAromataseInhibitor}, "letrozole", "RxNorm 200064", 2.5, true}},
		{"pioglitazone A10BG03 is a thiazolidinedione", medCC(medCoding(SystemATC, "A10BG03", "")),
			result{[]rules.DrugClass{rules.DrugThiazolidinedione}, "pioglitazone", "ATC A10BG03", 0, true}},
		{"phenobarbital N03AA02 is a barbiturate, not an other antiepileptic", medCC(medCoding(SystemATC, "N03AA02", "")),
			result{[]rules.DrugClass{rules.DrugBarbiturate}, "phenobarbital", "ATC N03AA02", 0, true}},
		{"hypnotic barbiturate N05CA01", medCC(medCoding(SystemATC, "N05CA01", "")),
			result{[]rules.DrugClass{rules.DrugBarbiturate}, "barbiturate", "ATC N05CA01", 0, true}},
		{"oxazepam N05BA04 is a benzodiazepine", medCC(medCoding(SystemATC, "N05BA04", "")),
			result{[]rules.DrugClass{rules.DrugBenzodiazepine}, "benzodiazepine", "ATC N05BA04", 0, true}},
		{"temazepam N05CD07 is a benzodiazepine", medCC(medCoding(SystemATC, "N05CD07", "")),
			result{[]rules.DrugClass{rules.DrugBenzodiazepine}, "benzodiazepine", "ATC N05CD07", 0, true}},
		{"carbamazepine N03AF01 is an other antiepileptic", medCC(medCoding(SystemATC, "N03AF01", "")),
			result{[]rules.DrugClass{rules.DrugAntiepileptic}, "antiepileptic", "ATC N03AF01", 0, true}},
		{"valproate by RxNorm is an antiepileptic", medCC(medCoding(SystemRxNorm, "40254", "")),
			result{[]rules.DrugClass{rules.DrugAntiepileptic}, "valproate", "RxNorm 40254", 0, true}},
		{"pantoprazole A02BC02 is a PPI", medCC(medCoding(SystemATC, "A02BC02", "")),
			result{[]rules.DrugClass{rules.DrugPPI}, "pantoprazole", "ATC A02BC02", 0, true}},
		{"calcium carbonate A12AA04", medCC(medCoding(SystemATC, "A12AA04", "")),
			result{[]rules.DrugClass{rules.DrugCalcium}, "calcium carbonate", "ATC A12AA04", 0, true}},
		{"calcium with vitamin D A12AX", medCC(medCoding(SystemATC, "A12AX", "")),
			result{[]rules.DrugClass{rules.DrugCalcium, rules.DrugVitaminD}, "calcium and colecalciferol", "ATC A12AX", 0, true}},
		{"colecalciferol A11CC05", medCC(medCoding(SystemATC, "A11CC05", "")),
			result{[]rules.DrugClass{rules.DrugVitaminD}, "colecalciferol", "ATC A11CC05", 0, true}},
		{"alfacalcidol A11CC03", medCC(medCoding(SystemATC, "A11CC03", "")),
			result{[]rules.DrugClass{rules.DrugVitaminD}, "alfacalcidol", "ATC A11CC03", 0, true}},
		{"levothyroxine H03AA01", medCC(medCoding(SystemATC, "H03AA01", "")),
			result{[]rules.DrugClass{rules.DrugLevothyroxine}, "levothyroxine", "ATC H03AA01", 0, true}},
		{"alendronate by RxNorm 46041", medCC(medCoding(SystemRxNorm, "46041", "")),
			result{bpOral(rules.DrugAlendronate), "alendronic acid", "RxNorm 46041", 0, true}},
		{"zoledronic acid by RxNorm 77655", medCC(medCoding(SystemRxNorm, "77655", "")),
			result{[]rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateIV, rules.DrugZoledronicAcid}, "zoledronic acid", "RxNorm 77655", 0, true}},
		{"a lower-case ATC code still matches", medCC(medCoding(SystemATC, "m05ba04", "")),
			result{bpOral(rules.DrugAlendronate), "alendronic acid", "ATC M05BA04", 0, true}},
		{"a local G-Standaard code wins over ATC and brings its strength",
			medCC(medCoding(SystemATC, "M05BX04", ""), medCoding(testGStandaardPRK, "99999", "")),
			result{[]rules.DrugClass{rules.DrugDenosumab}, "denosumab", "G-Standaard PRK 99999", 60, true}},
		{"an unconfigured G-Standaard code falls back to the ATC coding",
			medCC(medCoding(testGStandaardPRK, "12345", ""), medCoding(SystemATC, "M05BA04", "")),
			result{bpOral(rules.DrugAlendronate), "alendronic acid", "ATC M05BA04", 0, true}},
		{"paracetamol N02BE01 is irrelevant", medCC(medCoding(SystemATC, "N02BE01", "")), result{}},
		{"an RxNorm code from the UNVERIFIED memory list is not matched", medCC(medCoding(SystemRxNorm, "19831", "")), result{}},
		{"a code in the wrong system is not matched", medCC(medCoding(SystemSNOMED, "M05BA04", "")), result{}},
		{"free text only is not classified", &r4.CodeableConcept{Text: strPtr("alendroninezuur 70 mg")}, result{}},
		{"nil concept", nil, result{}},
	}
	term := medTerminology(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got result
			got.Classes, got.Name, got.Code, got.StrengthMg, got.OK = term.classifyDrug(tt.cc)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("classifyDrug mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// displayMgOracle is the regular expression parseDisplayMg used before it
// became a hand-written scanner (the expression cost about 4% of handler
// CPU). It stays here as the reference: the table below holds its actual
// outputs, and FuzzParseDisplayMg compares the scanner with it.
var displayMgOracle = regexp.MustCompile(`(?i)(\d+(?:[.,]\d+)?)\s*mg\b(\s*/\s*(\d+(?:[.,]\d+)?)?\s*ml)?`)

// parseDisplayMgRegexp is the former parseDisplayMg, verbatim.
func parseDisplayMgRegexp(s string) float64 {
	for _, m := range displayMgOracle.FindAllStringSubmatch(s, -1) {
		if m[2] != "" && m[3] == "" {
			continue // "NN mg/ml": a concentration, not a strength per unit
		}
		v, err := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
		if err == nil && v > 0 {
			return v
		}
	}
	return 0
}

// parseDisplayMgCases are the regular expression's actual outputs
// (displayMgOracle), including the odd ones, which the scanner keeps: see
// the comments.
var parseDisplayMgCases = []struct {
	display string
	want    float64
}{
	{"Prolia 60 mg oplossing voor injectie", 60},
	{"XGEVA 120MG/1,7ML", 120},
	{"XGEVA INJVLST 70MG/ML FLACON 1,7ML", 0},
	{"Aclasta 5 mg/100 ml", 5},
	{"letrozol 2,5 mg tablet", 2.5},
	{"colecalciferol 800 IE", 0},
	{"", 0},
	// Case and spacing.
	{"ALENDRONINEZUUR 70 MG", 70},
	{"70 Mg", 70},
	{"70 mG", 70},
	{"70mg", 70},
	{"7,5 MG", 7.5},
	{"60  mg", 60},
	{"60\tmg", 60},
	{"60\r\nmg", 60},
	{"60\fmg", 60},
	{"60\vmg", 0},     // \s is [\t\n\f\r ]: no vertical tab
	{"60\u00a0mg", 0}, // nor a no-break space
	{"１２ mg", 0},      // \d is ASCII only
	{"١٢ mg", 0},
	// Decimals.
	{"0,5 mg", 0.5},
	{"0.5 mg", 0.5},
	{"1.mg", 0},
	{"5. mg", 0},
	{"5,mg", 0},
	{".5 mg", 5},
	{"1. 5 mg", 5},
	{"1.2.5 mg", 2.5},   // the match starts at the second number
	{"12,34,5mg", 34.5}, // likewise
	{"1.000 mg", 1},     // a Dutch thousands separator reads as a decimal point
	{"calcium 1.000 mg / vitamine D 800 IE", 1},
	// Concentrations are skipped, container forms kept.
	{"2.5 mg/ml", 0},
	{"2,5mg/ml", 0},
	{"5 mg/ ml", 0},
	{"5 mg /ml", 0},
	{"5 mg/mL", 0},
	{"5 MG/ML", 0},
	{"5 mg/mlx", 0}, // no word boundary is required after ml
	{"4 mg/5 ml", 4},
	{"4mg/5ml", 4},
	{"5 mg / 100 ml", 5},
	{"5 mg /100ml", 5},
	{"5 mg/ 5 ml", 5},
	{"5 mg/5,5ml", 5},
	{"120 mg/1.7 ml", 120},
	{"120 mg/1,7 ml", 120},
	{"5 mg/5", 5},
	{"5 mg/5 g", 5},
	{"5 mg/5.ml", 5},
	{"5 mg//ml", 5},
	{"5 mg/kg", 5},
	{"5 mg/l", 5},
	{"5 mg/dl", 5},
	{"5 mg per ml", 5}, // only "/" marks a concentration
	// The first dose that is not a concentration wins.
	{"70 mg/ml, 120 mg/1,7 ml", 120},
	{"70 mg/ml 120 mg", 120},
	{"70 mg/ml120 mg", 120},
	{"3 mg/ml4 mg", 4},
	{"3 mg/4 ml5 mg", 3},
	{"0,0 mg/ml 3 mg", 3},
	{"0 mg", 0},
	{"0 mg 5 mg", 5},
	{"0 mg/5 ml 3 mg", 3},
	{"5mg5mg", 5}, // the first has no word boundary after mg
	{"10 mg mg", 10},
	{"10mgmg", 0},
	{strings.Repeat("9", 400) + " mg 7 mg", 7}, // out of float64 range: skipped
	{"2 x 10 mg", 10},
	{"10-20 mg", 20},
	{"1e3 mg", 3},
	{"0x10 mg", 10},
	{"abc12mg", 12},
	{"x2.5mg", 2.5},
	// Word boundary after mg.
	{"10 mgx", 0},
	{"10 mg_", 0},
	{"10 mg1", 0},
	{"10 mg-tablet", 10},
	{"10 mg.", 10},
	{"10 mg,", 10},
	{"70 mgé", 70}, // a non-ASCII letter is not a word character for \b
	{"ácido 70 mgé", 70},
	{"alendroninezuur 70 mg tablet", 70},
	{"alendroninezuur 70 mg tablét", 70},
	// Not mg.
	{"mg", 0},
	{"mg 60", 0},
	{"10 mcg", 0},
	{"10 MCG", 0},
	{"10 µg", 0},
	{"Ergocalciferol 50.000 IE", 0},
	// Invalid UTF-8.
	{"\xff5 mg", 5},
	{"5 mg\xff", 5},
	{"5 m\xffg", 0},
}

func TestParseDisplayMg(t *testing.T) {
	for _, tt := range parseDisplayMgCases {
		t.Run(tt.display, func(t *testing.T) {
			if got := parseDisplayMgRegexp(tt.display); got != tt.want {
				t.Errorf("oracle parseDisplayMgRegexp(%q) = %v, want %v", tt.display, got, tt.want)
			}
			if got := parseDisplayMg(tt.display); got != tt.want {
				t.Errorf("parseDisplayMg(%q) = %v, want %v", tt.display, got, tt.want)
			}
		})
	}
}

// TestParseDisplayMgMatchesRegexp compares the scanner with the regular
// expression on random strings built from the tokens that matter (digits,
// separators, \s and not-\s spaces, m/g/l in both cases, "/", word and
// non-ASCII bytes), which plain fuzzing reaches only slowly.
func TestParseDisplayMgMatchesRegexp(t *testing.T) {
	toks := []string{"0", "1", "5", "9", ".", ",", " ", "\t", "\v", "m", "M", "g", "G", "l", "L",
		"/", "x", "_", "é", "\xff", "mg", "ml", "MG", "ML", "mg/", "/ml", "mcg"}
	r := rand.New(rand.NewPCG(1, 2))
	var b []byte
	for range 20000 {
		b = b[:0]
		for k := r.IntN(16); k > 0; k-- {
			b = append(b, toks[r.IntN(len(toks))]...)
		}
		s := string(b)
		if got, want := parseDisplayMg(s), parseDisplayMgRegexp(s); got != want {
			t.Fatalf("parseDisplayMg(%q) = %v, regexp gives %v", s, got, want)
		}
	}
}

// FuzzParseDisplayMg checks the scanner against the regular expression it
// replaced.
func FuzzParseDisplayMg(f *testing.F) {
	for _, tt := range parseDisplayMgCases {
		f.Add(tt.display)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := parseDisplayMg(s), parseDisplayMgRegexp(s)
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("parseDisplayMg(%q) = %v, regexp gives %v", s, got, want)
		}
	})
}

func TestRouteOfAndApplyRoute(t *testing.T) {
	prednisolone, _ := embedded().lookupATC("H02AB06")
	budesonide, _ := embedded().lookupATC("R03BA02")
	ibandronate, _ := embedded().lookupATC("M05BA06")
	tests := []struct {
		name  string
		entry drugEntry
		route *r4.CodeableConcept
		want  []rules.DrugClass
		wantR string
	}{
		{"H02AB prednisolone given orally (SNOMED) stays systemic", prednisolone,
			medCC(medCoding(SystemSNOMED, "26643006", "")), []rules.DrugClass{rules.DrugGlucocorticoidSystemic}, "oral"},
		{"H02AB given by inhalation (EDQM) is local", prednisolone,
			medCC(medCoding(SystemEDQM, "20020000", "")), []rules.DrugClass{rules.DrugGlucocorticoidLocal}, "inhalation"},
		{"H02AB given topically (Dutch text) is local", prednisolone,
			&r4.CodeableConcept{Text: strPtr("Cutaan")}, []rules.DrugClass{rules.DrugGlucocorticoidLocal}, "topical"},
		{"R03BA budesonide stays local even when the route says oral", budesonide,
			medCC(medCoding(SystemSNOMED, "26643006", "")), []rules.DrugClass{rules.DrugGlucocorticoidLocal}, "oral"},
		{"ibandronate given intravenously is an IV bisphosphonate", ibandronate,
			medCC(medCoding(SystemEDQMOID, "20045000", "")), []rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateIV}, "intravenous"},
		{"ibandronate with abbreviation p.o. is oral", ibandronate,
			&r4.CodeableConcept{Text: strPtr("p.o.")}, []rules.DrugClass{rules.DrugBisphosphonate, rules.DrugBisphosphonateOral}, "oral"},
		{"an unknown route leaves the code's classes", prednisolone,
			medCC(medCoding("urn:local:route", "X", "")), []rules.DrugClass{rules.DrugGlucocorticoidSystemic}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := routeOf(tt.route)
			if r != tt.wantR {
				t.Errorf("routeOf = %q, want %q", r, tt.wantR)
			}
			if diff := cmp.Diff(tt.want, applyRoute(tt.entry, r)); diff != "" {
				t.Errorf("applyRoute mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func strPtr(s string) *string { return &s }

// TestDutchDrugNames: every drug code of the value sets has an English and
// a Dutch name, and a matched record carries them.
func TestDutchDrugNames(t *testing.T) {
	check := func(where string, e drugEntry) {
		if e.name == "" || e.nameNL == "" {
			t.Errorf("%s: name %q, Dutch name %q", where, e.name, e.nameNL)
		}
	}
	x := embedded()
	for code, e := range x.atc {
		check("ATC "+code, e)
	}
	for code, e := range x.rxnorm {
		check("RxNorm "+code, e)
	}
	for _, p := range x.rxnormNames {
		check("RxNorm name "+p.re.String(), p.entry)
	}
	sys, code := SystemATC, "M05BA04"
	m, ok := (&Terminology{}).matchDrug(&r4.CodeableConcept{Coding: []r4.Coding{{System: &sys, Code: &code}}})
	if !ok || m.nameNL != "alendroninezuur" || m.name != "alendronic acid" {
		t.Errorf("M05BA04: got %q / %q, %v", m.name, m.nameNL, ok)
	}
}
