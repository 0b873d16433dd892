package fhir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// loadMedFixture decodes testdata/meds/<name>: resources (kept raw by
// "Type/id", as the decoders do), draft orders and selections.
func loadMedFixture(t *testing.T, name string) *resources {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "meds", name))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Resources   []json.RawMessage `json:"resources"`
		DraftOrders []json.RawMessage `json:"draftOrders"`
		Selections  []string          `json:"selections"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	res := &resources{
		medications: map[string]r4.Medication{},
		raw:         map[rules.Ref]json.RawMessage{},
		selections:  f.Selections,
	}
	decode := func(raw json.RawMessage, draft bool) {
		var hdr struct{ ResourceType, ID string }
		if err := json.Unmarshal(raw, &hdr); err != nil {
			t.Fatal(err)
		}
		res.raw[rules.Ref(hdr.ResourceType+"/"+hdr.ID)] = raw
		var err error
		switch hdr.ResourceType {
		case "MedicationStatement":
			var s medicationStatement
			s, err = decodeAs[medicationStatement](raw)
			res.medicationStatements = append(res.medicationStatements, &s)
		case "MedicationRequest":
			var r medicationRequest
			r, err = decodeAs[medicationRequest](raw)
			if err == nil && !r.valid() {
				err = fmt.Errorf("invalid enum code")
			}
			if draft {
				res.draftMedicationRequests = append(res.draftMedicationRequests, &r)
			} else {
				res.medicationRequests = append(res.medicationRequests, &r)
			}
		case "MedicationAdministration":
			var a medicationAdministration
			a, err = decodeAs[medicationAdministration](raw)
			res.medicationAdministrations = append(res.medicationAdministrations, &a)
		case "Medication":
			var m r4.Medication
			m, err = r4.UnmarshalMedication(raw)
			res.medications["Medication/"+hdr.ID] = m
		default:
			t.Fatalf("%s: unexpected %s", name, hdr.ResourceType)
		}
		if err != nil {
			t.Fatalf("%s: %s/%s: %v", name, hdr.ResourceType, hdr.ID, err)
		}
	}
	for _, raw := range f.Resources {
		decode(raw, false)
	}
	for _, raw := range f.DraftOrders {
		decode(raw, true)
	}
	return res
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse("2006-01-02", s)
	}
	if err != nil {
		panic(err)
	}
	return t
}

func TestMedicationRecords(t *testing.T) {
	bp := rules.DrugBisphosphonate
	tests := []struct {
		name     string
		fixture  string
		wantRecs []rules.MedicationRecord
		wantGaps []rules.Gap
	}{
		{
			name:    "statements: period, single denosumab dose, inhaled H02AB, missing status; entered-in-error and irrelevant drugs skipped",
			fixture: "statements.json",
			wantRecs: []rules.MedicationRecord{
				{
					Source: "MedicationStatement/aln-period", Kind: rules.KindStatement,
					Classes: []rules.DrugClass{bp, rules.DrugBisphosphonateOral, rules.DrugAlendronate},
					Code:    "ATC M05BA04", Name: "alendronic acid", NameNL: "alendroninezuur", Status: "active",
					Start: day("2020-01-15"), End: day("2023-06-30"),
					StrengthMg: 70, DailyDoseMg: 10, Route: "oral",
				},
				{
					Source: "MedicationStatement/prolia-dose", Kind: rules.KindStatement,
					Classes: []rules.DrugClass{rules.DrugDenosumab}, Code: "ATC M05BX04", Name: "denosumab", NameNL: "denosumab",
					Status: "completed", Start: day("2024-03-01"), SingleDose: true, StrengthMg: 60,
				},
				{
					Source: "MedicationStatement/pred-inhaled", Kind: rules.KindStatement,
					Classes: []rules.DrugClass{rules.DrugGlucocorticoidLocal}, Code: "ATC H02AB06", Name: "prednisolone", NameNL: "prednisolon",
					Status: "active", Start: day("2024-02-01"), Route: "inhalation",
				},
				{
					Source: "MedicationStatement/no-status", Kind: rules.KindStatement,
					Classes: []rules.DrugClass{rules.DrugMethotrexate}, Code: "ATC L04AX03", Name: "methotrexate", NameNL: "methotrexaat",
					Status: "", Start: day("2019-05-01"),
				},
				{
					Source: "MedicationStatement/bad-date", Kind: rules.KindStatement,
					Classes: []rules.DrugClass{rules.DrugDenosumab}, Code: "ATC M05BX04", Name: "denosumab", NameNL: "denosumab",
					Status: "active", SingleDose: true,
				},
			},
			wantGaps: []rules.Gap{{
				Source: "MedicationStatement/bad-date",
				What:   rules.Text{NL: "onleesbare medicatiedatum in MedicationStatement/bad-date", EN: "unreadable medication date in MedicationStatement/bad-date"},
			}},
		},
		{
			name:    "requests: supply with repeats, validity period, weeks, contained and server Medication, unresolvable reference",
			fixture: "requests.json",
			wantRecs: []rules.MedicationRecord{
				{
					Source: "MedicationRequest/pred-repeats", Kind: rules.KindRequest,
					Classes: []rules.DrugClass{rules.DrugGlucocorticoidSystemic}, Code: "RxNorm 8638", Name: "prednisolone", NameNL: "prednisolon",
					Status: "active", Start: day("2024-01-10"), End: day("2024-04-09"), SupplyDays: 90,
					StrengthMg: 5, DailyDoseMg: 10, Route: "oral",
				},
				{
					Source: "MedicationRequest/ris-validity", Kind: rules.KindRequest,
					Classes: []rules.DrugClass{bp, rules.DrugBisphosphonateOral, rules.DrugRisedronate},
					Code:    "ATC M05BA07", Name: "risedronic acid", NameNL: "risedroninezuur", Status: "completed",
					Start: day("2023-03-01T09:30:00+01:00"), End: day("2023-08-28"), SupplyDays: 180,
					PlannedDate: day("2023-03-01"),
				},
				{
					Source: "MedicationRequest/aln-weeks", Kind: rules.KindRequest,
					Classes: []rules.DrugClass{bp, rules.DrugBisphosphonateOral, rules.DrugAlendronate},
					Code:    "ATC M05BA04", Name: "alendronic acid", NameNL: "alendroninezuur", Status: "stopped", DoNotPerform: true,
					Start: day("2022-01-01"), End: day("2022-03-26"), SupplyDays: 84,
				},
				{
					Source: "MedicationRequest/dmab-contained", Kind: rules.KindRequest,
					Classes: []rules.DrugClass{rules.DrugDenosumab}, Code: "ATC M05BX04", Name: "denosumab", NameNL: "denosumab",
					Status: "active", Start: day("2024-05-02"), StrengthMg: 120,
				},
				{
					Source: "MedicationRequest/ref-server", Kind: rules.KindRequest,
					Classes: []rules.DrugClass{bp, rules.DrugBisphosphonateIV, rules.DrugZoledronicAcid},
					Code:    "ATC M05BA08", Name: "zoledronic acid", NameNL: "zoledroninezuur", Status: "active", Start: day("2024-06-01"), StrengthMg: 5,
				},
			},
			wantGaps: []rules.Gap{{
				Source: "MedicationRequest/ref-missing",
				What:   rules.Text{NL: "medicatiecode onbekend voor MedicationRequest/ref-missing", EN: "medication code unknown for MedicationRequest/ref-missing"},
			}},
		},
		{
			name:    "administrations: dateTime and period, each a single dose; entered-in-error skipped",
			fixture: "administrations.json",
			wantRecs: []rules.MedicationRecord{
				{
					Source: "MedicationAdministration/zol-infusion", Kind: rules.KindAdministration,
					Classes: []rules.DrugClass{bp, rules.DrugBisphosphonateIV, rules.DrugZoledronicAcid},
					Code:    "ATC M05BA08", Name: "zoledronic acid", NameNL: "zoledroninezuur", Status: "completed",
					Start: day("2023-11-20T10:15:00+01:00"), SingleDose: true, StrengthMg: 5, Route: "intravenous",
				},
				{
					Source: "MedicationAdministration/dmab-period", Kind: rules.KindAdministration,
					Classes: []rules.DrugClass{rules.DrugDenosumab}, Code: "ATC M05BX04", Name: "denosumab", NameNL: "denosumab",
					Status: "completed", Start: day("2024-04-02T09:00:00Z"), SingleDose: true, StrengthMg: 60, Route: "subcutaneous",
				},
			},
		},
		{
			name:    "draft orders: selected one with a planned event, unselected one with a validity period",
			fixture: "drafts.json",
			wantRecs: []rules.MedicationRecord{
				{
					Source: "MedicationRequest/draft-zol", Kind: rules.KindDraftOrder, Selected: true,
					Classes: []rules.DrugClass{bp, rules.DrugBisphosphonateIV, rules.DrugZoledronicAcid},
					Code:    "RxNorm 77655", Name: "zoledronic acid", NameNL: "zoledroninezuur", Status: "draft",
					Start: day("2024-09-01"), PlannedDate: day("2024-10-15"), StrengthMg: 5, Route: "intravenous",
				},
				{
					Source: "MedicationRequest/draft-ppi", Kind: rules.KindDraftOrder,
					Classes: []rules.DrugClass{rules.DrugPPI}, Code: "ATC A02BC01", Name: "omeprazole", NameNL: "omeprazol", Status: "draft",
					Start: day("2024-09-01"), End: day("2024-12-04"), SupplyDays: 90, PlannedDate: day("2024-09-05"),
				},
			},
		},
	}
	term := medTerminology(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := loadMedFixture(t, tt.fixture)
			recs, gaps := medicationRecords(res, Input{PatientID: "p1"}, term)
			if diff := cmp.Diff(tt.wantRecs, recs); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantGaps, gaps); diff != "" {
				t.Errorf("gaps mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMedicationRecordsContainedWithoutRaw(t *testing.T) {
	// A decoder that does not keep raw JSON registers contained
	// Medications with addContained (addStatement) instead.
	raw := json.RawMessage(`{"resourceType":"MedicationStatement","id":"s1","status":"active",
		"contained":[{"resourceType":"Medication","id":"m","code":{"coding":[{"system":"http://www.whocc.no/atc","code":"H05AA02"}]}}],
		"medicationReference":{"reference":"#m"},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-01-01"}`)
	s, err := decodeAs[medicationStatement](raw)
	if err != nil {
		t.Fatal(err)
	}
	res := &resources{}
	res.addStatement(&s)
	recs, gaps := medicationRecords(res, Input{}, DefaultTerminology())
	want := []rules.MedicationRecord{{
		Source: "MedicationStatement/s1", Kind: rules.KindStatement, Classes: []rules.DrugClass{rules.DrugTeriparatide},
		Code: "ATC H05AA02", Name: "teriparatide", NameNL: "teriparatide", Status: "active", Start: day("2024-01-01"),
	}}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("records mismatch (-want +got):\n%s", diff)
	}
	if len(gaps) != 0 {
		t.Errorf("gaps = %v, want none", gaps)
	}
}

