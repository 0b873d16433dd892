package rules

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var dcT = fxDate("2025-06-01")

// dcBMD is a BMD measurement daysAgo days before dcT.
func dcBMD(id string, site Site, v float64, daysAgo int) DXAMeasurement {
	return DXAMeasurement{Source: Ref("Observation/" + id), Site: site, Measure: BMD, Value: v, Date: dcT.AddDate(0, 0, -daysAgo)}
}

// dcPair is a previous BMD (about two years earlier) and a current BMD
// (10 days before dcT) at one site.
func dcPair(site Site, prev, cur float64) []DXAMeasurement {
	return []DXAMeasurement{
		dcBMD(string(site)+"-prev", site, prev, 740),
		dcBMD(string(site)+"-cur", site, cur, 10),
	}
}

// dcFacts is a 75-year-old woman at patient-view with the given DXA
// measurements.
func dcFacts(dxa ...[]DXAMeasurement) Facts {
	f := Facts{AsOf: dcT, Hook: PatientView, Patient: Patient{ID: "p", BirthDate: fxDate("1950-01-01"), Gender: "female"}}
	for _, d := range dxa {
		f.DXA = append(f.DXA, d...)
	}
	return f
}

func dcWith(f Facts, meds []MedicationRecord, conds ...Condition) Facts {
	f.Medications = append(f.Medications, meds...)
	f.Conditions = append(f.Conditions, conds...)
	return f
}

// dcAlendronate is weekly alendronate since yearsAgo years, active.
func dcAlendronate(yearsAgo int) []MedicationRecord {
	return []MedicationRecord{{Source: "MedicationStatement/aln", Kind: KindStatement,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
		Code:    "ATC M05BA04", Name: "alendronic acid", Status: "active", Start: dcT.AddDate(-yearsAgo, 0, 0)}}
}

// dcDenosumab is denosumab 60 mg every 6 months, last dose 100 days ago.
func dcDenosumab() []MedicationRecord {
	var out []MedicationRecord
	for i, d := range []int{1200, 830, 465, 100} {
		out = append(out, MedicationRecord{Source: Ref("MedicationAdministration/dmab-" + itoa(i)), Kind: KindAdministration,
			Classes: []DrugClass{DrugDenosumab}, Code: "ATC M05BX04", Name: "denosumab", Status: "completed",
			Start: dcT.AddDate(0, 0, -d), SingleDose: true, StrengthMg: 60})
	}
	return out
}

var dcL1Fracture = Condition{Source: "Condition/l1", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture},
	Code: "ICD-10 S32.0", Onset: dcT.AddDate(0, -3, 0), Active: true}

