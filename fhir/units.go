package fhir

import (
	"math"
	"strings"
	"unicode"

	"github.com/fracturecds/fracturecds/rules"
)

// Unit normalisation to each analyte's rules.Analyte.CanonicalUnit()
// (terminology.md §6). Units are compared after unitKey: lower case, no
// spaces, µ/μ as u, ² as 2. Lower-casing is safe here because no accepted
// unit differs from another only by case (mL/ML, mU/MU and mmol/Mmol never
// both occur for one analyte).

// unitFactors maps, per analyte, a normalised unit to the factor that
// converts it to the canonical unit.
var unitFactors = map[rules.Analyte]map[string]float64{
	rules.AnalyteEGFR: {
		"ml/min/{1.73_m2}": 1,
		"ml/min/1.73_m2":   1,
		"ml/min/{1.73m2}":  1,
		"ml/min/1.73m2":    1,
		// Plain mL/min is accepted as eGFR (the HL7 CH example for 98979-8
		// uses it); OriginalUnit keeps it visible on the card.
		"ml/min": 1,
	},
	rules.AnalyteCrClCockcroftGault: {
		"ml/min": 1,
	},
	rules.AnalyteCreatinine: {
		"umol/l": 1,
		"mmol/l": 1000,
		// MW 113.12 g/mol (terminology.md §6).
		"mg/dl": 88.4,
	},
	rules.AnalyteVitaminD: {
		"nmol/l": 1,
		// MW of 25-OH-D3 400.64 g/mol (terminology.md §6).
		"ng/ml": 2.496,
		"ug/l":  2.496,
	},
	rules.AnalyteCalcium:          calciumFactors,
	rules.AnalyteCalciumCorrected: calciumFactors,
	rules.AnalyteAlbumin: {
		"g/l":  1,
		"g/dl": 10,
	},
	rules.AnalytePhosphate: {
		"mmol/l": 1,
		// P 30.97 g/mol.
		"mg/dl": 0.3229,
	},
	rules.AnalyteALP: {
		"u/l":    1,
		"iu/l":   1,
		"[iu]/l": 1,
		// 1 µkat = 60 µmol/min = 60 U.
		"ukat/l": 60,
	},
	rules.AnalyteTSH: {
		"mu/l":     1,
		"miu/l":    1,
		"m[iu]/l":  1,
		"uiu/ml":   1,
		"u[iu]/ml": 1,
		"uu/ml":    1,
	},
	rules.AnalyteFT4: {
		"pmol/l": 1,
		// T4 MW 776.93 g/mol.
		"ng/dl": 12.87,
	},
	rules.AnalyteESR: {
		"mm/h":  1,
		"mm/hr": 1,
	},
	// Testosterone: only the canonical unit; no conversion factor is
	// documented in terminology.md, so ng/dL becomes a Gap.
	rules.AnalyteTestosterone: {
		"nmol/l": 1,
	},
}

var calciumFactors = map[string]float64{
	"mmol/l": 1,
	// Ca 40.08 g/mol.
	"mg/dl": 0.2495,
}

// bmdFactors converts DXA BMD to g/cm2. "g/cm-2" is a known mistake in
// third-party examples (terminology.md §2).
var bmdFactors = map[string]float64{
	"g/cm2":  1,
	"g/cm-2": 1,
	"mg/cm2": 0.001,
}

// unitKeyReplacer is built once: building a strings.Replacer per call
// was most of fact extraction's allocations. A Replacer is safe for
// concurrent use.
var unitKeyReplacer = strings.NewReplacer(" ", "", "µ", "u", "μ", "u", "²", "2")

// unitKey normalises a unit string for lookup.
func unitKey(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	u = unitKeyReplacer.Replace(u)
	return u
}

// quantityUnit returns the unit to show for q: its UCUM code, else its
// unit text, "" when neither is present.
func quantityUnit(q *quantity) string {
	if q == nil {
		return ""
	}
	if c := strings.TrimSpace(q.Code); c != "" {
		return c
	}
	return strings.TrimSpace(q.Unit)
}

