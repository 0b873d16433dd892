package rules

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var giT = fxDate("2025-09-15")

func giDraft(id string, selected bool, status string, classes ...DrugClass) MedicationRecord {
	name := map[DrugClass]string{DrugAlendronate: "alendronic acid", DrugRisedronate: "risedronic acid",
		DrugZoledronicAcid: "zoledronic acid", DrugDenosumab: "denosumab"}[classes[len(classes)-1]]
	return MedicationRecord{Source: Ref("MedicationRequest/" + id), Kind: KindDraftOrder, Classes: classes,
		Code: "ATC " + id, Name: name, Status: status, Selected: selected}
}

var (
	giALN  = giDraft("aln", true, "draft", DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate)
	giRIS  = giDraft("ris", true, "draft", DrugBisphosphonate, DrugBisphosphonateOral, DrugRisedronate)
	giZOL  = giDraft("zol", true, "draft", DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid)
	giDmab = giDraft("dmab", true, "draft", DrugDenosumab)

	giStricture = Condition{Source: "Condition/stricture", Concepts: []Concept{ConceptOesophagealDisorder}, Code: "SNOMED CT oesophageal stricture", Active: true}
	giAchalasia = Condition{Source: "Condition/achalasia", Concepts: []Concept{ConceptOesophagealDisorder}, Code: "SNOMED CT achalasia", Active: true}
	giHernia    = Condition{Source: "Condition/hernia", Concepts: []Concept{ConceptHiatalHernia}, Code: "SNOMED CT 84089009", Active: true}
	giPPI       = MedicationRecord{Source: "MedicationStatement/ppi", Kind: KindStatement, Classes: []DrugClass{DrugPPI},
		Code: "ATC A02BC01", Name: "omeprazole", Status: "active", Start: giT.AddDate(-3, 0, 0)}
)

func giFacts(h Hook, conds []Condition, meds ...MedicationRecord) Facts {
	return Facts{AsOf: giT, Hook: h, Patient: Patient{ID: "p", BirthDate: fxDate("1945-05-01"), Gender: "male"}, Conditions: conds, Medications: meds}
}

// giSafeLabs gives f fresh normal safety labs (10 days before giT): these
// tests are about the oesophagus, not about the labs first
// (TestLabsBeforeBisphosphonate).
func giSafeLabs(f Facts) Facts {
	if f.Labs != nil {
		return f
	}
	for _, l := range plSafeLabs() {
		l.Date = giT.AddDate(0, 0, -10)
		f.Labs = append(f.Labs, l)
	}
	return f
}