func TestMedicationRecordsWithoutAnyMedicationIsAGap(t *testing.T) {
	s, err := decodeAs[medicationStatement]([]byte(`{"resourceType":"MedicationStatement","id":"empty","status":"active","subject":{"reference":"Patient/p1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	recs, gaps := medicationRecords(&resources{medicationStatements: []*medicationStatement{&s}}, Input{}, DefaultTerminology())
	if len(recs) != 0 {
		t.Errorf("records = %v, want none", recs)
	}
	want := []rules.Gap{{Source: "MedicationStatement/empty", What: unknownMedicationText("MedicationStatement/empty")}}
	if diff := cmp.Diff(want, gaps); diff != "" {
		t.Errorf("gaps mismatch (-want +got):\n%s", diff)
	}
}

func TestDailyDose(t *testing.T) {
	tests := []struct {
		name         string
		dosage       string // JSON array of Dosage
		unitStrength float64
		want         float64
	}{
		{"prednisolone 10 mg once daily is 10 mg/day",
			`[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":10,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}]}]`, 0, 10},
		{"prednisolone 5 mg twice daily is 10 mg/day",
			`[{"timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":5,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}]}]`, 0, 10},
		{"5 mg morning plus 5 mg evening as two dosages is 10 mg/day",
			`[{"timing":{"repeat":{"when":["MORN"]}},"doseAndRate":[{"doseQuantity":{"value":5,"code":"mg"}}]},
			  {"timing":{"repeat":{"when":["EVE"]}},"doseAndRate":[{"doseQuantity":{"value":5,"code":"mg"}}]}]`, 0, 10},
		{"two 5 mg tablets BID by timing code is 20 mg/day",
			`[{"timing":{"code":{"coding":[{"code":"BID"}]}},"doseAndRate":[{"doseQuantity":{"value":2,"unit":"tablet","code":"{tbl}"}}]}]`, 5, 20},
		{"tablets without a known strength give no daily dose",
			`[{"timing":{"code":{"coding":[{"code":"BID"}]}},"doseAndRate":[{"doseQuantity":{"value":2,"unit":"tablet","code":"{tbl}"}}]}]`, 0, 0},
		{"a dose without a unit is not guessed",
			`[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":10}}]}]`, 5, 0},
		{"alendronate 70 mg weekly is 10 mg/day",
			`[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}},"doseAndRate":[{"doseQuantity":{"value":70,"code":"mg"}}]}]`, 0, 10},
		{"methotrexate 15 mg on Mondays is 15/7 mg/day",
			`[{"timing":{"repeat":{"dayOfWeek":["mon"]}},"doseAndRate":[{"doseQuantity":{"value":15,"code":"mg"}}]}]`, 0, 2.143},
		{"0.5 g every other day (period 2 d) is 250 mg/day",
			`[{"timing":{"repeat":{"frequency":1,"period":2,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":0.5,"code":"g"}}]}]`, 0, 250},
		{"a dose range is not read",
			`[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseRange":{"low":{"value":5,"code":"mg"},"high":{"value":10,"code":"mg"}}}]}]`, 0, 0},
		{"a concurrent dosage without timing makes the daily dose unknown",
			`[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":10,"code":"mg"}}]},
			  {"doseAndRate":[{"doseQuantity":{"value":5,"code":"mg"}}]}]`, 0, 0},
		{"a later taper phase (sequence 2) is not added",
			`[{"sequence":1,"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":30,"code":"mg"}}]},
			  {"sequence":2,"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":20,"code":"mg"}}]}]`, 0, 30},
		{"a single event has no daily rate",
			`[{"timing":{"event":["2024-01-01"]},"doseAndRate":[{"doseQuantity":{"value":60,"code":"mg"}}]}]`, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A statement's dosage is decoded as dosage, a request's as
			// requestDosage: both must read the same.
			var ds []dosage
			if err := json.Unmarshal([]byte(tt.dosage), &ds); err != nil {
				t.Fatal(err)
			}
			if got := dosageSummary(ds, tt.unitStrength).dailyMg; got != tt.want {
				t.Errorf("daily dose = %v mg, want %v mg", got, tt.want)
			}
			r, err := decodeAs[medicationRequest]([]byte(`{"resourceType":"MedicationRequest","dosageInstruction":` + tt.dosage + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if got := dosageSummary(r.dosages(), tt.unitStrength).dailyMg; got != tt.want {
				t.Errorf("request: daily dose = %v mg, want %v mg", got, tt.want)
			}
		})
	}
}
