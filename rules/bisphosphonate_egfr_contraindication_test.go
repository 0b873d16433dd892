package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var sfT = fxDate("2025-03-01")

func sfDraft(id string, selected bool, classes ...DrugClass) MedicationRecord {
	name := map[DrugClass]string{DrugAlendronate: "alendronic acid", DrugRisedronate: "risedronic acid", DrugZoledronicAcid: "zoledronic acid",
		DrugDenosumab: "denosumab", DrugRomosozumab: "romosozumab"}[classes[len(classes)-1]]
	return MedicationRecord{Source: Ref("MedicationRequest/" + id), Kind: KindDraftOrder, Classes: classes,
		Code: "ATC " + id, Name: name, Status: "draft", Selected: selected}
}

var (
	sfDraftALN  = sfDraft("aln", false, DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate)
	sfDraftRIS  = sfDraft("ris", false, DrugBisphosphonate, DrugBisphosphonateOral, DrugRisedronate)
	sfDraftZOL  = sfDraft("zol", false, DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid)
	sfDraftDmab = sfDraft("dmab", false, DrugDenosumab)
)

func sfActiveALN() MedicationRecord {
	return MedicationRecord{Source: "MedicationStatement/aln", Kind: KindStatement,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
		Code:    "ATC M05BA04", Name: "alendronic acid", Status: "active", Start: sfT.AddDate(-2, 0, 0)}
}

// sfFacts is a 72-year-old woman at hook h with the given labs and
// medication records.
func sfFacts(h Hook, labs []Lab, meds ...MedicationRecord) Facts {
	return Facts{AsOf: sfT, Hook: h, Patient: Patient{ID: "p", BirthDate: fxDate("1952-05-05"), Gender: "female"}, Labs: labs, Medications: meds}
}

func sfRenal(a Analyte, cmp Comparator, v float64, daysAgo int) []Lab {
	return []Lab{{Source: "Observation/renal", Analyte: a, Comparator: cmp, Value: v, Date: sfT.AddDate(0, 0, -daysAgo), Code: "LOINC"}}
}

func sfEGFR(v float64) []Lab { return sfRenal(AnalyteEGFR, Exact, v, 20) }

