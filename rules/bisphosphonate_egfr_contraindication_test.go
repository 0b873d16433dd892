package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var bpT = fxDate("2025-03-01")

func bpDraft(id string, selected bool, classes ...DrugClass) MedicationRecord {
	name := map[DrugClass]string{DrugAlendronate: "alendronic acid", DrugRisedronate: "risedronic acid", DrugZoledronicAcid: "zoledronic acid",
		DrugDenosumab: "denosumab", DrugRomosozumab: "romosozumab"}[classes[len(classes)-1]]
	return MedicationRecord{Source: Ref("MedicationRequest/" + id), Kind: KindDraftOrder, Classes: classes,
		Code: "ATC " + id, Name: name, Status: "draft", Selected: selected}
}

var (
	draftAlendronate = bpDraft("aln", false, DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate)
	draftRisedronate = bpDraft("ris", false, DrugBisphosphonate, DrugBisphosphonateOral, DrugRisedronate)
	draftZoledronic  = bpDraft("zol", false, DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid)
	draftDenosumab   = bpDraft("dmab", false, DrugDenosumab)
)

func activeAlendronate() MedicationRecord {
	return MedicationRecord{Source: "MedicationStatement/aln", Kind: KindStatement,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
		Code:    "ATC M05BA04", Name: "alendronic acid", Status: "active", Start: bpT.AddDate(-2, 0, 0)}
}

// bpFacts is a 72-year-old woman at hook h with the given labs and
// medication records.
func bpFacts(h Hook, labs []Lab, meds ...MedicationRecord) Facts {
	return Facts{AsOf: bpT, Hook: h, Patient: Patient{ID: "p", BirthDate: fxDate("1952-05-05"), Gender: "female"}, Labs: labs, Medications: meds}
}

func renalLab(a Analyte, cmp Comparator, v float64, daysAgo int) []Lab {
	return []Lab{{Source: "Observation/renal", Analyte: a, Comparator: cmp, Value: v, Date: bpT.AddDate(0, 0, -daysAgo), Code: "LOINC"}}
}