// lookupFactor finds the factor for q in factors, trying the UCUM code
// first and the human-readable unit text second.
func lookupFactor(factors map[string]float64, q *quantity) (float64, bool) {
	if q == nil {
		return 0, false
	}
	for _, u := range [2]string{q.Code, q.Unit} {
		if u == "" {
			continue
		}
		if f, ok := lookupUnit(factors, u); ok {
			return f, true
		}
	}
	return 0, false
}

// lookupUnit returns factors[unitKey(u)]. Units are looked up for every
// lab value of every request; the common case, a short ASCII unit such as
// "mmol/L", is normalised into a stack buffer and looked up without
// allocating (Go does not copy a []byte converted to string for a map
// index). Anything else takes unitKey.
func lookupUnit(factors map[string]float64, u string) (float64, bool) {
	var buf [32]byte
	if len(u) > len(buf) {
		f, ok := factors[unitKey(u)]
		return f, ok
	}
	k := buf[:0]
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c >= 0x80 || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			// Non-ASCII (µ, ², Unicode case) or whitespace TrimSpace
			// would handle: the general path.
			f, ok := factors[unitKey(u)]
			return f, ok
		case c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		k = append(k, c)
	}
	f, ok := factors[string(k)]
	return f, ok
}

// convertLab converts q to the canonical unit of analyte a. ok is false
// when the unit is missing or unknown: such a value must not be read.
func convertLab(a rules.Analyte, q *quantity) (value float64, ok bool) {
	v, ok := quantityValue(q)
	if !ok {
		return 0, false
	}
	return convertValue(unitFactors[a], v, q)
}

// convertValue converts v, the value of q, to the canonical unit with an
// analyte's factors, as convertLab does. labFact calls it directly: it
// needs q's value anyway, and parsing it twice was a tenth of a lab's
// cost.
func convertValue(factors map[string]float64, v float64, q *quantity) (float64, bool) {
	f, ok := lookupFactor(factors, q)
	if !ok {
		return 0, false
	}
	v = round(v*f, 4)
	// A negative, infinite or absurdly large concentration is a data error,
	// not a result: it must never drive a card (an eGFR of -1 would read
	// as "< 30"). It becomes a gap like an unconvertible unit.
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e6 {
		return 0, false
	}
	return v, true
}

// convertBMD converts a BMD quantity to g/cm2.
func convertBMD(q *quantity) (float64, bool) {
	v, ok := quantityValue(q)
	if !ok {
		return 0, false
	}
	f, ok := lookupFactor(bmdFactors, q)
	if !ok {
		return 0, false
	}
	return round(v*f, 4), true
}

// quantityValue returns q's numeric value.
func quantityValue(q *quantity) (float64, bool) {
	if q == nil || q.Value == "" {
		return 0, false
	}
	v, err := q.Value.Float64()
	if err != nil {
		return 0, false
	}
	return v, true
}

// comparator maps a FHIR quantity comparator to the rules type.
func comparator(q *quantity) rules.Comparator {
	if q == nil {
		return rules.Exact
	}
	switch q.Comparator {
	case "<":
		return rules.LessThan
	case "<=":
		return rules.LessOrEqual
	case ">=":
		return rules.MoreOrEqual
	case ">":
		return rules.MoreThan
	}
	return rules.Exact
}

// convertRange converts a reference range bound. A bound without its own
// unit is taken to share the result's unit (common in lab feeds).
func convertRange(a rules.Analyte, bound, result *quantity) *float64 {
	v, ok := convertBound(unitFactors[a], bound, result)
	if !ok {
		return nil
	}
	return &v
}

// convertBound is convertRange with the analyte's factors looked up.
func convertBound(factors map[string]float64, bound, result *quantity) (float64, bool) {
	if bound == nil || bound.Value == "" {
		return 0, false
	}
	q := *bound
	if quantityUnit(&q) == "" && result != nil {
		q.Code, q.Unit = result.Code, result.Unit
	}
	v, ok := quantityValue(&q)
	if !ok {
		return 0, false
	}
	return convertValue(factors, v, &q)
}

