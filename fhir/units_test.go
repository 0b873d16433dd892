package fhir

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/rules"
)

// qty builds a Quantity with a UCUM code and/or unit text ("" = absent).
func qty(value, code, unit string) *quantity {
	return &quantity{Value: json.Number(value), Code: code, Unit: unit}
}

func TestConvertLab(t *testing.T) {
	tests := []struct {
		name    string
		analyte rules.Analyte
		q       *quantity
		want    float64
		wantOK  bool
	}{
		{"eGFR UCUM mL/min/{1.73_m2}", rules.AnalyteEGFR, qty("45", "mL/min/{1.73_m2}", ""), 45, true},
		{"eGFR text mL/min/1.73m2", rules.AnalyteEGFR, qty("45", "", "mL/min/1.73m2"), 45, true},
		{"eGFR text ml/min/1.73m² with superscript", rules.AnalyteEGFR, qty("45", "", "ml/min/1.73m²"), 45, true},
		{"eGFR text with a space", rules.AnalyteEGFR, qty("45", "", "mL/min/1.73 m2"), 45, true},
		{"eGFR plain mL/min kept", rules.AnalyteEGFR, qty("45", "mL/min", ""), 45, true},
		{"CrCl mL/min", rules.AnalyteCrClCockcroftGault, qty("38", "mL/min", ""), 38, true},
		{"CrCl normalised unit is not CrCl", rules.AnalyteCrClCockcroftGault, qty("38", "mL/min/{1.73_m2}", ""), 0, false},
		{"creatinine 1.0 mg/dL is 88.4 umol/L", rules.AnalyteCreatinine, qty("1.0", "mg/dL", ""), 88.4, true},
		{"creatinine µmol/L text", rules.AnalyteCreatinine, qty("75", "", "µmol/L"), 75, true},
		{"vitamin D 12 ng/mL is 29.95 nmol/L (E07c)", rules.AnalyteVitaminD, qty("12", "ng/mL", ""), 29.952, true},
		{"vitamin D µg/L", rules.AnalyteVitaminD, qty("10", "", "µg/L"), 24.96, true},
		{"vitamin D ug/L", rules.AnalyteVitaminD, qty("10", "ug/L", ""), 24.96, true},
		{"vitamin D 31 nmol/L unchanged (Casus 1)", rules.AnalyteVitaminD, qty("31", "nmol/L", ""), 31, true},
		{"vitamin D µg/dL is unconvertible", rules.AnalyteVitaminD, qty("3", "ug/dL", ""), 0, false},
		{"calcium 8.2 mg/dL is 2.05 mmol/L (E14b)", rules.AnalyteCalcium, qty("8.2", "mg/dL", ""), 2.0459, true},
		{"corrected calcium mmol/L", rules.AnalyteCalciumCorrected, qty("2.4", "mmol/L", ""), 2.4, true},
		{"phosphate mg/dL", rules.AnalytePhosphate, qty("3.1", "mg/dL", ""), 1.001, true},
		{"albumin g/dL", rules.AnalyteAlbumin, qty("4.1", "g/dL", ""), 41, true},
		{"albumin umol/L is unconvertible", rules.AnalyteAlbumin, qty("600", "umol/L", ""), 0, false},
		{"ALP µkat/L", rules.AnalyteALP, qty("0.5", "ukat/L", ""), 30, true},
		{"ALP IU/L", rules.AnalyteALP, qty("35", "", "IU/L"), 35, true},
		{"ALP U/L", rules.AnalyteALP, qty("35", "U/L", ""), 35, true},
		{"TSH m[IU]/L", rules.AnalyteTSH, qty("2.1", "m[IU]/L", ""), 2.1, true},
		{"TSH mU/L", rules.AnalyteTSH, qty("2.1", "mU/L", ""), 2.1, true},
		{"TSH mIU/L", rules.AnalyteTSH, qty("2.1", "", "mIU/L"), 2.1, true},
		{"TSH µIU/mL", rules.AnalyteTSH, qty("2.1", "", "µIU/mL"), 2.1, true},
		{"TSH uIU/mL", rules.AnalyteTSH, qty("2.1", "uIU/mL", ""), 2.1, true},
		{"fT4 ng/dL", rules.AnalyteFT4, qty("1.2", "ng/dL", ""), 15.444, true},
		{"fT4 pmol/L", rules.AnalyteFT4, qty("27", "pmol/L", ""), 27, true},
		{"ESR mm/hr", rules.AnalyteESR, qty("12", "", "mm/hr"), 12, true},
		{"ESR mm/h", rules.AnalyteESR, qty("12", "mm/h", ""), 12, true},
		{"testosterone nmol/L", rules.AnalyteTestosterone, qty("14", "nmol/L", ""), 14, true},
		{"testosterone ng/dL has no documented factor", rules.AnalyteTestosterone, qty("400", "ng/dL", ""), 0, false},
		{"unknown UCUM code falls back to unit text", rules.AnalyteVitaminD, qty("12", "{nonsense}", "ng/mL"), 29.952, true},
		{"missing unit is not a value", rules.AnalyteEGFR, qty("45", "", ""), 0, false},
		{"missing value", rules.AnalyteEGFR, qty("", "mL/min/{1.73_m2}", ""), 0, false},
		{"nil quantity", rules.AnalyteEGFR, nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := convertLab(tc.analyte, tc.q)
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("convertLab = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestConvertBMD(t *testing.T) {
	tests := []struct {
		name   string
		q      *quantity
		want   float64
		wantOK bool
	}{
		{"g/cm2", qty("0.812", "g/cm2", ""), 0.812, true},
		{"g/cm² text", qty("0.812", "", "g/cm²"), 0.812, true},
		{"the wrong g/cm-2 is repaired", qty("0.812", "g/cm-2", ""), 0.812, true},
		{"mg/cm2 scaled", qty("812", "mg/cm2", ""), 0.812, true},
		{"no unit", qty("0.812", "", ""), 0, false},
		{"kg/m2 is not BMD", qty("0.812", "kg/m2", ""), 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := convertBMD(tc.q)
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("convertBMD = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestConvertRange(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name    string
		analyte rules.Analyte
		bound   *quantity
		result  *quantity
		want    *float64
	}{
		{"bound with its own unit is converted", rules.AnalyteVitaminD, qty("20", "ng/mL", ""), qty("12", "ng/mL", ""), f(49.92)},
		{"bound without unit shares the result unit", rules.AnalyteCalcium, qty("8.5", "", ""), qty("8.2", "mg/dL", ""), f(2.1208)},
		{"unconvertible bound is dropped", rules.AnalyteCalcium, qty("8.5", "mg", ""), qty("8.2", "mg/dL", ""), nil},
		{"absent bound", rules.AnalyteCalcium, nil, qty("8.2", "mg/dL", ""), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, convertRange(tc.analyte, tc.bound, tc.result)); diff != "" {
				t.Errorf("convertRange (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComparator(t *testing.T) {
	c := func(s string) *quantity {
		q := qty("60", "mL/min/{1.73_m2}", "")
		q.Comparator = s
		return q
	}
	tests := []struct {
		name string
		q    *quantity
		want rules.Comparator
	}{
		{">60 keeps >", c(">"), rules.MoreThan},
		{">= kept", c(">="), rules.MoreOrEqual},
		{"< kept", c("<"), rules.LessThan},
		{"<= kept", c("<="), rules.LessOrEqual},
		{"no comparator is exact", qty("60", "mL/min", ""), rules.Exact},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := comparator(tc.q); got != tc.want {
				t.Errorf("comparator = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUnitGapText(t *testing.T) {
	tests := []struct {
		name string
		unit string
		want rules.Text
	}{
		{"names analyte and unit", "µg/dL", rules.Text{NL: "25-OH-vitamine D (eenheid µg/dL)", EN: "25-OH vitamin D (unit µg/dL)"}},
		{"missing unit", "", rules.Text{NL: "25-OH-vitamine D (geen eenheid)", EN: "25-OH vitamin D (no unit)"}},
		{"UCUM brackets kept", "n[IU]/mL", rules.Text{NL: "25-OH-vitamine D (eenheid n[IU]/mL)", EN: "25-OH vitamin D (unit n[IU]/mL)"}},
		{"no www. for an autolink", "www.evil-lab.example/x", rules.Text{NL: "25-OH-vitamine D (eenheid www?evil-lab.example/x)", EN: "25-OH vitamin D (unit www?evil-lab.example/x)"}},
		{"no URL or e-mail", "http://x.example @y", rules.Text{NL: "25-OH-vitamine D (eenheid http?//x.example ?y)", EN: "25-OH vitamin D (unit http?//x.example ?y)"}},
		{"no link syntax", "[x](y)", rules.Text{NL: "25-OH-vitamine D (eenheid [x]?y?)", EN: "25-OH vitamin D (unit [x]?y?)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, unitGapText(analyteName(rules.AnalyteVitaminD), tc.unit)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// lookupUnit is an allocation-free unitKey lookup: it must agree with
// unitKey on every spelling.
func TestLookupUnitAgreesWithUnitKey(t *testing.T) {
	factors := map[string]float64{}
	for _, m := range unitFactors {
		for k, f := range m {
			factors[k] = f
		}
	}
	units := []string{"mmol/L", "MMOL/L", " mmol / l ", "µmol/L", "μmol/L", "umol/l", "ml/min/1.73m²", "mL/min/1.73 m2",
		"\tmmol/L\n", "nmol/L\r", "ng/mL", "pg/ml", "U/L", "IU/L", "g/cm2", "mg/dL", "", " ", "x", "mmol/L\u00a0",
		"a-very-long-unit-string-of-more-than-thirty-two-bytes", "MMOL/L ", "ＭＭＯＬ/Ｌ", "Μmol/L"}
	for k := range factors {
		units = append(units, k, strings.ToUpper(k), " "+k+" ")
	}
	for _, u := range units {
		wantF, wantOK := factors[unitKey(u)]
		gotF, gotOK := lookupUnit(factors, u)
		if gotF != wantF || gotOK != wantOK {
			t.Errorf("lookupUnit(%q) = %v, %v; unitKey lookup gives %v, %v", u, gotF, gotOK, wantF, wantOK)
		}
	}
	if n := testing.AllocsPerRun(100, func() { lookupUnit(factors, "mmol/L") }); n != 0 {
		t.Errorf("lookupUnit allocates %v times for an ASCII unit", n)
	}
}

// TestReferenceBounds checks that referenceBounds, which converts both
// bounds with one allocation, gives what convertRange gives per bound.
func TestReferenceBounds(t *testing.T) {
	result := qty("8.2", "mg/dL", "")
	tests := []struct {
		name string
		r    referenceRange
	}{
		{"both bounds", referenceRange{Low: qty("8.5", "mg/dL", ""), High: qty("10.5", "", "")}},
		{"low only", referenceRange{Low: qty("8.5", "", "")}},
		{"high only", referenceRange{High: qty("10.5", "mg/dL", "")}},
		{"unconvertible low", referenceRange{Low: qty("8.5", "mg", ""), High: qty("10.5", "", "")}},
		{"unconvertible high", referenceRange{Low: qty("8.5", "", ""), High: qty("x", "", "")}},
		{"no bounds", referenceRange{}},
		{"empty values", referenceRange{Low: qty("", "mg/dL", ""), High: qty("", "", "")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			low, high := referenceBounds(unitFactors[rules.AnalyteCalcium], tc.r, result)
			want := [2]*float64{convertRange(rules.AnalyteCalcium, tc.r.Low, result), convertRange(rules.AnalyteCalcium, tc.r.High, result)}
			if diff := cmp.Diff(want, [2]*float64{low, high}); diff != "" {
				t.Errorf("referenceBounds (-convertRange +got):\n%s", diff)
			}
		})
	}
}

// TestPow10 checks round's table against math.Pow, which round used to
// call, and round itself on both sides of the table.
func TestPow10(t *testing.T) {
	for n, p := range pow10 {
		if want := math.Pow(10, float64(n)); p != want {
			t.Errorf("pow10[%d] = %v, math.Pow gives %v", n, p, want)
		}
	}
	for _, n := range []int{-1, 0, 3, 4, 6, 7, 9} {
		for _, v := range []float64{0, 12 * 2.496, 29.951999999999998, 1.00005, 123456.78901234, -2.5, 1e-9} {
			p := math.Pow(10, float64(n))
			if got, want := round(v, n), math.Round(v*p)/p; got != want {
				t.Errorf("round(%v, %d) = %v, want %v", v, n, got, want)
			}
		}
	}
}