func egfr(v float64) []Lab { return renalLab(AnalyteEGFR, Exact, v, 20) }

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
			bpFacts(OrderSign, egfr(25), draftAlendronate), []fxOutcome{{Critical, del("aln")}}},
		{"eGFR 29.9 + risedronate draft -> critical",
			bpFacts(OrderSign, egfr(29.9), draftRisedronate), []fxOutcome{{Critical, del("ris")}}},
		{"eGFR exactly 30 + alendronate draft -> warning (SmPC 35, D4)",
			bpFacts(OrderSign, egfr(30), draftAlendronate), []fxOutcome{{Warning, del("aln")}}},
		{"eGFR 34.9 + zoledronic acid draft at order-select -> warning",
			bpFacts(OrderSelect, egfr(34.9), draftZoledronic), []fxOutcome{{Warning, del("zol")}}},
		{"Cockcroft-Gault CrCl 28 mL/min + risedronate draft -> critical",
			bpFacts(OrderSign, renalLab(AnalyteCrClCockcroftGault, Exact, 28, 5), draftRisedronate), []fxOutcome{{Critical, del("ris")}}},
		{"eGFR reported as <30 + risedronate draft -> critical",
			bpFacts(OrderSign, renalLab(AnalyteEGFR, LessThan, 30, 5), draftRisedronate), []fxOutcome{{Critical, del("ris")}}},
		{"eGFR reported as <35 + alendronate draft -> warning",
			bpFacts(OrderSign, renalLab(AnalyteEGFR, LessThan, 35, 5), draftAlendronate), []fxOutcome{{Warning, del("aln")}}},
		{"eGFR 25 measured 365 days ago + alendronate draft -> critical",
			bpFacts(OrderSign, renalLab(AnalyteEGFR, Exact, 25, 365), draftAlendronate), []fxOutcome{{Critical, del("aln")}}},
		{"eGFR 32 + alendronate and risedronate drafts -> warning, delete only alendronate",
			bpFacts(OrderSign, egfr(32), draftAlendronate, draftRisedronate), []fxOutcome{{Warning, del("aln")}}},
		{"eGFR 25 + alendronate and risedronate drafts -> critical, delete both",
			bpFacts(OrderSign, egfr(25), draftAlendronate, draftRisedronate), []fxOutcome{{Critical, del("aln", "ris")}}},
		{"eGFR 20 + active alendronate at patient-view -> critical, no delete suggestion",
			bpFacts(PatientView, egfr(20), activeAlendronate()), []fxOutcome{{Critical, nil}}},
		{"eGFR 33 + active alendronate at patient-view -> warning",
			bpFacts(PatientView, egfr(33), activeAlendronate()), []fxOutcome{{Warning, nil}}},
		{"order-select: the selected alendronate draft with eGFR 25 -> critical",
			bpFacts(OrderSelect, egfr(25), bpDraft("aln", true, DrugBisphosphonate, DrugAlendronate), draftRisedronate),
			[]fxOutcome{{Critical, del("aln")}}},
		{"eGFR 40 last year, newer CrCl 28 -> critical on the newer CrCl",
			bpFacts(OrderSign, append(renalLab(AnalyteEGFR, Exact, 40, 300), renalLab(AnalyteCrClCockcroftGault, Exact, 28, 3)...), draftRisedronate),
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
	stoppedAln := activeAlendronate()
	stoppedAln.Status, stoppedAln.End = "stopped", bpT.AddDate(0, -2, 0)
	cancelled := draftAlendronate
	cancelled.Status = "cancelled"
	tests := []struct {
		name  string
		facts Facts
	}{
		{"eGFR reported as >60 (comparator, SEED-GP Casus 1) + alendronate draft", bpFacts(OrderSign, renalLab(AnalyteEGFR, MoreThan, 60, 5), draftAlendronate)},
		{"eGFR reported as >=30 + alendronate draft", bpFacts(OrderSign, renalLab(AnalyteEGFR, MoreOrEqual, 30, 5), draftAlendronate)},
		{"eGFR reported as <=30 + risedronate draft (30 itself is allowed)", bpFacts(OrderSign, renalLab(AnalyteEGFR, LessOrEqual, 30, 5), draftRisedronate)},
		{"eGFR exactly 35 + alendronate draft", bpFacts(OrderSign, egfr(35), draftAlendronate)},
		{"eGFR exactly 30 + risedronate draft (risedronate limit is 30)", bpFacts(OrderSign, egfr(30), draftRisedronate)},
		{"eGFR 34 + risedronate draft", bpFacts(OrderSign, egfr(34), draftRisedronate)},
		{"eGFR 25 measured 366 days ago + alendronate draft", bpFacts(OrderSign, renalLab(AnalyteEGFR, Exact, 25, 366), draftAlendronate)},
		{"eGFR 25 dated after T + alendronate draft", bpFacts(OrderSign, renalLab(AnalyteEGFR, Exact, 25, -2), draftAlendronate)},
		{"no eGFR at all + alendronate draft (missing labs are R07's job)", bpFacts(OrderSign, nil, draftAlendronate)},
		{"eGFR 25 + denosumab draft (not a bisphosphonate)", bpFacts(OrderSign, egfr(25), draftDenosumab)},
		{"eGFR 25 at patient-view without a bisphosphonate", bpFacts(PatientView, egfr(25))},
		{"eGFR 25 at patient-view, alendronate stopped 2 months ago", bpFacts(PatientView, egfr(25), stoppedAln)},
		{"eGFR 25 at patient-view, only a draft alendronate order", bpFacts(PatientView, egfr(25), draftAlendronate)},
		{"eGFR 25 + cancelled alendronate draft at order-sign", bpFacts(OrderSign, egfr(25), cancelled)},
		{"eGFR 25 at order-sign with only an active (not draft) alendronate", bpFacts(OrderSign, egfr(25), activeAlendronate())},
		{"order-select: alendronate draft not selected while another order is", bpFacts(OrderSelect, egfr(25), draftAlendronate, bpDraft("dmab", true, DrugDenosumab))},
		{"eGFR 28 last year, newer eGFR 40 + risedronate draft",
			bpFacts(OrderSign, append(renalLab(AnalyteEGFR, Exact, 28, 300), Lab{Source: "Observation/new", Analyte: AnalyteEGFR, Value: 40, Date: bpT.AddDate(0, 0, -2)}), draftRisedronate)},
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
		fd := fxFinding(t, BisphosphonateEGFRContraindication, bpFacts(OrderSign, renalLab(AnalyteCrClCockcroftGault, Exact, 28, 5), draftRisedronate))
		if !strings.Contains(fd.Evidence[0].Label.EN, "Cockcroft-Gault") || !strings.Contains(fd.Summary.EN, "Creatinine clearance 28") {
			t.Errorf("CrCl not named: summary %q, evidence %q", fd.Summary.EN, fd.Evidence[0].Label.EN)
		}
		if fd.Evidence[0].Unit != "mL/min" || fd.Evidence[0].Source != "Observation/renal" {
			t.Errorf("evidence %+v", fd.Evidence[0])
		}
	})
	t.Run("warning states the SmPC vs seed disagreement (D4)", func(t *testing.T) {
		fd := fxFinding(t, BisphosphonateEGFRContraindication, bpFacts(OrderSign, egfr(32), draftAlendronate))
		for _, want := range []string{"< 30", "35", "SmPC"} {
			if !strings.Contains(fd.Detail.EN, want) || !strings.Contains(fd.Detail.NL, want) {
				t.Errorf("detail lacks %q:\n%s", want, fd.Detail.EN)
			}
		}
		var th []string
		for _, x := range fd.Thresholds {
			th = append(th, x.EN)
		}
		if !strings.Contains(strings.Join(th, "|"), "D4") {
			t.Errorf("thresholds do not name the D4 choice: %v", th)
		}
	})
	t.Run("comparator shown in summary and evidence", func(t *testing.T) {
		fd := fxFinding(t, BisphosphonateEGFRContraindication, bpFacts(OrderSign, renalLab(AnalyteEGFR, LessThan, 30, 5), draftRisedronate))
		if fd.Evidence[0].Value != "<30" || !strings.Contains(fd.Summary.NL, "eGFR <30") {
			t.Errorf("comparator lost: %q / %q", fd.Evidence[0].Value, fd.Summary.NL)
		}
	})
	t.Run("denosumab/referral advice in the text", func(t *testing.T) {
		fd := fxFinding(t, BisphosphonateEGFRContraindication, bpFacts(OrderSign, egfr(25), draftAlendronate))
		if !strings.Contains(fd.Detail.EN, "denosumab") || !strings.Contains(fd.Detail.NL, "verwijzing") {
			t.Errorf("detail lacks referral/denosumab advice:\n%s", fd.Detail.EN)
		}
	})
}