func TestDexaChangeLSCFires(t *testing.T) {
	lab := []string{KeyOrderLabPanel}
	tests := []struct {
		name  string
		facts Facts
		want  []fxOutcome
	}{
		{"spine +3.1 % without treatment -> info",
			dcFacts(dcPair(SiteLumbarSpine, 1.000, 1.031)), []fxOutcome{{Info, nil}}},
		{"spine +2.9 % and hip +1.9 % (S6-like without fracture) -> info",
			dcFacts(dcPair(SiteLumbarSpine, 0.853, 0.878), dcPair(SiteTotalHip, 0.733, 0.747)), []fxOutcome{{Info, nil}}},
		{"spine -3.1 % on alendronate started 3 years ago -> warning with lab panel",
			dcWith(dcFacts(dcPair(SiteLumbarSpine, 1.000, 0.969)), dcAlendronate(3)), []fxOutcome{{Warning, lab}}},
		{"spine -3.0 % on alendronate -> info (not > 3 %)",
			dcWith(dcFacts(dcPair(SiteLumbarSpine, 1.000, 0.970)), dcAlendronate(3)), []fxOutcome{{Info, nil}}},
		{"total hip -4.1 % on alendronate -> warning",
			dcWith(dcFacts(dcPair(SiteTotalHip, 1.000, 0.959)), dcAlendronate(3)), []fxOutcome{{Warning, lab}}},
		{"femoral neck -4.0 % on alendronate -> info (not > 4 %)",
			dcWith(dcFacts(dcPair(SiteFemoralNeck, 1.000, 0.960)), dcAlendronate(3)), []fxOutcome{{Info, nil}}},
		{"femoral neck -4.1 % on denosumab 60 mg (last dose 100 days ago) -> warning",
			dcWith(dcFacts(dcPair(SiteFemoralNeck, 1.000, 0.959)), dcDenosumab()), []fxOutcome{{Warning, lab}}},
		{"spine -5 % without any antiresorptive -> info",
			dcFacts(dcPair(SiteLumbarSpine, 1.000, 0.950)), []fxOutcome{{Info, nil}}},
		{"spine -5 % with alendronate started after the DXA -> info",
			dcWith(dcFacts(dcPair(SiteLumbarSpine, 1.000, 0.950)), []MedicationRecord{{Source: "MedicationStatement/aln", Kind: KindStatement,
				Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate}, Name: "alendronic acid", Status: "active", Start: dcT.AddDate(0, 0, -5)}}),
			[]fxOutcome{{Info, nil}}},
		{"spine -5 % on alendronate with a lumbar fracture -> info (spine unreliable)",
			dcWith(dcFacts(dcPair(SiteLumbarSpine, 1.000, 0.950)), dcAlendronate(3), dcL1Fracture), []fxOutcome{{Info, nil}}},
		{"femoral neck -12 % on alendronate -> info (implausible, owned by R24)",
			dcWith(dcFacts(dcPair(SiteFemoralNeck, 1.000, 0.880)), dcAlendronate(3)), []fxOutcome{{Info, nil}}},
		{"spine +3.5 % and hip -4.5 % on alendronate -> info (discordant, owned by R24)",
			dcWith(dcFacts(dcPair(SiteLumbarSpine, 1.000, 1.035), dcPair(SiteTotalHip, 1.000, 0.955)), dcAlendronate(3)), []fxOutcome{{Info, nil}}},
		{"newest DXA exactly 90 days old -> info",
			dcFacts([]DXAMeasurement{dcBMD("p", SiteLumbarSpine, 1, 800), dcBMD("c", SiteLumbarSpine, 1.05, 90)}), []fxOutcome{{Info, nil}}},
		{"report percentage without previous BMD -> info",
			dcFacts([]DXAMeasurement{dcBMD("c", SiteLumbarSpine, 0.93, 10),
				{Source: "Observation/pct", Site: SiteLumbarSpine, Measure: BMDChangePct, Value: -1.5, Date: dcT.AddDate(0, 0, -10)}}),
			[]fxOutcome{{Info, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fxRun(DexaChangeLSC, tc.facts)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDexaChangeLSCStaysSilent(t *testing.T) {
	tests := []struct {
		name  string
		facts Facts
	}{
		{"no DXA at all", dcFacts()},
		{"one BMD only, no previous and no report percentage",
			dcFacts([]DXAMeasurement{dcBMD("c", SiteLumbarSpine, 0.9, 10)})},
		{"newest DXA 91 days old (announced already)",
			dcFacts([]DXAMeasurement{dcBMD("p", SiteLumbarSpine, 1, 800), dcBMD("c", SiteLumbarSpine, 1.05, 91)})},
		{"two BMDs on the same day are not a change",
			dcFacts([]DXAMeasurement{dcBMD("a", SiteLumbarSpine, 1, 10), dcBMD("b", SiteLumbarSpine, 1.05, 10)})},
		{"previous BMD of the right hip does not pair with the left hip",
			dcFacts([]DXAMeasurement{
				{Source: "Observation/r", Site: SiteTotalHip, Measure: BMD, Value: 0.8, Date: dcT.AddDate(-2, 0, 0), Laterality: "right"},
				{Source: "Observation/l", Site: SiteTotalHip, Measure: BMD, Value: 0.9, Date: dcT.AddDate(0, 0, -10), Laterality: "left"}})},
		{"previous spine BMD does not pair with a hip BMD",
			dcFacts([]DXAMeasurement{dcBMD("p", SiteLumbarSpine, 1, 800), dcBMD("c", SiteTotalHip, 0.9, 10)})},
		{"T-scores only",
			dcFacts([]DXAMeasurement{{Source: "Observation/t1", Site: SiteLumbarSpine, Measure: TScore, Value: -2.6, Date: dcT.AddDate(-2, 0, 0)},
				{Source: "Observation/t2", Site: SiteLumbarSpine, Measure: TScore, Value: -2.0, Date: dcT.AddDate(0, 0, -10)}})},
		{"the newer BMD is dated after T",
			dcFacts([]DXAMeasurement{dcBMD("p", SiteLumbarSpine, 1, 10), dcBMD("c", SiteLumbarSpine, 1.1, -5)})},
		{"forearm BMD change is not assessed (no LSC for the forearm)",
			dcFacts(dcPair(SiteForearm, 0.6, 0.7))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fxRun(DexaChangeLSC, tc.facts); len(got) != 0 {
				t.Errorf("want no finding, got %+v", got)
			}
		})
	}
	t.Run("order-sign hook", func(t *testing.T) {
		f := dcFacts(dcPair(SiteLumbarSpine, 1, 1.05))
		f.Hook = OrderSign
		if got := fxRun(DexaChangeLSC, f); len(got) != 0 {
			t.Errorf("want no finding at order-sign, got %+v", got)
		}
	})
}

// dcSite is what the analysis says about one site, for boundary tests.
type dcSite struct {
	Site                                 Site
	Pct                                  float64
	Significant, Unreliable, Implausible bool
	Discordant                           bool
}

func dcAnalyse(f Facts, th Thresholds) []dcSite {
	c := &Context{Facts: f, Thresholds: th}
	var out []dcSite
	for _, ch := range analyseDXAChanges(c).Changes {
		out = append(out, dcSite{ch.Site, ch.Pct, ch.Significant, ch.Unreliable, ch.Implausible, ch.Discordant})
	}
	return out
}

func TestDXAChangeBoundaries(t *testing.T) {
	sp, th, nk := SiteLumbarSpine, SiteTotalHip, SiteFemoralNeck
	tests := []struct {
		name  string
		facts Facts
		want  []dcSite
	}{
		{"spine +2.9 % not significant", dcFacts(dcPair(sp, 1, 1.029)), []dcSite{{sp, 2.9, false, false, false, false}}},
		{"spine +3.0 % not significant (must be more than 3 %)", dcFacts(dcPair(sp, 1, 1.030)), []dcSite{{sp, 3.0, false, false, false, false}}},
		{"spine +3.1 % significant", dcFacts(dcPair(sp, 1, 1.031)), []dcSite{{sp, 3.1, true, false, false, false}}},
		{"spine -3.1 % significant", dcFacts(dcPair(sp, 1, 0.969)), []dcSite{{sp, -3.1, true, false, false, false}}},
		{"total hip +3.9 % not significant", dcFacts(dcPair(th, 1, 1.039)), []dcSite{{th, 3.9, false, false, false, false}}},
		{"total hip +4.0 % not significant (must be more than 4 %)", dcFacts(dcPair(th, 1, 1.040)), []dcSite{{th, 4.0, false, false, false, false}}},
		{"total hip +4.1 % significant", dcFacts(dcPair(th, 1, 1.041)), []dcSite{{th, 4.1, true, false, false, false}}},
		{"femoral neck -4.0 % not significant", dcFacts(dcPair(nk, 1, 0.960)), []dcSite{{nk, -4.0, false, false, false, false}}},
		{"femoral neck -4.1 % significant", dcFacts(dcPair(nk, 1, 0.959)), []dcSite{{nk, -4.1, true, false, false, false}}},
		{"spine +3.5 % counts as a hip change would not (spine limit 3 %, hip limit 4 %)",
			dcFacts(dcPair(sp, 1, 1.035), dcPair(th, 1, 1.035)), []dcSite{{sp, 3.5, true, false, false, false}, {th, 3.5, false, false, false, false}}},
		{"femoral neck +10.0 % significant, not implausible", dcFacts(dcPair(nk, 1, 1.100)), []dcSite{{nk, 10.0, true, false, false, false}}},
		{"femoral neck +10.1 % implausible", dcFacts(dcPair(nk, 1, 1.101)), []dcSite{{nk, 10.1, true, false, true, false}}},
		{"spine -10.1 % implausible", dcFacts(dcPair(sp, 1, 0.899)), []dcSite{{sp, -10.1, true, false, true, false}}},
		{"rounding: +3.04 % is reported as 3.0 % and is not significant", dcFacts(dcPair(sp, 1, 1.0304)), []dcSite{{sp, 3.0, false, false, false, false}}},
		{"rounding: +3.06 % is reported as 3.1 % and is significant", dcFacts(dcPair(sp, 1, 1.0306)), []dcSite{{sp, 3.1, true, false, false, false}}},
		{"spine with an L1 fracture is unreliable",
			dcWith(dcFacts(dcPair(sp, 0.853, 0.878)), nil, dcL1Fracture), []dcSite{{sp, 2.9, false, true, false, false}}},
		{"spine with an undated vertebral fracture is unreliable",
			dcWith(dcFacts(dcPair(sp, 1, 1.05)), nil, Condition{Source: "Condition/v", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Active: true}),
			[]dcSite{{sp, 5.0, true, true, false, false}}},
		{"vertebral fracture after the newest DXA does not affect it",
			dcWith(dcFacts(dcPair(sp, 1, 1.05)), nil, Condition{Source: "Condition/v", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Onset: dcT.AddDate(0, 0, -2), Active: true}),
			[]dcSite{{sp, 5.0, true, false, false, false}}},
		{"Genant grade 1 deformity is not counted by default",
			dcWith(dcFacts(dcPair(sp, 0.8, 0.864)), nil, Condition{Source: "Condition/vfa", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, GenantGrade: 1, Active: true}),
			[]dcSite{{sp, 8.0, true, false, false, false}}},
		{"hip fracture does not make the spine unreliable",
			dcWith(dcFacts(dcPair(sp, 1, 1.05)), nil, Condition{Source: "Condition/hip", Concepts: []Concept{ConceptFracture, ConceptHipFracture}, Onset: dcT.AddDate(-3, 0, 0)}),
			[]dcSite{{sp, 5.0, true, false, false, false}}},
		{"discordance: spine +3.5 % with total hip -4.5 %",
			dcFacts(dcPair(sp, 1, 1.035), dcPair(th, 1, 0.955)), []dcSite{{sp, 3.5, true, false, false, true}, {th, -4.5, true, false, false, true}}},
		{"reverse discordance: spine -3.5 % with femoral neck +4.5 %",
			dcFacts(dcPair(sp, 1, 0.965), dcPair(nk, 1, 1.045)), []dcSite{{sp, -3.5, true, false, false, true}, {nk, 4.5, true, false, false, true}}},
		{"no discordance when the hip change is not significant",
			dcFacts(dcPair(sp, 1, 1.035), dcPair(th, 1, 0.96)), []dcSite{{sp, 3.5, true, false, false, false}, {th, -4.0, false, false, false, false}}},
		{"no discordance when the spine is unreliable (vertebral fracture explains it)",
			dcWith(dcFacts(dcPair(sp, 1, 1.05), dcPair(th, 1, 0.95)), nil, dcL1Fracture),
			[]dcSite{{sp, 5.0, true, true, false, false}, {th, -5.0, true, false, false, false}}},
		{"S7: spine -1.5 % n.s.; neck +15.3 % implausible",
			dcFacts(dcPair(sp, 0.944, 0.930), dcPair(nk, 0.704, 0.812)), []dcSite{{sp, -1.5, false, false, false, false}, {nk, 15.3, true, false, true, false}}},
		{"report percentage used when no previous BMD exists",
			dcFacts([]DXAMeasurement{dcBMD("c", sp, 0.93, 10), {Source: "Observation/pct", Site: sp, Measure: BMDChangePct, Value: 3.14, Date: dcT.AddDate(0, 0, -10)}}),
			[]dcSite{{sp, 3.1, true, false, false, false}}},
		{"computed change wins over a report percentage",
			dcFacts(dcPair(sp, 1, 1.01), []DXAMeasurement{{Source: "Observation/pct", Site: sp, Measure: BMDChangePct, Value: 8, Date: dcT.AddDate(0, 0, -10)}}),
			[]dcSite{{sp, 1.0, false, false, false, false}}},
		{"report percentage without any BMD",
			dcFacts([]DXAMeasurement{{Source: "Observation/pct", Site: nk, Measure: BMDChangePct, Value: 15.4, Date: dcT.AddDate(0, 0, -10)}}),
			[]dcSite{{nk, 15.4, true, false, true, false}}},
		{"the newest of three BMDs is compared with the one before it",
			dcFacts([]DXAMeasurement{dcBMD("a", sp, 0.8, 1500), dcBMD("b", sp, 1.0, 740), dcBMD("c", sp, 1.02, 10)}),
			[]dcSite{{sp, 2.0, false, false, false, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, dcAnalyse(tc.facts, DefaultThresholds())); diff != "" {
				t.Errorf("analysis (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDXAChangeLaterality(t *testing.T) {
	d := func(id string, v float64, daysAgo int, lat string) DXAMeasurement {
		m := dcBMD(id, SiteTotalHip, v, daysAgo)
		m.Laterality = lat
		return m
	}
	f := dcFacts([]DXAMeasurement{
		d("l-prev", 0.800, 740, "left"), d("r-prev", 0.900, 740, "right"),
		d("l-cur", 0.840, 10, "left"), d("r-cur", 0.900, 10, "right"),
	})
	c := &Context{Facts: f, Thresholds: DefaultThresholds()}
	var got []string
	for _, ch := range analyseDXAChanges(c).Changes {
		got = append(got, ch.Laterality+":"+string(ch.Previous.Source)+":"+formatPct(ch.Pct))
	}
	want := []string{"left:Observation/l-prev:+5.0", "right:Observation/r-prev:0.0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pairs (-want +got):\n%s", diff)
	}
	// A previous measurement without laterality pairs with either side.
	f = dcFacts([]DXAMeasurement{d("prev", 0.800, 740, ""), d("l-cur", 0.840, 10, "left")})
	c = &Context{Facts: f, Thresholds: DefaultThresholds()}
	if chs := analyseDXAChanges(c).Changes; len(chs) != 1 || chs[0].Previous.Source != "Observation/prev" {
		t.Errorf("unlateralised previous: got %+v", chs)
	}
}

func TestDXAChangeISCDLocal(t *testing.T) {
	iscd := DefaultThresholds()
	for k, v := range map[string]any{"PRECISION_ERROR_SPINE": 0.010, "PRECISION_ERROR_HIP": 0.012, "LSC_MODE": "iscd-local"} {
		if err := iscd.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	sp, th := SiteLumbarSpine, SiteTotalHip
	tests := []struct {
		name  string
		facts Facts
		want  []dcSite
	}{
		// LSC spine = 2.77 × 0.010 = 0.0277 g/cm².
		{"spine ΔBMD 0.027 < LSC 0.0277 -> not significant (2.7 %)", dcFacts(dcPair(sp, 1, 1.027)), []dcSite{{sp, 2.7, false, false, false, false}}},
		{"spine ΔBMD 0.028 ≥ LSC 0.0277 -> significant although only 2.8 %", dcFacts(dcPair(sp, 1, 1.028)), []dcSite{{sp, 2.8, true, false, false, false}}},
		// LSC hip = 2.77 × 0.012 = 0.03324 g/cm².
		{"hip ΔBMD -0.033 < LSC 0.0332 -> not significant", dcFacts(dcPair(th, 0.8, 0.767)), []dcSite{{th, -4.1, false, false, false, false}}},
		{"hip ΔBMD -0.034 ≥ LSC -> significant", dcFacts(dcPair(th, 0.8, 0.766)), []dcSite{{th, -4.3, true, false, false, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, dcAnalyse(tc.facts, iscd)); diff != "" {
				t.Errorf("analysis (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("exactly at the LSC is significant (equal or exceed)", func(t *testing.T) {
		at := iscd
		at.PrecisionErrorSpine = 0.028 / 2.77 // LSC = 0.028
		got := dcAnalyse(dcFacts(dcPair(sp, 1, 1.028)), at)
		if len(got) != 1 || !got[0].Significant {
			t.Errorf("ΔBMD 0.028 at LSC 0.028: got %+v", got)
		}
	})
	t.Run("card names the ISCD threshold", func(t *testing.T) {
		f := EvaluateRules([]Rule{DexaChangeLSC}, dcFacts(dcPair(sp, 1, 1.028)), iscd)
		if len(f) != 1 {
			t.Fatalf("got %d findings", len(f))
		}
		var th []string
		for _, x := range f[0].Thresholds {
			th = append(th, x.EN)
		}
		all := strings.Join(th, "\n")
		if !strings.Contains(all, "ISCD LSC = 2.77 × precision error") || !strings.Contains(all, "0.0277") || strings.Contains(all, "seed-fixed") {
			t.Errorf("thresholds:\n%s", all)
		}
		if f[0].Citations[0] != CiteISCDPrecision {
			t.Errorf("first citation %+v, want ISCD", f[0].Citations[0])
		}
	})
	t.Run("report percentage without BMD falls back to the seed percentages and says so", func(t *testing.T) {
		f := dcFacts([]DXAMeasurement{{Source: "Observation/pct", Site: sp, Measure: BMDChangePct, Value: 3.5, Date: dcT.AddDate(0, 0, -10)}})
		got := dcAnalyse(f, iscd)
		if len(got) != 1 || !got[0].Significant {
			t.Errorf("got %+v", got)
		}
		fs := EvaluateRules([]Rule{DexaChangeLSC}, f, iscd)
		if len(fs) != 1 || !strings.Contains(fs[0].Thresholds[1].EN, "used where only a report percentage is available") {
			t.Errorf("thresholds %+v", fs)
		}
	})
}

// dcFinding returns the only finding of rule r.
func dcFinding(t *testing.T, r Rule, f Facts) Finding {
	t.Helper()
	return fxFinding(t, r, f)
}

func TestDexaChangeLSCText(t *testing.T) {
	t.Run("S7: implausible neck says see the other card, never significant improvement", func(t *testing.T) {
		fd := dcFinding(t, DexaChangeLSC, dcFacts(dcPair(SiteLumbarSpine, 0.944, 0.930), dcPair(SiteFemoralNeck, 0.704, 0.812)))
		for _, d := range []string{fd.Detail.EN, fd.Detail.NL} {
			if strings.Contains(d, "significant increase") || strings.Contains(d, "significante toename") {
				t.Errorf("detail claims a significant increase:\n%s", d)
			}
		}
		if !strings.Contains(fd.Detail.EN, "femoral neck: +15.3 % (ΔBMD +0.108 g/cm²) — implausible") {
			t.Errorf("EN detail:\n%s", fd.Detail.EN)
		}
		if !strings.Contains(fd.Detail.NL, "heuphals: +15,3 % (ΔBMD +0,108 g/cm²)") || !strings.Contains(fd.Detail.NL, "— onwaarschijnlijk groot verschil") {
			t.Errorf("NL detail:\n%s", fd.Detail.NL)
		}
		if !strings.Contains(fd.Detail.EN, "lumbar spine (L1–L4): -1.5 % (ΔBMD -0.014 g/cm²) — not significant (threshold > 3 %)") {
			t.Errorf("EN spine line:\n%s", fd.Detail.EN)
		}
		wantSummary := Text{
			NL: "BMD-verandering t.o.v. vorige DXA: LWK −1,5 % (n.s.); heuphals +15,3 % (onwaarschijnlijk)",
			EN: "BMD change since previous DXA: spine -1.5 % (n.s.); femoral neck +15.3 % (implausible)",
		}
		if diff := cmp.Diff(wantSummary, fd.Summary); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
	})
	t.Run("S6: spine not significant and unreliable; fracture in evidence", func(t *testing.T) {
		fd := dcFinding(t, DexaChangeLSC, dcWith(dcFacts(dcPair(SiteLumbarSpine, 0.853, 0.878), dcPair(SiteTotalHip, 0.733, 0.747)), dcAlendronate(3), dcL1Fracture))
		if !strings.Contains(fd.Detail.EN, "+2.9 % (ΔBMD +0.025 g/cm²) — not significant (threshold > 3 %); unreliable because of a vertebral fracture") {
			t.Errorf("EN detail:\n%s", fd.Detail.EN)
		}
		if !strings.Contains(fd.Detail.EN, "total hip: +1.9 % (ΔBMD +0.014 g/cm²) — not significant (threshold > 4 %)") {
			t.Errorf("EN hip line:\n%s", fd.Detail.EN)
		}
		found := false
		for _, e := range fd.Evidence {
			if e.Source == "Condition/l1" {
				found = true
			}
		}
		if !found {
			t.Errorf("L1 fracture missing from evidence: %+v", fd.Evidence)
		}
	})
	t.Run("evidence shows both measurements and the change", func(t *testing.T) {
		fd := dcFinding(t, DexaChangeLSC, dcFacts(dcPair(SiteLumbarSpine, 0.800, 0.864)))
		type ev struct{ Value, Unit, Date, Source string }
		var got []ev
		for _, e := range fd.Evidence {
			got = append(got, ev{e.ValueIn("en"), e.Unit, FormatDate(e.Date), string(e.Source)})
		}
		want := []ev{
			{"0.800", "g/cm2", FormatDate(dcT.AddDate(0, 0, -740)), "Observation/lumbar-spine-prev"},
			{"0.864", "g/cm2", FormatDate(dcT.AddDate(0, 0, -10)), "Observation/lumbar-spine-cur"},
			{"+8.0", "%", FormatDate(dcT.AddDate(0, 0, -10)), "Observation/lumbar-spine-cur"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("evidence (-want +got):\n%s", diff)
		}
		if !strings.Contains(fd.Thresholds[0].EN, "fixed limits (GP training course)") {
			t.Errorf("thresholds %+v", fd.Thresholds)
		}
		if fd.Citations[0] != CiteSeedGPDXAChange || fd.Citations[1] != CiteISCDPrecision {
			t.Errorf("citations %+v", fd.Citations)
		}
	})
	t.Run("warning names the drug and the loss", func(t *testing.T) {
		fd := dcFinding(t, DexaChangeLSC, dcWith(dcFacts(dcPair(SiteTotalHip, 1.000, 0.950)), dcAlendronate(3)))
		want := Text{
			NL: "Significante BMD-afname ondanks alendronic acid: totale heup −5,0 % (significant); herevalueer",
			EN: "Significant BMD loss on alendronic acid: total hip -5.0 % (significant); re-evaluate",
		}
		if diff := cmp.Diff(want, fd.Summary); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
	})
	t.Run("summaries stay under 140 runes with three lateralised sites", func(t *testing.T) {
		var dxa []DXAMeasurement
		for _, s := range []Site{SiteLumbarSpine, SiteTotalHip, SiteFemoralNeck} {
			for _, lat := range []string{"left", "right"} {
				for _, p := range dcPair(s, 1, 0.95) {
					p.Laterality = lat
					p.Source += Ref(lat)
					dxa = append(dxa, p)
				}
			}
		}
		for _, f := range []Facts{dcFacts(dxa), dcWith(dcFacts(dxa), dcAlendronate(2))} {
			fd := dcFinding(t, DexaChangeLSC, f)
			for _, s := range []string{fd.Summary.NL, fd.Summary.EN} {
				if n := utf8.RuneCountInString(s); n >= 140 {
					t.Errorf("summary has %d runes: %s", n, s)
				}
			}
		}
	})
}