// referenceBounds converts the low and high bound of a reference range
// as convertRange does, nil for a bound that is absent or cannot be
// converted. Both bounds share one allocation.
func referenceBounds(factors map[string]float64, r referenceRange, result *quantity) (low, high *float64) {
	lo, okLow := convertBound(factors, r.Low, result)
	hi, okHigh := convertBound(factors, r.High, result)
	if !okLow && !okHigh {
		return nil, nil
	}
	b := new([2]float64)
	if okLow {
		b[0] = lo
		low = &b[0]
	}
	if okHigh {
		b[1] = hi
		high = &b[1]
	}
	return low, high
}

// round rounds v to n decimals, so conversions such as 12 × 2.496 read
// 29.952 and not 29.951999999999998.
func round(v float64, n int) float64 {
	p := 0.0
	if n >= 0 && n < len(pow10) {
		p = pow10[n]
	} else {
		p = math.Pow(10, float64(n))
	}
	return math.Round(v*p) / p
}

// pow10 holds math.Pow(10, n) for the decimals round is called with
// (TestPow10 checks they are equal), so rounding every lab value does not
// call math.Pow.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6}

// analyteNames are the analyte names used in Gap texts.
var analyteNames = map[rules.Analyte]rules.Text{
	rules.AnalyteEGFR:               {NL: "eGFR", EN: "eGFR"},
	rules.AnalyteCrClCockcroftGault: {NL: "creatinineklaring (Cockcroft-Gault)", EN: "creatinine clearance (Cockcroft-Gault)"},
	rules.AnalyteCreatinine:         {NL: "creatinine", EN: "creatinine"},
	rules.AnalyteVitaminD:           {NL: "25-OH-vitamine D", EN: "25-OH vitamin D"},
	rules.AnalyteALP:                {NL: "alkalische fosfatase", EN: "alkaline phosphatase"},
	rules.AnalyteCalcium:            {NL: "calcium", EN: "calcium"},
	rules.AnalyteCalciumCorrected:   {NL: "gecorrigeerd calcium", EN: "corrected calcium"},
	rules.AnalyteAlbumin:            {NL: "albumine", EN: "albumin"},
	rules.AnalytePhosphate:          {NL: "fosfaat", EN: "phosphate"},
	rules.AnalyteTSH:                {NL: "TSH", EN: "TSH"},
	rules.AnalyteFT4:                {NL: "vrij T4", EN: "free T4"},
	rules.AnalyteESR:                {NL: "BSE", EN: "ESR"},
	rules.AnalyteTestosterone:       {NL: "testosteron", EN: "testosterone"},
}

// analyteName returns the display name of a, falling back to its id (a
// local code may map to an analyte added later).
func analyteName(a rules.Analyte) rules.Text {
	if n, ok := analyteNames[a]; ok {
		return n
	}
	return rules.Text{NL: string(a), EN: string(a)}
}

// unitGapText names an analyte whose unit could not be converted, e.g.
// "25-OH vitamin D (unit µg/dL)". It names the unit but never the value.
func unitGapText(name rules.Text, unit string) rules.Text {
	unit = safeUnit(unit)
	if unit == "" {
		return rules.Text{NL: name.NL + " (geen eenheid)", EN: name.EN + " (no unit)"}
	}
	return rules.Text{NL: name.NL + " (eenheid " + unit + ")", EN: name.EN + " (unit " + unit + ")"}
}

// safeUnit keeps a unit string from the request fit to quote on a card:
// letters, digits and the characters UCUM and lab feeds use (m[IU]/L keeps
// its brackets: without ( or : they cannot form a link), at most 24
// runes. Anything else (markup, links) becomes "?", and so does the dot of
// "www.", so free text from a lab feed can never inject HTML, Markdown or
// an autolink into a card.
func safeUnit(unit string) string {
	var sb strings.Builder
	n := 0
	unit = strings.TrimSpace(unit)
	for i, r := range unit {
		if n == 24 {
			sb.WriteString("…")
			break
		}
		switch {
		case r == '.' && i >= 3 && strings.EqualFold(unit[i-3:i], "www"):
			sb.WriteRune('?')
		case unicode.IsLetter(r), unicode.IsDigit(r), strings.ContainsRune(" /.%{}[]^-µ²³'", r):
			sb.WriteRune(r)
		default:
			sb.WriteRune('?')
		}
		n++
	}
	return sb.String()
}
