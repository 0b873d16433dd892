package rules

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var cxT = fxDate("2024-06-01")

func cxContext(f Facts) *Context {
	if f.AsOf.IsZero() {
		f.AsOf = cxT
	}
	return &Context{Facts: f, Thresholds: DefaultThresholds()}
}

func TestAge(t *testing.T) {
	tests := []struct {
		name  string
		birth string
		asOf  string
		want  int
	}{
		{"day before the 50th birthday -> 49", "1974-06-02", "2024-06-01", 49},
		{"on the 50th birthday -> 50", "1974-06-01", "2024-06-01", 50},
		{"day after the 50th birthday -> 50", "1974-05-31", "2024-06-01", 50},
		{"born 29 February, 28 February of a common year -> not yet", "2000-02-29", "2023-02-28", 22},
		{"born 29 February, 1 March of a common year -> birthday passed", "2000-02-29", "2023-03-01", 23},
		{"born 29 February, 29 February of a leap year", "2000-02-29", "2024-02-29", 24},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cxContext(Facts{AsOf: fxDate(tc.asOf), Patient: Patient{BirthDate: fxDate(tc.birth)}})
			got, ok := c.Age()
			if !ok || got != tc.want {
				t.Errorf("Age() = %d, %v; want %d, true", got, ok, tc.want)
			}
			if len(c.missing) != 0 {
				t.Errorf("known birth date recorded as missing: %v", c.missing)
			}
		})
	}
	t.Run("unknown birth date -> not ok and recorded as missing once", func(t *testing.T) {
		c := cxContext(Facts{})
		if _, ok := c.Age(); ok {
			t.Fatal("Age() ok with unknown birth date")
		}
		c.Age()
		if len(c.missing) != 1 {
			t.Errorf("missing = %v, want one entry", c.missing)
		}
	})
}

func TestLatestLab(t *testing.T) {
	lab := func(id string, a Analyte, v float64, daysAgo int) Lab {
		return Lab{Source: Ref(id), Analyte: a, Value: v, Date: cxT.AddDate(0, 0, -daysAgo)}
	}
	labs := []Lab{
		lab("old", AnalyteEGFR, 50, 400),
		lab("mid", AnalyteEGFR, 45, 365),
		lab("future", AnalyteEGFR, 20, -3),
		lab("other-analyte", AnalyteCalcium, 2.3, 1),
	}
	tests := []struct {
		name    string
		labs    []Lab
		maxAge  int
		want    Ref
		wantHit bool
	}{
		{"newest within 365 days (exactly 365 days old counts)", labs, 365, "mid", true},
		{"364-day window excludes a 365-day-old result", labs, 364, "", false},
		{"any age (0) takes the newest, never a future result", labs[:3], 0, "mid", true},
		{"only an older result", labs[:1], 0, "old", true},
		{"other analyte only", labs[3:], 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := cxContext(Facts{Labs: tc.labs}).LatestLab(AnalyteEGFR, tc.maxAge)
			if ok != tc.wantHit || got.Source != tc.want {
				t.Errorf("LatestLab = %q, %v; want %q, %v", got.Source, ok, tc.want, tc.wantHit)
			}
		})
	}
}

func TestLabBelowAbove(t *testing.T) {
	tests := []struct {
		name       string
		lab        Lab
		limit      float64
		below, abv bool
	}{
		{"29.9 vs 30", Lab{Value: 29.9}, 30, true, false},
		{"exactly 30 vs 30: neither", Lab{Value: 30}, 30, false, false},
		{"30.1 vs 30", Lab{Value: 30.1}, 30, false, true},
		{"eGFR >60 is never below 30 (SEED-GP Casus 1)", Lab{Value: 60, Comparator: MoreThan}, 30, false, true},
		{">25 might be 26 or 40: not certainly below 30 nor above", Lab{Value: 25, Comparator: MoreThan}, 30, false, false},
		{">30 is above 30", Lab{Value: 30, Comparator: MoreThan}, 30, false, true},
		{">=30 is not certainly above 30", Lab{Value: 30, Comparator: MoreOrEqual}, 30, false, false},
		{">=31 is above 30", Lab{Value: 31, Comparator: MoreOrEqual}, 30, false, true},
		{"<30 is below 30", Lab{Value: 30, Comparator: LessThan}, 30, true, false},
		{"<31 is not certainly below 30", Lab{Value: 31, Comparator: LessThan}, 30, false, false},
		{"<=30 is not certainly below 30", Lab{Value: 30, Comparator: LessOrEqual}, 30, false, false},
		{"<=29 is below 30", Lab{Value: 29, Comparator: LessOrEqual}, 30, true, false},
		{"<100 is never above 30", Lab{Value: 100, Comparator: LessThan}, 30, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.lab.Below(tc.limit); got != tc.below {
				t.Errorf("Below(%v) = %v, want %v", tc.limit, got, tc.below)
			}
			if got := tc.lab.Above(tc.limit); got != tc.abv {
				t.Errorf("Above(%v) = %v, want %v", tc.limit, got, tc.abv)
			}
		})
	}
	if got := (Lab{Value: 60, Comparator: MoreThan}).Display(); got != ">60" {
		t.Errorf("Display() = %q, want >60", got)
	}
}

