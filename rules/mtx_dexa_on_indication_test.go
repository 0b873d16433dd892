package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var mtxT = fxDate("2024-06-01")

// mtxFacts is a 60-year-old man on methotrexate since startDaysAgo, with
// the given conditions, at patient-view.
func mtxFacts(startDaysAgo int, conds ...Condition) Facts {
	return Facts{
		AsOf:    mtxT,
		Hook:    PatientView,
		Patient: Patient{ID: "p", BirthDate: fxDate("1964-01-10"), Gender: "male"},
		Medications: []MedicationRecord{{
			Source: "MedicationStatement/mtx", Kind: KindStatement, Classes: []DrugClass{DrugMethotrexate},
			Code: "ATC L04AX03", Name: "methotrexate", Status: "active", Start: mtxT.AddDate(0, 0, -startDaysAgo),
		}},
		Conditions: conds,
	}
}

func mtxFracture(daysAgo int, extra ...Concept) Condition {
	return Condition{Source: "Condition/fx", Concepts: append([]Concept{ConceptFracture}, extra...),
		Code: "SNOMED CT 31978002", Onset: mtxT.AddDate(0, 0, -daysAgo), Active: true}
}

func mtxBonePain(daysAgo int) Condition {
	return Condition{Source: "Condition/pain", Concepts: []Concept{ConceptBonePain},
		Code: "SNOMED CT 12584003", Onset: mtxT.AddDate(0, 0, -daysAgo), Active: true}
}

func mtxDraft(selected bool) MedicationRecord {
	return MedicationRecord{Source: "MedicationRequest/draft-mtx", Kind: KindDraftOrder, Classes: []DrugClass{DrugMethotrexate},
		Code: "ATC L04AX03", Name: "methotrexate", Status: "draft", Selected: selected}
}

func withDXA(f Facts, ds ...DXAMeasurement) Facts {
	f.DXA = append(f.DXA, ds...)
	return f
}