func TestBisphosphonateEGFRContraindicationFires(t *testing.T) {
	del := func(ids ...string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, "delete-MedicationRequest/"+id)
		}
		return out
	}
	tests := []struct {
		name  string
		facts Facts
		want  []fxOutcome
	}{
		{"eGFR 25 + alendronate draft order at order-sign -> critical, delete draft",
			sfFacts(OrderSign, sfEGFR(25), sfDraftALN), []fxOutcome{{Critical, del("aln")}}},
		{"eGFR 29.9 + risedronate draft -> critical",
			sfFacts(OrderSign, sfEGFR(29.9), sfDraftRIS), []fxOutcome{{Critical, del("ris")}}},
		{"eGFR exactly 30 + alendronate draft -> warning (SmPC 35, D4)",
			sfFacts(OrderSign, sfEGFR(30), sfDraftALN), []fxOutcome{{Warning, del("aln")}}},
		{"eGFR 34.9 + zoledronic acid draft at order-select -> critical (Aclasta SmPC: contraindicated < 35)",
			sfFacts(OrderSelect, sfEGFR(34.9), sfDraftZOL), []fxOutcome{{Critical, del("zol")}}},
		{"Cockcroft-Gault CrCl 28 mL/min + risedronate draft -> critical",
			sfFacts(OrderSign, sfRenal(AnalyteCrClCockcroftGault, Exact, 28, 5), sfDraftRIS), []fxOutcome{{Critical, del("ris")}}},
		{"eGFR reported as <30 + risedronate draft -> critical",
			sfFacts(OrderSign, sfRenal(AnalyteEGFR, LessThan, 30, 5), sfDraftRIS), []fxOutcome{{Critical, del("ris")}}},
		{"eGFR reported as <35 + alendronate draft -> warning",
			sfFacts(OrderSign, sfRenal(AnalyteEGFR, LessThan, 35, 5), sfDraftALN), []fxOutcome{{Warning, del("aln")}}},
		{"eGFR 25 measured 365 days ago + alendronate draft -> critical",
			sfFacts(OrderSign, sfRenal(AnalyteEGFR, Exact, 25, 365), sfDraftALN), []fxOutcome{{Critical, del("aln")}}},
		{"eGFR 32 + alendronate and risedronate drafts -> warning, delete only alendronate",
			sfFacts(OrderSign, sfEGFR(32), sfDraftALN, sfDraftRIS), []fxOutcome{{Warning, del("aln")}}},
		{"eGFR 25 + alendronate and risedronate drafts -> critical, delete both",
			sfFacts(OrderSign, sfEGFR(25), sfDraftALN, sfDraftRIS), []fxOutcome{{Critical, del("aln", "ris")}}},
		{"eGFR 20 + active alendronate at patient-view -> critical, no delete suggestion",
			sfFacts(PatientView, sfEGFR(20), sfActiveALN()), []fxOutcome{{Critical, nil}}},
		{"eGFR 33 + active alendronate at patient-view -> warning",
			sfFacts(PatientView, sfEGFR(33), sfActiveALN()), []fxOutcome{{Warning, nil}}},
		{"order-select: the selected alendronate draft with eGFR 25 -> critical",
			sfFacts(OrderSelect, sfEGFR(25), sfDraft("aln", true, DrugBisphosphonate, DrugAlendronate), sfDraftRIS),
			[]fxOutcome{{Critical, del("aln")}}},
		{"eGFR 40 last year, newer CrCl 28 -> critical on the newer CrCl",
			sfFacts(OrderSign, append(sfRenal(AnalyteEGFR, Exact, 40, 300), sfRenal(AnalyteCrClCockcroftGault, Exact, 28, 3)...), sfDraftRIS),
			[]fxOutcome{{Critical, del("ris")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fxRun(BisphosphonateEGFRContraindication, tc.facts)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBisphosphonateEGFRContraindicationSilent(t *testing.T) {
	stoppedAln := sfActiveALN()
	stoppedAln.Status, stoppedAln.End = "stopped", sfT.AddDate(0, -2, 0)
	cancelled := sfDraftALN
	cancelled.Status = "cancelled"
	tests := []struct {
		name  string
		facts Facts
	}{
		{"eGFR reported as >60 (comparator, SEED-GP Casus 1) + alendronate draft", sfFacts(OrderSign, sfRenal(AnalyteEGFR, MoreThan, 60, 5), sfDraftALN)},
		{"eGFR reported as >=30 + alendronate draft", sfFacts(OrderSign, sfRenal(AnalyteEGFR, MoreOrEqual, 30, 5), sfDraftALN)},
		{"eGFR reported as <=30 + risedronate draft (30 itself is allowed)", sfFacts(OrderSign, sfRenal(AnalyteEGFR, LessOrEqual, 30, 5), sfDraftRIS)},
		{"eGFR exactly 35 + alendronate draft", sfFacts(OrderSign, sfEGFR(35), sfDraftALN)},
		{"eGFR exactly 30 + risedronate draft (risedronate limit is 30)", sfFacts(OrderSign, sfEGFR(30), sfDraftRIS)},
		{"eGFR 34 + risedronate draft", sfFacts(OrderSign, sfEGFR(34), sfDraftRIS)},
		{"eGFR 25 measured 366 days ago + alendronate draft", sfFacts(OrderSign, sfRenal(AnalyteEGFR, Exact, 25, 366), sfDraftALN)},
		{"eGFR 25 dated after T + alendronate draft", sfFacts(OrderSign, sfRenal(AnalyteEGFR, Exact, 25, -2), sfDraftALN)},
		{"no eGFR at all + alendronate draft (missing labs are R07's job)", sfFacts(OrderSign, nil, sfDraftALN)},
		{"eGFR 25 + denosumab draft (not a bisphosphonate)", sfFacts(OrderSign, sfEGFR(25), sfDraftDmab)},
		{"eGFR 25 at patient-view without a bisphosphonate", sfFacts(PatientView, sfEGFR(25))},
		{"eGFR 25 at patient-view, alendronate stopped 2 months ago", sfFacts(PatientView, sfEGFR(25), stoppedAln)},
		{"eGFR 25 at patient-view, only a draft alendronate order", sfFacts(PatientView, sfEGFR(25), sfDraftALN)},
		{"eGFR 25 + cancelled alendronate draft at order-sign", sfFacts(OrderSign, sfEGFR(25), cancelled)},
		{"eGFR 25 at order-sign with only an active (not draft) alendronate", sfFacts(OrderSign, sfEGFR(25), sfActiveALN())},
		{"order-select: alendronate draft not selected while another order is", sfFacts(OrderSelect, sfEGFR(25), sfDraftALN, sfDraft("dmab", true, DrugDenosumab))},
		{"eGFR 28 last year, newer eGFR 40 + risedronate draft",
			sfFacts(OrderSign, append(sfRenal(AnalyteEGFR, Exact, 28, 300), Lab{Source: "Observation/new", Analyte: AnalyteEGFR, Value: 40, Date: sfT.AddDate(0, 0, -2)}), sfDraftRIS)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fxRun(BisphosphonateEGFRContraindication, tc.facts); len(got) != 0 {
				t.Errorf("want silence, got %+v", got)
			}
		})
	}
}

func TestBisphosphonateEGFRContraindicationCardText(t *testing.T) {
	t.Run("Cockcroft-Gault is named", func(t *testing.T) {
		fd := fxFinding(t, BisphosphonateEGFRContraindication, sfFacts(OrderSign, sfRenal(AnalyteCrClCockcroftGault, Exact, 28, 5), sfDraftRIS))
		if !strings.Contains(fd.Evidence[0].Label.EN, "Cockcroft-Gault") || !strings.Contains(fd.Summary.EN, "Creatinine clearance 28") {
			t.Errorf("CrCl not named: summary %q, evidence %q", fd.Summary.EN, fd.Evidence[0].Label.EN)
		}
		if fd.Evidence[0].Unit != "mL/min" || fd.Evidence[0].Source != "Observation/renal" {
			t.Errorf("evidence %+v", fd.Evidence[0])
		}
	})
	t.Run("warning states the SmPC vs seed disagreement (D4)", func(t *testing.T) {
		fd := fxFinding(t, BisphosphonateEGFRContraindication, sfFacts(OrderSign, sfEGFR(32), sfDraftALN))
		for _, want := range []string{"< 30", "35", "SmPC"} {
			if !strings.Contains(fd.Detail.EN, want) || !strings.Contains(fd.Detail.NL, want) {
				t.Errorf("detail lacks %q:\n%s", want, fd.Detail.EN)
			}
		}
		var th []string
		for _, x := range fd.Thresholds {
			th = append(th, x.EN)
		}
		if j := strings.Join(th, "|"); !strings.Contains(j, "30 ≤ eGFR < 35: zoledronic acid contraindicated") || strings.Contains(j, "sources differ") {
			t.Errorf("thresholds do not name the D4 choice: %v", th)
		}
	})
	t.Run("comparator shown in summary and evidence", func(t *testing.T) {
		fd := fxFinding(t, BisphosphonateEGFRContraindication, sfFacts(OrderSign, sfRenal(AnalyteEGFR, LessThan, 30, 5), sfDraftRIS))
		if fd.Evidence[0].Value != "<30" || !strings.Contains(fd.Summary.NL, "eGFR <30") || strings.Contains(fd.Summary.NL, "<30 <") || strings.Contains(fd.Summary.EN, "<30 <") {
			t.Errorf("comparator lost: %q / %q", fd.Evidence[0].ValueIn("en"), fd.Summary.NL)
		}
	})
	t.Run("denosumab/referral advice in the text", func(t *testing.T) {
		fd := fxFinding(t, BisphosphonateEGFRContraindication, sfFacts(OrderSign, sfEGFR(25), sfDraftALN))
		if !strings.Contains(fd.Detail.EN, "denosumab") || !strings.Contains(fd.Detail.NL, "verwijzing") {
			t.Errorf("detail lacks referral/denosumab advice:\n%s", fd.Detail.EN)
		}
	})
}

// sfZolInfusion is a zoledronic acid 5 mg infusion (a single dose, as a
// MedicationAdministration records it) daysAgo days before T.
func sfZolInfusion(daysAgo int) MedicationRecord {
	return MedicationRecord{Source: "MedicationAdministration/zol", Kind: KindAdministration,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid},
		Code:    "ATC M05BA08", Name: "zoledronic acid", Status: "completed", Start: sfT.AddDate(0, 0, -daysAgo), SingleDose: true, StrengthMg: 5}
}

// A yearly zoledronic acid infusion is treatment for 365 days
// (ActiveOsteoporosisDrug); the patient-view safety checks must see it.
func TestBisphosphonateSafetyAtPatientViewCountsZoledronicInfusion(t *testing.T) {
	zol4 := sfZolInfusion(100)
	zol4.StrengthMg = 4
	tests := []struct {
		name string
		rule Rule
		f    Facts
		want []fxOutcome
	}{
		{"zoledronic acid infusion 100 days ago and eGFR 25 -> critical renal card",
			BisphosphonateEGFRContraindication, sfFacts(PatientView, sfEGFR(25), sfZolInfusion(100)), []fxOutcome{{Critical, nil}}},
		{"zoledronic acid infusion 100 days ago and ALP 30 -> low-ALP warning",
			BisphosphonateLowALP, sfFacts(PatientView, []Lab{{Source: "Observation/alp", Analyte: AnalyteALP, Value: 30, Date: sfT.AddDate(0, 0, -10)}}, sfZolInfusion(100)),
			[]fxOutcome{{Warning, []string{KeyRepeatALP}}}},
		{"zoledronic acid infusion 400 days ago (no longer covering) and eGFR 25 -> silent",
			BisphosphonateEGFRContraindication, sfFacts(PatientView, sfEGFR(25), sfZolInfusion(400)), nil},
		{"zoledronic acid 4 mg (oncology) 100 days ago and eGFR 25 -> silent",
			BisphosphonateEGFRContraindication, sfFacts(PatientView, sfEGFR(25), zol4), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fxRun(tc.rule, tc.f)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

// Aclasta SmPC: zoledronic acid is contraindicated at creatinine clearance
// < 35 mL/min; the alendronate SmPC only says "not recommended" below 35.
func TestZoledronicAcidContraindicatedBelow35AlendronateNotRecommended(t *testing.T) {
	t.Run("eGFR 32 + zoledronic acid draft at order-sign -> critical, 'gecontra-indiceerd'", func(t *testing.T) {
		fd := fxFinding(t, BisphosphonateEGFRContraindication, sfFacts(OrderSign, sfEGFR(32), sfDraftZOL))
		if fd.Indicator != Critical {
			t.Errorf("indicator %s, want critical", fd.Indicator)
		}
		if !strings.Contains(fd.Summary.NL, "gecontra-indiceerd") || !strings.Contains(fd.Summary.EN, "contraindicated") || strings.Contains(fd.Summary.NL, "niet aanbevolen") {
			t.Errorf("summary %q / %q", fd.Summary.NL, fd.Summary.EN)
		}
		var th []string
		for _, x := range fd.Thresholds {
			th = append(th, x.NL)
		}
		if j := strings.Join(th, "|"); !strings.Contains(j, "zoledroninezuur gecontra-indiceerd") || strings.Contains(j, "bronnen verschillen") {
			t.Errorf("thresholds do not state the D4 choice for zoledronic acid: %v", th)
		}
	})
	t.Run("eGFR 32 + active zoledronic acid infusion at patient-view -> critical", func(t *testing.T) {
		if diff := cmp.Diff([]fxOutcome{{Critical, nil}}, fxRun(BisphosphonateEGFRContraindication, sfFacts(PatientView, sfEGFR(32), sfZolInfusion(100)))); diff != "" {
			t.Errorf("outcome (-want +got):\n%s", diff)
		}
	})
	t.Run("eGFR 32 + alendronate draft -> still warning, 'niet aanbevolen'", func(t *testing.T) {
		fd := fxFinding(t, BisphosphonateEGFRContraindication, sfFacts(OrderSign, sfEGFR(32), sfDraftALN))
		if fd.Indicator != Warning || !strings.Contains(fd.Summary.NL, "niet aanbevolen") {
			t.Errorf("got %s %q", fd.Indicator, fd.Summary.NL)
		}
	})
}
