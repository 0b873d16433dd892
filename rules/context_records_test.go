package rules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Context.Records is memoised and returns a slice shared by every caller.
// These tests check that the memo gives the unmemoised answer, that the
// callers in this package leave the shared slice alone, and that the one
// caller that changes records (Episodes) works on a copy.

// recordsTestMeds exercises every filter of Records: several classes per
// record, unsorted starts, equal starts (stable order), undated and dated
// draft orders, an undated statement, entered-in-error, a class not asked.
func recordsTestMeds() []MedicationRecord {
	d := func(daysBeforeT int) time.Time { return cxT.AddDate(0, 0, -daysBeforeT) }
	return []MedicationRecord{
		cxMed("aln-late", KindStatement, "active", d(30), time.Time{}, DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate),
		cxMed("aln-early", KindStatement, "completed", d(400), d(200), DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate),
		cxMed("aln-tie-1", KindRequest, "completed", d(300), d(250), DrugBisphosphonate, DrugAlendronate),
		cxMed("aln-tie-2", KindRequest, "completed", d(300), d(260), DrugBisphosphonate, DrugAlendronate),
		cxMed("aln-undated", KindStatement, "active", time.Time{}, time.Time{}, DrugBisphosphonate, DrugAlendronate),
		cxMed("aln-error", KindStatement, "entered-in-error", d(100), time.Time{}, DrugBisphosphonate, DrugAlendronate),
		cxMed("zol-draft-undated", KindDraftOrder, "draft", time.Time{}, time.Time{}, DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid),
		cxMed("zol-draft-dated", KindDraftOrder, "draft", d(-7), time.Time{}, DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid),
		cxMed("zol-given", KindAdministration, "completed", d(500), time.Time{}, DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid),
		cxMed("dmab-1", KindAdministration, "completed", d(200), time.Time{}, DrugDenosumab),
		cxMed("dmab-2", KindAdministration, "completed", d(20), time.Time{}, DrugDenosumab),
		cxMed("mtx", KindStatement, "active", d(900), time.Time{}, DrugMethotrexate),
		cxMed("mtx-draft", KindDraftOrder, "draft", time.Time{}, time.Time{}, DrugMethotrexate),
		cxMed("pred", KindRequest, "active", d(120), time.Time{}, DrugGlucocorticoidSystemic),
		cxMed("vitd-draft", KindDraftOrder, "draft", d(0), time.Time{}, DrugVitaminD),
	}
}

// recordsTestClasses are the classes asked of Records in these tests:
// those in recordsTestMeds and one that no record has.
var recordsTestClasses = []DrugClass{
	DrugBisphosphonate, DrugBisphosphonateOral, DrugBisphosphonateIV, DrugAlendronate, DrugZoledronicAcid,
	DrugDenosumab, DrugMethotrexate, DrugGlucocorticoidSystemic, DrugVitaminD, DrugTeriparatide,
}

func sources(recs []MedicationRecord) []Ref {
	var out []Ref
	for _, m := range recs {
		out = append(out, m.Source)
	}
	return out
}

func TestRecordsMemoMatchesUnmemoised(t *testing.T) {
	c := cxContext(Facts{Medications: recordsTestMeds()})
	// The second pass is answered from the memo.
	for pass := 1; pass <= 2; pass++ {
		for _, cl := range recordsTestClasses {
			for _, withDrafts := range []bool{false, true} {
				want := cxContext(Facts{Medications: recordsTestMeds()}).filterRecords(cl, withDrafts)
				if diff := cmp.Diff(want, c.Records(cl, withDrafts)); diff != "" {
					t.Errorf("pass %d: Records(%s, %v) differs from unmemoised (-want +got):\n%s", pass, cl, withDrafts, diff)
				}
			}
		}
	}
	if got, want := len(c.records), 2*len(recordsTestClasses); got != want {
		t.Errorf("memo holds %d answers, want %d", got, want)
	}
	// The unmemoised answer itself, spelled out once: undated and
	// entered-in-error records dropped, an undated draft sorts first (zero
	// start), equal starts keep their input order.
	want := []Ref{"zol-draft-undated", "zol-given", "aln-early", "aln-tie-1", "aln-tie-2", "aln-late", "zol-draft-dated"}
	if diff := cmp.Diff(want, sources(c.Records(DrugBisphosphonate, true))); diff != "" {
		t.Errorf("Records(bisphosphonate, true) (-want +got):\n%s", diff)
	}
	if got := c.Records(DrugTeriparatide, false); got != nil {
		t.Errorf("Records(teriparatide) = %v, want nil", got)
	}
}