func TestMTXDexaOnIndicationFires(t *testing.T) {
	dxaSuggestion := []string{KeyOrderDXA}
	stoppedMTX := func(endDaysAgo, startDaysAgo int, fx Condition) Facts {
		f := mtxFacts(startDaysAgo, fx)
		f.Medications[0].Status = "stopped"
		f.Medications[0].End = mtxT.AddDate(0, 0, -endDaysAgo)
		return f
	}
	dxaAfter := func(site Site, m Measure, v float64) DXAMeasurement {
		return DXAMeasurement{Source: "Observation/dxa", Site: site, Measure: m, Value: v, Date: mtxT.AddDate(0, 0, -10)}
	}
	tests := []struct {
		name  string
		facts Facts
		want  []fxOutcome
	}{
		{"4 y methotrexate + tibia fracture 2 weeks ago, no DXA -> warning with DXA",
			mtxFacts(4*365, mtxFracture(14, ConceptMTXTypicalSite)), []fxOutcome{{Warning, dxaSuggestion}}},
		{"exposure 731 days (just over 24 months) + fracture -> warning",
			mtxFacts(730, mtxFracture(14)), []fxOutcome{{Warning, dxaSuggestion}}},
		{"stress fracture (not otherwise coded as fracture) -> warning",
			mtxFacts(3*365, Condition{Source: "Condition/stress", Concepts: []Concept{ConceptStressFracture}, Code: "ICD-10 M84.37", Onset: mtxT.AddDate(0, 0, -30), Active: true}),
			[]fxOutcome{{Warning, dxaSuggestion}}},
		{"mechanical bone pain only -> info with DXA",
			mtxFacts(3*365, mtxBonePain(20)), []fxOutcome{{Info, dxaSuggestion}}},
		{"fracture and bone pain -> the fracture decides: warning",
			mtxFacts(3*365, mtxBonePain(5), mtxFracture(60)), []fxOutcome{{Warning, dxaSuggestion}}},
		{"fracture 23 months ago during use, never a DXA -> warning",
			mtxFacts(6*365, mtxFracture(700)), []fxOutcome{{Warning, dxaSuggestion}}},
		{"MTX stopped 11 months ago, fracture 10 months ago (inside the window) -> warning",
			stoppedMTX(335, 5*365, mtxFracture(300)), []fxOutcome{{Warning, dxaSuggestion}}},
		{"age 48 (no age limit) -> warning",
			func() Facts {
				f := mtxFacts(5*365, mtxFracture(15))
				f.Patient.BirthDate = fxDate("1976-01-01")
				return f
			}(),
			[]fxOutcome{{Warning, dxaSuggestion}}},
		{"unknown birth date does not matter (no age limit) -> warning",
			func() Facts { f := mtxFacts(5*365, mtxFracture(15)); f.Patient.BirthDate = time.Time{}; return f }(),
			[]fxOutcome{{Warning, dxaSuggestion}}},
		{"post-DXA: lowest T -1.4 after the fracture, MTX active -> info without DXA",
			withDXA(mtxFacts(4*365, mtxFracture(60)), dxaAfter(SiteLumbarSpine, TScore, -1.4), dxaAfter(SiteFemoralNeck, TScore, -0.5)),
			[]fxOutcome{{Info, nil}}},
		{"post-DXA: lowest T exactly -1.0 -> info",
			withDXA(mtxFacts(4*365, mtxFracture(60)), dxaAfter(SiteTotalHip, TScore, -1.0)), []fxOutcome{{Info, nil}}},
		{"post-DXA: man 48 with T -0.8 but Z -1.1 -> info (Z-score for men < 50)",
			func() Facts {
				f := withDXA(mtxFacts(4*365, mtxFracture(60)), dxaAfter(SiteLumbarSpine, TScore, -0.8), dxaAfter(SiteLumbarSpine, ZScore, -1.1))
				f.Patient.BirthDate = fxDate("1976-01-01")
				return f
			}(), []fxOutcome{{Info, nil}}},
		{"post-DXA: man 48, Z exactly -1.0 -> info",
			func() Facts {
				f := withDXA(mtxFacts(4*365, mtxFracture(60)), dxaAfter(SiteFemoralNeck, TScore, -0.5), dxaAfter(SiteFemoralNeck, ZScore, -1.0))
				f.Patient.BirthDate = fxDate("1976-01-01")
				return f
			}(), []fxOutcome{{Info, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fxRun(MTXDexaOnIndication, tc.facts)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMTXDexaOnIndicationOrderHooks(t *testing.T) {
	// 700 days of MTX that ended 60 days ago: 23 months, not long-term at
	// patient-view. A draft renewal bridges the gap (≤ 90 days) and brings
	// exposure to ≥ 24 months.
	base := func(h Hook, drafts ...MedicationRecord) Facts {
		f := mtxFacts(760, mtxFracture(90))
		f.Hook = h
		f.Medications[0].Status = "completed"
		f.Medications[0].End = mtxT.AddDate(0, 0, -60)
		f.Medications = append(f.Medications, drafts...)
		return f
	}
	otherSelected := MedicationRecord{Source: "MedicationRequest/draft-vitd", Kind: KindDraftOrder, Classes: []DrugClass{DrugVitaminD}, Status: "draft", Selected: true}
	tests := []struct {
		name  string
		facts Facts
		want  []fxOutcome
	}{
		{"patient-view: 23 months of MTX ended 60 days ago -> silent", base(PatientView), nil},
		{"order-sign: draft MTX renewal bridges to ≥ 24 months -> warning", base(OrderSign, mtxDraft(false)), []fxOutcome{{Warning, []string{KeyOrderDXA}}}},
		{"order-select: selected draft MTX renewal -> warning", base(OrderSelect, mtxDraft(true)), []fxOutcome{{Warning, []string{KeyOrderDXA}}}},
		{"order-select: draft MTX not selected, another order selected -> silent", base(OrderSelect, mtxDraft(false), otherSelected), nil},
		{"order-sign without a methotrexate draft -> silent", base(OrderSign, otherSelected), nil},
		{"order-sign: cancelled MTX draft -> silent",
			base(OrderSign, func() MedicationRecord { m := mtxDraft(false); m.Status = "cancelled"; return m }()), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fxRun(MTXDexaOnIndication, tc.facts)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMTXDexaOnIndicationSilent(t *testing.T) {
	dxaAfter := func(site Site, m Measure, v float64) DXAMeasurement {
		return DXAMeasurement{Source: "Observation/dxa", Site: site, Measure: m, Value: v, Date: mtxT.AddDate(0, 0, -10)}
	}
	stopped := func(f Facts, endDaysAgo int) Facts {
		f.Medications[0].Status = "stopped"
		f.Medications[0].End = mtxT.AddDate(0, 0, -endDaysAgo)
		return f
	}
	tests := []struct {
		name  string
		facts Facts
	}{
		{"methotrexate for 10 years alone, no fracture or pain (no routine DXA)", mtxFacts(10 * 365)},
		{"short exposure: 6 months of MTX + fracture", mtxFacts(182, mtxFracture(14))},
		{"exposure 730 days (just under 24 months) + fracture", mtxFacts(729, mtxFracture(14))},
		{"fracture 25 months ago during use (not new)", mtxFacts(6*365, mtxFracture(761))},
		{"fracture before MTX was started", mtxFacts(800, mtxFracture(900))},
		{"excluded fracture site (finger) on long-term MTX",
			mtxFacts(4*365, Condition{Source: "Condition/finger", Concepts: []Concept{ConceptFractureExcluded}, Code: "finger", Onset: mtxT.AddDate(0, 0, -20), Active: true})},
		{"resolved bone pain", mtxFacts(4*365, func() Condition { c := mtxBonePain(20); c.Active = false; return c }())},
		{"MTX stopped 13 months ago, fracture while on it (window passed)", stopped(mtxFacts(5*365, mtxFracture(400)), 396)},
		{"fracture during a 17-month pause between two MTX courses (outside the window, before the restart)",
			func() Facts {
				f := stopped(mtxFacts(10*365, mtxFracture(150)), 670)
				f.Medications = append(f.Medications, MedicationRecord{Source: "MedicationStatement/mtx-restart", Kind: KindStatement,
					Classes: []DrugClass{DrugMethotrexate}, Code: "ATC L04AX03", Status: "active", Start: mtxT.AddDate(0, 0, -30)})
				return f
			}()},
		{"post-DXA: lowest T -0.9 after the fracture",
			withDXA(mtxFacts(4*365, mtxFracture(60)), dxaAfter(SiteLumbarSpine, TScore, -0.9))},
		{"post-DXA: T -1.6 but MTX stopped (variant ends when MTX is stopped)",
			stopped(withDXA(mtxFacts(4*365, mtxFracture(60)), dxaAfter(SiteLumbarSpine, TScore, -1.6)), 5)},
		{"post-DXA: man 48, T -0.8 and Z -0.9",
			func() Facts {
				f := withDXA(mtxFacts(4*365, mtxFracture(60)), dxaAfter(SiteLumbarSpine, TScore, -0.8), dxaAfter(SiteLumbarSpine, ZScore, -0.9))
				f.Patient.BirthDate = fxDate("1976-01-01")
				return f
			}()},
		{"post-DXA: woman 45 with T -0.5 and Z -1.5 (Z rule is for men < 50)",
			func() Facts {
				f := withDXA(mtxFacts(4*365, mtxFracture(60)), dxaAfter(SiteLumbarSpine, TScore, -0.5), dxaAfter(SiteLumbarSpine, ZScore, -1.5))
				f.Patient.BirthDate, f.Patient.Gender = fxDate("1979-01-01"), "female"
				return f
			}()},
		{"post-DXA: forearm-only low T is ignored when spine/hip are normal",
			withDXA(mtxFacts(4*365, mtxFracture(60)), dxaAfter(SiteLumbarSpine, TScore, 0.2), dxaAfter(SiteForearm, TScore, -2.0))},
		{"entered-in-error methotrexate record",
			func() Facts {
				f := mtxFacts(4*365, mtxFracture(14))
				f.Medications[0].Status = "entered-in-error"
				return f
			}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fxRun(MTXDexaOnIndication, tc.facts); len(got) != 0 {
				t.Errorf("want silence, got %+v", got)
			}
		})
	}
}

func TestMTXDexaOnIndicationUndatedFractureIsInsufficientData(t *testing.T) {
	f := mtxFacts(4*365, Condition{Source: "Condition/fx", Concepts: []Concept{ConceptFracture}, Code: "fracture", Active: true})
	var topics []string
	for _, fd := range EvaluateRules([]Rule{MTXDexaOnIndication}, f, DefaultThresholds()) {
		topics = append(topics, fd.Topic)
	}
	if diff := cmp.Diff([]string{TopicInsufficientData}, topics); diff != "" {
		t.Errorf("topics (-want +got):\n%s", diff)
	}
}

func TestMTXDexaOnIndicationCardContent(t *testing.T) {
	fd := fxFinding(t, MTXDexaOnIndication, mtxFacts(4*365, mtxFracture(14, ConceptMTXTypicalSite)))
	for _, want := range []string{"MRI", "voorschrijver"} {
		if !strings.Contains(fd.Detail.NL, want) {
			t.Errorf("Dutch detail lacks %q", want)
		}
	}
	for _, want := range []string{"MRI", "prescriber", "Do not start a bisphosphonate"} {
		if !strings.Contains(fd.Detail.EN, want) {
			t.Errorf("English detail lacks %q", want)
		}
	}
	for _, s := range fd.Suggestions {
		for _, a := range s.Actions {
			if a.Order != nil && a.Order.Kind == OrderMedication {
				t.Errorf("suggests a medication (%s); MTX osteopathy must not auto-suggest a bisphosphonate", a.Order.Drug)
			}
		}
	}
	var sources []Ref
	for _, e := range fd.Evidence {
		sources = append(sources, e.Source)
	}
	want := []Ref{"MedicationStatement/mtx", "", "Condition/fx", ""}
	if diff := cmp.Diff(want, sources); diff != "" {
		t.Errorf("evidence sources (-want +got):\n%s", diff)
	}
	if got := fd.Evidence[1].ValueText; got != (Text{NL: "4 jaar", EN: "4 years"}) {
		t.Errorf("exposure evidence %v, want 4 years (48 months)", got)
	}
}

// Men younger than ZSCORE_UNDER_AGE are read by Z-score (WHO/ISCD, D15),
// as the WHO classification card does; older patients by T-score.
func TestMTXPostDXAUsesZScoreForMenUnder50(t *testing.T) {
	man := func(age int, th Thresholds, dxa ...DXAMeasurement) (Facts, Thresholds) {
		f := withDXA(mtxFacts(1500, mtxFracture(60, ConceptMTXTypicalSite)), dxa...)
		f.Patient.BirthDate = mtxT.AddDate(-age, 0, -1)
		return f, th
	}
	dxa := func(site Site, m Measure, v float64) DXAMeasurement {
		return DXAMeasurement{Source: Ref("Observation/" + string(site) + string(m)), Site: site, Measure: m, Value: v, Date: mtxT.AddDate(0, 0, -20)}
	}
	under40 := DefaultThresholds()
	under40.ZScoreUnderAge = 40
	tests := []struct {
		name      string
		f         Facts
		th        Thresholds
		wantScore string // "" = silent
	}{
		{"man 48 (S2b values: neck T -1.9 / Z -1.2) -> fires on the Z-score",
			func() Facts {
				f, _ := man(48, DefaultThresholds(), dxa(SiteLumbarSpine, TScore, -1.4), dxa(SiteLumbarSpine, ZScore, -1.1), dxa(SiteFemoralNeck, TScore, -1.9), dxa(SiteFemoralNeck, ZScore, -1.2))
				return f
			}(), DefaultThresholds(), "Z-score -1.2"},
		{"man 48 with T -1.5 but Z -0.5 -> silent (Z-score within range)",
			func() Facts {
				f, _ := man(48, DefaultThresholds(), dxa(SiteLumbarSpine, TScore, -1.5), dxa(SiteLumbarSpine, ZScore, -0.5))
				return f
			}(), DefaultThresholds(), ""},
		{"man 55 with T -0.5 and Z -1.5 -> silent (T-score applies from 50)",
			func() Facts {
				f, _ := man(55, DefaultThresholds(), dxa(SiteLumbarSpine, TScore, -0.5), dxa(SiteLumbarSpine, ZScore, -1.5))
				return f
			}(), DefaultThresholds(), ""},
		{"man 48 with ZSCORE_UNDER_AGE 40 -> T-score -1.5 used",
			func() Facts {
				f, _ := man(48, under40, dxa(SiteLumbarSpine, TScore, -1.5), dxa(SiteLumbarSpine, ZScore, -0.5))
				return f
			}(), under40, "T-score -1.5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Finding
			for _, fd := range EvaluateRules([]Rule{MTXDexaOnIndication}, tc.f, tc.th) {
				if fd.Topic == TopicMTXDexaOnIndication {
					got = append(got, fd)
				}
			}
			if tc.wantScore == "" {
				if len(got) != 0 {
					t.Errorf("want silence, got %q", got[0].Detail.EN)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Detail.EN, tc.wantScore) {
				t.Errorf("want one card reading %q, got %+v", tc.wantScore, got)
			}
		})
	}
}