func cxMed(id string, kind RecordKind, status string, start, end time.Time, classes ...DrugClass) MedicationRecord {
	return MedicationRecord{Source: Ref(id), Kind: kind, Status: status, Start: start, End: end, Classes: classes}
}

func TestEpisodesAndCumulativeDays(t *testing.T) {
	d0 := cxT.AddDate(-2, 0, 0)
	aEnd := d0.AddDate(0, 0, 99) // 100 days of use
	second := func(gapDays int) MedicationRecord {
		start := aEnd.AddDate(0, 0, gapDays)
		return cxMed("b", KindStatement, "completed", start, start.AddDate(0, 0, 49), DrugBisphosphonate) // 50 days
	}
	first := cxMed("a", KindStatement, "completed", d0, aEnd, DrugBisphosphonate)
	type summary struct {
		Episodes   int
		Cumulative int
	}
	tests := []struct {
		name string
		meds []MedicationRecord
		want summary
	}{
		{"gap of 90 days merges (gap counted in the sum)", []MedicationRecord{second(90), first}, summary{1, 100 + 89 + 50}},
		{"gap of 91 days does not merge", []MedicationRecord{first, second(91)}, summary{2, 150}},
		{"open active record counts up to T inclusive", []MedicationRecord{cxMed("o", KindStatement, "active", cxT.AddDate(0, 0, -99), time.Time{}, DrugBisphosphonate)}, summary{1, 100}},
		{"end after T is counted only up to T", []MedicationRecord{cxMed("f", KindRequest, "completed", cxT.AddDate(0, 0, -9), cxT.AddDate(0, 0, 30), DrugBisphosphonate)}, summary{1, 10}},
		{"record starting after T is ignored", []MedicationRecord{cxMed("later", KindStatement, "active", cxT.AddDate(0, 0, 5), time.Time{}, DrugBisphosphonate)}, summary{0, 0}},
		{"entered-in-error is ignored", []MedicationRecord{cxMed("err", KindStatement, "entered-in-error", d0, aEnd, DrugBisphosphonate)}, summary{0, 0}},
		{"other drug class is ignored", []MedicationRecord{cxMed("mtx", KindStatement, "completed", d0, aEnd, DrugMethotrexate)}, summary{0, 0}},
		{"request without end uses its supply days", []MedicationRecord{{Source: "r", Kind: KindRequest, Status: "completed", Start: d0, SupplyDays: 84, Classes: []DrugClass{DrugBisphosphonate}}}, summary{1, 84}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cxContext(Facts{Medications: tc.meds})
			got := summary{len(c.Episodes(DrugBisphosphonate, false)), c.CumulativeDays(DrugBisphosphonate, false)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("undated draft bridges a recent course to T only when drafts count", func(t *testing.T) {
		meds := []MedicationRecord{
			cxMed("course", KindStatement, "completed", cxT.AddDate(0, 0, -160), cxT.AddDate(0, 0, -60), DrugMethotrexate),
			{Source: "draft", Kind: KindDraftOrder, Status: "draft", Classes: []DrugClass{DrugMethotrexate}},
		}
		c := cxContext(Facts{Medications: meds})
		if got := c.CumulativeDays(DrugMethotrexate, false); got != 101 {
			t.Errorf("without drafts: %d days, want 101", got)
		}
		if got := c.CumulativeDays(DrugMethotrexate, true); got != 161 {
			t.Errorf("with drafts: %d days, want 161 (course start to T)", got)
		}
	})
}

func TestActive(t *testing.T) {
	past, future := cxT.AddDate(0, 0, -1), cxT.AddDate(0, 0, 1)
	start := cxT.AddDate(-1, 0, 0)
	tests := []struct {
		name string
		med  MedicationRecord
		want bool
	}{
		{"statement active", cxMed("x", KindStatement, "active", start, time.Time{}, DrugSERM), true},
		{"statement intended", cxMed("x", KindStatement, "intended", start, time.Time{}, DrugSERM), true},
		{"request on-hold", cxMed("x", KindRequest, "on-hold", start, time.Time{}, DrugSERM), true},
		{"completed, episode ends today", cxMed("x", KindStatement, "completed", start, cxT, DrugSERM), true},
		{"completed, episode ended yesterday", cxMed("x", KindStatement, "completed", start, past, DrugSERM), false},
		{"stopped with an end in the future", cxMed("x", KindStatement, "stopped", start, future, DrugSERM), false},
		{"do-not-perform request", func() MedicationRecord {
			m := cxMed("x", KindRequest, "active", start, time.Time{}, DrugSERM)
			m.DoNotPerform = true
			return m
		}(), false},
		{"draft order is not active use", MedicationRecord{Source: "d", Kind: KindDraftOrder, Status: "draft", Classes: []DrugClass{DrugSERM}}, false},
		{"entered-in-error", cxMed("x", KindStatement, "entered-in-error", start, time.Time{}, DrugSERM), false},
		{"undated statement", cxMed("x", KindStatement, "active", time.Time{}, time.Time{}, DrugSERM), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cxContext(Facts{Medications: []MedicationRecord{tc.med}}).Active(DrugSERM); got != tc.want {
				t.Errorf("Active = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestActiveOsteoporosisDrug(t *testing.T) {
	dmab := func(mg float64) MedicationRecord {
		m := cxMed("dmab", KindStatement, "active", cxT.AddDate(0, -3, 0), time.Time{}, DrugDenosumab)
		m.StrengthMg = mg
		return m
	}
	tests := []struct {
		name string
		meds []MedicationRecord
		want bool
	}{
		{"denosumab 120 mg (Xgeva, oncology) does not count", []MedicationRecord{dmab(120)}, false},
		{"denosumab 60 mg (Prolia) counts", []MedicationRecord{dmab(60)}, true},
		{"denosumab of unknown strength counts", []MedicationRecord{dmab(0)}, true},
		{"active raloxifene (SERM) counts", []MedicationRecord{cxMed("r", KindStatement, "active", cxT.AddDate(-1, 0, 0), time.Time{}, DrugSERM)}, true},
		{"active teriparatide counts", []MedicationRecord{cxMed("t", KindStatement, "active", cxT.AddDate(-1, 0, 0), time.Time{}, DrugTeriparatide)}, true},
		{"methotrexate is not an osteoporosis drug", []MedicationRecord{cxMed("m", KindStatement, "active", cxT.AddDate(-1, 0, 0), time.Time{}, DrugMethotrexate)}, false},
		{"stopped alendronate", []MedicationRecord{cxMed("a", KindStatement, "stopped", cxT.AddDate(-3, 0, 0), cxT.AddDate(0, -1, 0), DrugBisphosphonate)}, false},
		{"nothing", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cxContext(Facts{Medications: tc.meds}).ActiveOsteoporosisDrug(); got != tc.want {
				t.Errorf("ActiveOsteoporosisDrug = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLowestTScore(t *testing.T) {
	on := "2024-05-01"
	tests := []struct {
		name    string
		dxa     []DXAMeasurement
		since   time.Time
		want    Ref
		wantHit bool
	}{
		{"lowest of spine/hip/neck; a lower forearm is ignored",
			[]DXAMeasurement{fxDXA("spine", SiteLumbarSpine, TScore, -1.5, on), fxDXA("hip", SiteTotalHip, TScore, -2.0, on), fxDXA("radius", SiteForearm, TScore, -3.0, on)},
			time.Time{}, "hip", true},
		{"forearm used when it is the only site",
			[]DXAMeasurement{fxDXA("radius", SiteForearm, TScore, -2.7, on), fxDXA("other", SiteOther, TScore, -3.5, on)}, time.Time{}, "radius", true},
		{"Z-scores and BMD are not T-scores",
			[]DXAMeasurement{fxDXA("z", SiteLumbarSpine, ZScore, -3.0, on), fxDXA("bmd", SiteLumbarSpine, BMD, 0.7, on), fxDXA("neck", SiteFemoralNeck, TScore, -1.1, on)},
			time.Time{}, "neck", true},
		{"measurements before since are ignored",
			[]DXAMeasurement{fxDXA("old", SiteLumbarSpine, TScore, -3.0, "2020-01-01"), fxDXA("new", SiteLumbarSpine, TScore, -1.0, on)},
			fxDate("2023-01-01"), "new", true},
		{"measurement after T is ignored", []DXAMeasurement{fxDXA("future", SiteLumbarSpine, TScore, -3.0, "2024-07-01")}, time.Time{}, "", false},
		{"no DXA", nil, time.Time{}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := cxContext(Facts{DXA: tc.dxa}).LowestTScore(tc.since)
			if ok != tc.wantHit || got.Source != tc.want {
				t.Errorf("LowestTScore = %q, %v; want %q, %v", got.Source, ok, tc.want, tc.wantHit)
			}
		})
	}
}