func TestRecordsSharedSliceIsNotChangedByCallers(t *testing.T) {
	c := cxContext(Facts{Medications: recordsTestMeds()})
	before := slices.Clone(c.Records(DrugBisphosphonate, true))

	// Episodes dates an undated draft at T and re-sorts: on its own copy.
	first := c.Episodes(DrugBisphosphonate, true)
	if diff := cmp.Diff(before, c.Records(DrugBisphosphonate, true)); diff != "" {
		t.Errorf("Episodes changed the memoised records (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(first, c.Episodes(DrugBisphosphonate, true)); diff != "" {
		t.Errorf("second Episodes call differs (-first +second):\n%s", diff)
	}
	fresh := cxContext(Facts{Medications: recordsTestMeds()})
	if diff := cmp.Diff(fresh.Episodes(DrugBisphosphonate, true), first); diff != "" {
		t.Errorf("Episodes differs from a fresh Context (-fresh +memoised):\n%s", diff)
	}

	// Two callers appending to their answer do not share the new element
	// (seven records: filtering left spare capacity, which Clip removes).
	a := append(c.Records(DrugBisphosphonate, true), MedicationRecord{Source: "appended-a"})
	b := append(c.Records(DrugBisphosphonate, true), MedicationRecord{Source: "appended-b"})
	if a[len(a)-1].Source != "appended-a" || b[len(b)-1].Source != "appended-b" {
		t.Errorf("appends to Records answers share storage: %v, %v", sources(a), sources(b))
	}
	if diff := cmp.Diff(before, c.Records(DrugBisphosphonate, true)); diff != "" {
		t.Errorf("append changed the memoised records (-before +after):\n%s", diff)
	}

	// A caller's own copy is its own.
	own := slices.Clone(c.Records(DrugMethotrexate, true))
	own[0].Start, own[0].Status = cxT, "stopped"
	if diff := cmp.Diff(fresh.filterRecords(DrugMethotrexate, true), c.Records(DrugMethotrexate, true)); diff != "" {
		t.Errorf("changing a clone changed the memoised records (-want +got):\n%s", diff)
	}
}

// TestRecordsMemoUnchangedByCatalog runs every rule on shared Contexts and
// then checks every memoised answer against a fresh computation, so a rule
// that writes into a Records slice on the paths these facts reach fails
// here as well as in TestRecordsCallersOnlyRangeOrClone.
func TestRecordsMemoUnchangedByCatalog(t *testing.T) {
	var cases []Facts
	for _, id := range []string{"S1", "S1b", "S1c", "S2", "S2b", "S2c", "S3a", "S3b", "S3c"} {
		cases = append(cases, seedFacts(id))
	}
	for _, h := range []Hook{PatientView, OrderSelect, OrderSign} {
		f := Facts{AsOf: cxT, Hook: h, Patient: Patient{ID: "p", BirthDate: fxDate("1950-01-01"), Gender: "female"},
			Medications: recordsTestMeds()}
		for i := range f.Medications {
			f.Medications[i].Selected = f.Medications[i].Kind == KindDraftOrder
		}
		cases = append(cases, f)
	}
	// Denosumab doses (60 mg, unknown strength, a therapy stop) and
	// fractures, for the memos of denosumabDoses, Fractures and
	// unknownDenosumabShortIntervals.
	d := func(daysBeforeT int) time.Time { return cxT.AddDate(0, 0, -daysBeforeT) }
	dmab := func(id string, kind RecordKind, status string, start time.Time, mg float64) MedicationRecord {
		m := cxMed(id, kind, status, start, time.Time{}, DrugDenosumab)
		m.SingleDose, m.StrengthMg = kind != KindRequest, mg
		return m
	}
	for _, mg := range []float64{0, 60} {
		cases = append(cases, Facts{AsOf: cxT, Hook: PatientView, Patient: Patient{ID: "dmab", BirthDate: fxDate("1950-01-01"), Gender: "female"},
			Conditions: []Condition{
				{Source: "hip", Concepts: []Concept{ConceptFracture}, Onset: d(100)},
				{Source: "vert", Concepts: []Concept{ConceptVertebralFracture}},
				{Source: "wrist", Concepts: []Concept{ConceptFracture}, Onset: d(900)},
			},
			Medications: []MedicationRecord{
				dmab("dose-3", KindAdministration, "completed", d(20), mg),
				dmab("dose-1", KindAdministration, "completed", d(400), mg),
				dmab("dose-2", KindStatement, "completed", d(200), mg),
				dmab("dose-2b", KindRequest, "completed", d(205), mg),
				dmab("dose-2c", KindAdministration, "completed", d(180), mg),
				dmab("stop", KindRequest, "stopped", d(10), mg),
			}})
	}
	for _, f := range cases {
		c := &Context{Facts: f, Thresholds: DefaultThresholds()}
		for _, r := range catalog {
			if runsOn(r, f.Hook) {
				r.Eval(c)
			}
		}
		if len(c.records) == 0 {
			t.Errorf("%s at %s: no rule asked Records", f.Patient.ID, f.Hook)
		}
		fresh := &Context{Facts: f, Thresholds: DefaultThresholds()}
		for _, e := range c.records {
			k, got := e.key, e.recs
			if diff := cmp.Diff(fresh.filterRecords(k.class, k.withDrafts), got); diff != "" {
				t.Errorf("%s at %s: memoised Records(%s, %v) was changed by a rule (-want +got):\n%s",
					f.Patient.ID, f.Hook, k.class, k.withDrafts, diff)
			}
		}
		if c.fracturesDone {
			if diff := cmp.Diff(fresh.filterFractures(), c.fractures); diff != "" {
				t.Errorf("%s at %s: memoised Fractures was changed by a rule (-want +got):\n%s", f.Patient.ID, f.Hook, diff)
			}
		}
		if c.dmabDosesDone {
			if diff := cmp.Diff(computeDenosumabDoses(fresh), c.dmabDoses); diff != "" {
				t.Errorf("%s at %s: memoised denosumabDoses was changed by a rule (-want +got):\n%s", f.Patient.ID, f.Hook, diff)
			}
		}
		if c.dmabShortKnown && c.dmabShort != fresh.computeUnknownDenosumabShortIntervals() {
			t.Errorf("%s at %s: memoised unknownDenosumabShortIntervals differs from a fresh computation", f.Patient.ID, f.Hook)
		}
	}
}

// TestRecordsCallersOnlyRangeOrClone is the static half of the contract of
// Context.Records (and of Context.Fractures, memoised the same way): in the
// non-test files of this package, a call of a method named Records with two
// arguments, or Fractures with none, must be the expression of a range
// statement (each element is copied) or the argument of slices.Clone.
// Anything else could change the shared, memoised slice.
func TestRecordsCallersOnlyRangeOrClone(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	calls, fractureCalls := 0, 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		allowed := map[*ast.CallExpr]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.RangeStmt:
				if call, ok := n.X.(*ast.CallExpr); ok {
					allowed[call] = true
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Clone" && len(n.Args) == 1 {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "slices" {
						if call, ok := n.Args[0].(*ast.CallExpr); ok {
							allowed[call] = true
						}
					}
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Records" && len(call.Args) == 2 {
				calls++
				if !allowed[call] {
					t.Errorf("%s: Records returns a shared, memoised slice: range over it or slices.Clone it", fset.Position(call.Pos()))
				}
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Fractures" && len(call.Args) == 0 {
				fractureCalls++
				if !allowed[call] {
					t.Errorf("%s: Fractures returns a shared, memoised slice: range over it or slices.Clone it", fset.Position(call.Pos()))
				}
			}
			return true
		})
	}
	if calls == 0 || fractureCalls == 0 {
		t.Error("found no call of Records or Fractures; is the test looking in the right place?")
	}
}