func TestOralBisphosphonateGICautionFires(t *testing.T) {
	zolAndDelete := func(ids ...string) []string {
		out := []string{KeyOrderZoledronicAcid}
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
		{"alendronate selected at order-select with an oesophageal stricture",
			giFacts(OrderSelect, []Condition{giStricture}, giALN), []fxOutcome{{Warning, zolAndDelete("aln")}}},
		{"S6: alendronate at order-sign with hiatal hernia and an active PPI",
			giFacts(OrderSign, []Condition{giHernia}, giPPI, giALN), []fxOutcome{{Warning, zolAndDelete("aln")}}},
		{"risedronate with achalasia (no PPI needed)",
			giFacts(OrderSign, []Condition{giAchalasia}, giRIS), []fxOutcome{{Warning, zolAndDelete("ris")}}},
		{"alendronate and risedronate drafts at order-sign: one card, both deletable",
			giFacts(OrderSign, []Condition{giStricture}, giALN, giRIS), []fxOutcome{{Warning, zolAndDelete("aln", "ris")}}},
		{"order-select without selections in the request: every oral draft counts",
			giFacts(OrderSelect, []Condition{giStricture}, giDraft("aln", false, "draft", DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate)),
			[]fxOutcome{{Warning, zolAndDelete("aln")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fxRun(OralBisphosphonateGICaution, giSafeLabs(tc.facts))); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOralBisphosphonateGICautionStaysSilent(t *testing.T) {
	inactive := giStricture
	inactive.Active = false
	stoppedPPI := giPPI
	stoppedPPI.Status, stoppedPPI.End = "stopped", giT.AddDate(0, -2, 0)
	tests := []struct {
		name  string
		facts Facts
	}{
		{"hiatal hernia without a PPI", giFacts(OrderSign, []Condition{giHernia}, giALN)},
		{"PPI without hiatal hernia or oesophageal disorder", giFacts(OrderSign, nil, giPPI, giALN)},
		{"hiatal hernia with a PPI stopped two months ago", giFacts(OrderSign, []Condition{giHernia}, stoppedPPI, giALN)},
		{"resolved oesophageal stricture", giFacts(OrderSign, []Condition{inactive}, giALN)},
		{"zoledronic acid IV draft with a stricture", giFacts(OrderSign, []Condition{giStricture}, giZOL)},
		{"denosumab draft with a stricture", giFacts(OrderSign, []Condition{giStricture}, giDmab)},
		{"order-select: denosumab selected, the oral draft is not",
			giFacts(OrderSelect, []Condition{giStricture}, giDmab, giDraft("aln", false, "draft", DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate))},
		{"cancelled oral draft", giFacts(OrderSign, []Condition{giStricture}, giDraft("aln", true, "cancelled", DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate))},
		{"no draft: alendronate already in use (not an order hook decision)",
			giFacts(OrderSign, []Condition{giStricture}, MedicationRecord{Source: "MedicationStatement/aln", Kind: KindStatement,
				Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate}, Name: "alendronic acid", Status: "active", Start: giT.AddDate(-1, 0, 0)})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fxRun(OralBisphosphonateGICaution, tc.facts); len(got) != 0 {
				t.Errorf("want no finding, got %+v", got)
			}
		})
	}
	t.Run("patient-view is not a hook of this rule", func(t *testing.T) {
		if got := fxRun(OralBisphosphonateGICaution, giFacts(PatientView, []Condition{giStricture}, giALN)); len(got) != 0 {
			t.Errorf("want no finding, got %+v", got)
		}
	})
}

func TestOralBisphosphonateGICautionCard(t *testing.T) {
	fd := fxFinding(t, OralBisphosphonateGICaution, giSafeLabs(giFacts(OrderSign, []Condition{giHernia}, giPPI, giALN)))
	wantSummary := Text{
		NL: "Voorzichtig met alendronic acid bij hiatushernia met maagzuurremmer: overweeg zoledroninezuur iv",
		EN: "Caution with alendronic acid in hiatal hernia on a PPI: consider IV zoledronic acid",
	}
	if diff := cmp.Diff(wantSummary, fd.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	for _, s := range []string{fd.Summary.NL, fd.Summary.EN} {
		if utf8.RuneCountInString(s) >= 140 {
			t.Errorf("summary too long: %s", s)
		}
	}
	if fd.SelectionAny {
		t.Error("suggestions must be at-most-one")
	}
	type act struct {
		Type  ActionType
		Drug  Drug
		Ref   Ref
		IsNow bool
	}
	var got []act
	for _, a := range fd.Suggestions[0].Actions {
		x := act{Type: a.Type, Ref: a.ResourceID}
		if a.Order != nil {
			x.Drug, x.IsNow = a.Order.Drug, a.Order.Date.IsZero()
		}
		got = append(got, x)
	}
	want := []act{{Create, DrugOrderZoledronicAcid5mg, "", true}, {Delete, "", "MedicationRequest/aln", false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("switch suggestion actions (-want +got):\n%s", diff)
	}
	var srcs []Ref
	for _, e := range fd.Evidence {
		srcs = append(srcs, e.Source)
	}
	if diff := cmp.Diff([]Ref{"Condition/hernia", "MedicationStatement/ppi", "MedicationRequest/aln"}, srcs); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	if !strings.Contains(fd.Detail.EN, "upright") || strings.Contains(fd.Detail.NL, "productinformatie") {
		t.Errorf("detail:\n%s", fd.Detail.NL)
	}
}
