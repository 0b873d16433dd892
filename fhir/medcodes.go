package fhir

// Drug classification: which rules.DrugClass a medication coding belongs to
// (terminology.md §4 and the value sets of §11).
//
// Evidence marks follow terminology.md §0: "~" codes come from third-party
// lists and must be confirmed before go-live; codes marked UNVERIFIED there
// (RxNorm teriparatide, budesonide, colecalciferol, ...) are deliberately
// absent. NL records carry an ATC coding next to the G-Standaard code, so ATC
// by prefix is the main path; RxNorm covers US feeds; anything else is taught
// by configuration (LocalCode).

import (
	"strconv"
	"strings"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// SystemEDQM is the EDQM Standard Terms URI (dose forms and routes); some
// feeds send the OID form SystemEDQMOID instead.
const (
	SystemEDQM    = "http://standardterms.edqm.eu"
	SystemEDQMOID = "urn:oid:0.4.0.127.0.16.1.1.2.1"
)

// Short aliases for applyRoute.
const (
	dBPOral  = rules.DrugBisphosphonateOral
	dBPIV    = rules.DrugBisphosphonateIV
	dGCSys   = rules.DrugGlucocorticoidSystemic
	dGCLocal = rules.DrugGlucocorticoidLocal
)

// drugEntry is one row of a code table.
type drugEntry struct {
	classes []rules.DrugClass
	// name is the English ingredient (or group) name shown on cards.
	name string
	// nameNL is the Dutch name (the value set's name-nl meaning; a local
	// code's configured Name).
	nameNL string
	// strengthMg is the strength a product code implies (RxNorm SCD), 0 for
	// ingredient and group codes.
	strengthMg float64
	// bpByRoute marks a bisphosphonate that exists both as tablets and as an
	// infusion (ibandronic acid, an unspecified M05BA member): the oral/IV
	// class is decided from the dosage route (see applyRoute).
	bpByRoute bool
	// formRoute is the route an RxNorm product's dose form implies
	// ("... Ophthalmic Suspension" is topical), used when the dosage names
	// none; "" for ingredient and group codes.
	formRoute string
}

// drugMatch is a classified coding plus where its strength came from, so
// medicationRecords can apply the strength order documented on
// classifyDrug.
type drugMatch struct {
	drugEntry
	// code is the matched coding for display, e.g. "ATC M05BA04".
	code string
	// displayStrengthMg is parsed from a coding display ("Prolia 60 mg"),
	// the weakest strength source.
	displayStrengthMg float64
}

// classifyDrug returns the drug classes of a medication concept.
//
// Codings are tried in this order and the first match wins: a configured
// local code (it is the most specific: a G-Standaard product with its
// strength), then ATC (by exact code, then by group prefix), then RxNorm.
// name is the English ingredient name from our tables (or the local code's
// configured Name), never EHR free text; code is e.g. "ATC M05BA04".
//
// strengthMg is what the concept alone says: the strength a product code
// implies (LocalCode.StrengthMg, RxNorm SCD), else a "NN mg" parsed from a
// coding display or the concept text. medicationRecords ranks the sources
// as: Medication.ingredient.strength, then the code-implied strength, then
// dosage doseQuantity in mg, then the display text as a last resort (only
// meant to tell denosumab 60/120 mg and zoledronic acid 5/4 mg apart).
func (t *Terminology) classifyDrug(cc *r4.CodeableConcept) (classes []rules.DrugClass, name, code string, strengthMg float64, ok bool) {
	m, ok := t.matchDrug(cc)
	if !ok {
		return nil, "", "", 0, false
	}
	strengthMg = m.strengthMg
	if strengthMg == 0 {
		strengthMg = m.displayStrengthMg
	}
	// Without a route, applyRoute gives the default form (see there).
	return applyRoute(m.drugEntry, ""), m.name, m.code, strengthMg, true
}

// matchDrug is classifyDrug with the strength sources kept apart.
func (t *Terminology) matchDrug(cc *r4.CodeableConcept) (drugMatch, bool) {
	if cc == nil {
		return drugMatch{}, false
	}
	var best drugMatch
	bestRank := 0 // 3 local, 2 ATC, 1 RxNorm
	displayMg := 0.0
	for _, c := range cc.Coding {
		if displayMg == 0 && c.Display != nil {
			displayMg = parseDisplayMg(*c.Display)
		}
		if c.System == nil || c.Code == nil {
			continue
		}
		system, value := strings.TrimSpace(*c.System), strings.TrimSpace(*c.Code)
		if lc, ok := t.lookupLocal(system, value); ok && len(lc.DrugClasses) > 0 && bestRank < 3 {
			best = drugMatch{
				drugEntry: drugEntry{classes: lc.DrugClasses, name: lc.Name, nameNL: lc.Name, strengthMg: lc.StrengthMg},
				code:      drugCodeDisplay(system, value),
			}
			bestRank = 3
			continue
		}
		switch system {
		case SystemATC:
			if e, ok := t.index().lookupATC(value); ok && bestRank < 2 {
				best, bestRank = drugMatch{drugEntry: e, code: "ATC " + strings.ToUpper(value)}, 2
			}
		case SystemRxNorm:
			if bestRank >= 1 {
				break
			}
			e, ok := t.index().rxnorm[value]
			if !ok && c.Display != nil {
				e, ok = t.index().rxnormByName(*c.Display)
			}
			if ok {
				best, bestRank = drugMatch{drugEntry: e, code: "RxNorm " + value}, 1
			}
		}
	}
	if bestRank == 0 {
		return drugMatch{}, false
	}
	if displayMg == 0 && cc.Text != nil {
		displayMg = parseDisplayMg(*cc.Text)
	}
	best.displayStrengthMg = displayMg
	return best, true
}

// gStandaardNames are the G-Standaard OIDs of terminology.md §1 (~), the
// usual systems of a local medication code in NL.
var gStandaardNames = map[string]string{
	"urn:oid:2.16.840.1.113883.2.4.4.1":  "G-Standaard GPK",
	"urn:oid:2.16.840.1.113883.2.4.4.7":  "G-Standaard HPK",
	"urn:oid:2.16.840.1.113883.2.4.4.10": "G-Standaard PRK",
}

// drugCodeDisplay renders a medication coding as "<system name> <code>".
func drugCodeDisplay(system, code string) string {
	if name, ok := gStandaardNames[system]; ok {
		return name + " " + code
	}
	return codeDisplay(system, code)
}

// parseDisplayMg returns the first "NN mg" in s that is not a per-mL
// concentration, or 0. It finds "60 mg", "2,5mg" or "120 mg/1,7 ml" but not
// a concentration such as "70 mg/ml": Xgeva (120 mg per 1.7 mL) is also
// labelled "70 mg/ml", which would match neither 60 nor 120. The per-
// container form ("4 mg/5 ml", "5 mg/100 ml") is the total dose and is kept.
//
// This is a hand-written scanner, because it runs on every medication
// display and text and the regular expression it replaces cost about 4% of
// handler CPU. It behaves exactly like taking the successive matches of
//
//	(?i)(\d+(?:[.,]\d+)?)\s*mg\b(\s*/\s*(\d+(?:[.,]\d+)?)?\s*ml)?
//
// and returning the first that is not "NN mg/ml" and parses to a positive
// number; medcodes_test.go keeps that expression as the oracle of a table
// and of FuzzParseDisplayMg. \d, \s and \b are ASCII-only in Go, and m, g
// and l fold to no other letter, so the scan works on bytes.
func parseDisplayMg(s string) float64 {
	for i := 0; i < len(s); {
		if !isDoseDigit(s[i]) {
			i++
			continue
		}
		runEnd := doseDigitsEnd(s, i)
		numEnd := doseDecimalEnd(s, runEnd)
		j := doseSpacesEnd(s, numEnd)
		if !doseHasPair(s, j, 'm', 'g') || j+2 < len(s) && isDoseWordByte(s[j+2]) {
			// No "mg" after the number. A match starting later in the same
			// digit run would see the same text after it and fail too, so
			// resume at the run's end: that keeps the scan linear on long
			// digit runs, as the regexp was. A decimal part may still start
			// a number of its own: "1.2.5 mg" is 2.5.
			i = runEnd
			continue
		}
		end := j + 2
		perML := false
		if k := doseSpacesEnd(s, end); k < len(s) && s[k] == '/' {
			k = doseSpacesEnd(s, k+1)
			n := k
			if n < len(s) && isDoseDigit(s[n]) {
				n = doseDecimalEnd(s, doseDigitsEnd(s, n))
			}
			if m := doseSpacesEnd(s, n); doseHasPair(s, m, 'm', 'l') {
				// "/ ml" is a concentration; "/ 5 ml" a container.
				end, perML = m+2, n == k
			}
		}
		if !perML {
			v, err := strconv.ParseFloat(strings.Replace(s[i:numEnd], ",", ".", 1), 64)
			if err == nil && v > 0 {
				return v
			}
		}
		// The next match starts after this one, "/ ml" included.
		i = end
	}
	return 0
}

func isDoseDigit(b byte) bool { return '0' <= b && b <= '9' }

// isDoseWordByte is the \w of \b: [0-9A-Za-z_].
func isDoseWordByte(b byte) bool {
	return isDoseDigit(b) || 'a' <= b|0x20 && b|0x20 <= 'z' || b == '_'
}

// doseDigitsEnd returns the end of the run of ASCII digits starting at i.
func doseDigitsEnd(s string, i int) int {
	for i < len(s) && isDoseDigit(s[i]) {
		i++
	}
	return i
}

// doseDecimalEnd extends a number ending at i with a decimal part, "[.,]\d+",
// when one follows.
func doseDecimalEnd(s string, i int) int {
	if i+1 < len(s) && (s[i] == '.' || s[i] == ',') && isDoseDigit(s[i+1]) {
		return doseDigitsEnd(s, i+1)
	}
	return i
}

// doseSpacesEnd skips \s, [\t\n\f\r ], from i.
func doseSpacesEnd(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\f', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// doseHasPair reports whether s[i:] starts with the lower-case letters a,
// b in either case.
func doseHasPair(s string, i int, a, b byte) bool {
	return i+1 < len(s) && s[i]|0x20 == a && s[i+1]|0x20 == b
}

// Routes as MedicationRecord.Route spells them.
const (
	routeOral          = "oral"
	routeIntravenous   = "intravenous"
	routeSubcutaneous  = "subcutaneous"
	routeIntramuscular = "intramuscular"
	routeInhalation    = "inhalation"
	routeNasal         = "nasal"
	routeTopical       = "topical"
)

// snomedRoutes are SNOMED CT route qualifiers (~: consistent in several
// third-party FHIR examples; terminology.md §4.3 lists them as UNVERIFIED).
var snomedRoutes = map[string]string{
	"26643006":  routeOral,
	"47625008":  routeIntravenous,
	"34206005":  routeSubcutaneous,
	"78421000":  routeIntramuscular,
	"447694001": routeInhalation, // respiratory tract route
	"46713006":  routeNasal,
	"6064005":   routeTopical,
}

// edqmRoutes are EDQM Standard Terms routes of administration (~: an HL7
// affiliate value set and several EU examples). Eye and ear drops and skin
// use count as topical: the glucocorticoid rules only need "not systemic".
var edqmRoutes = map[string]string{
	"20053000": routeOral,
	"20045000": routeIntravenous,
	"20066000": routeSubcutaneous,
	"20035000": routeIntramuscular,
	"20020000": routeInhalation,
	"20050000": routeNasal,
	"20085000": routeTopical, // cutaneous
	"20051000": routeTopical, // ophthalmic
	"20049000": routeTopical, // auricular
}

// textRoutes maps free-text route words (Dutch and English) and common
// abbreviations, lower case, without dots.
var textRoutes = map[string]string{
	"oral": routeOral, "oraal": routeOral, "po": routeOral, "per os": routeOral, "oral use": routeOral,
	"intravenous": routeIntravenous, "intraveneus": routeIntravenous, "iv": routeIntravenous, "infusion": routeIntravenous, "infuus": routeIntravenous,
	"subcutaneous": routeSubcutaneous, "subcutaan": routeSubcutaneous, "sc": routeSubcutaneous, "sq": routeSubcutaneous,
	"intramuscular": routeIntramuscular, "intramusculair": routeIntramuscular, "im": routeIntramuscular,
	"inhalation": routeInhalation, "inhalatie": routeInhalation, "inhaled": routeInhalation, "inhalatoir": routeInhalation, "respiratory": routeInhalation,
	"nasal": routeNasal, "nasaal": routeNasal, "intranasal": routeNasal, "neus": routeNasal,
	"topical": routeTopical, "cutaneous": routeTopical, "cutaan": routeTopical, "dermal": routeTopical, "dermaal": routeTopical, "lokaal": routeTopical, "huid": routeTopical,
	"ophthalmic": routeTopical, "oculair": routeTopical, "oog": routeTopical, "otic": routeTopical, "auricular": routeTopical, "oor": routeTopical,
}

// routeOf maps a dosage route to oral, intravenous, subcutaneous,
// intramuscular, inhalation, nasal or topical; "" when unknown. Codes win
// over text.
func routeOf(cc *r4.CodeableConcept) string {
	if cc == nil {
		return ""
	}
	for _, c := range cc.Coding {
		if c.System == nil || c.Code == nil {
			continue
		}
		var table map[string]string
		switch strings.TrimSpace(*c.System) {
		case SystemSNOMED:
			table = snomedRoutes
		case SystemEDQM, SystemEDQMOID:
			table = edqmRoutes
		}
		if r, ok := table[strings.TrimSpace(*c.Code)]; ok {
			return r
		}
	}
	texts := []*string{cc.Text}
	for _, c := range cc.Coding {
		texts = append(texts, c.Display, c.Code)
	}
	for _, s := range texts {
		if s == nil {
			continue
		}
		w := strings.ToLower(strings.TrimSpace(strings.ReplaceAll(*s, ".", "")))
		if r, ok := textRoutes[w]; ok {
			return r
		}
	}
	return ""
}

// applyRoute adjusts route-dependent classes: a glucocorticoid given by
// inhalation, nasally or topically is local even when its code says
// systemic (an H02AB or RxNorm ingredient code), while a code that is local
// by ATC (R03BA, D07, ...) stays local whatever the route; a bisphosphonate
// available both as tablet and infusion is IV when given intravenously and
// otherwise oral (tablets are the common form: ibandronic acid 150 mg
// monthly).
func applyRoute(e drugEntry, route string) []rules.DrugClass {
	if route == "" {
		route = e.formRoute
	}
	out := make([]rules.DrugClass, 0, len(e.classes)+1)
	local := route == routeInhalation || route == routeNasal || route == routeTopical
	for _, c := range e.classes {
		if c == dGCSys && local {
			c = dGCLocal
		}
		out = append(out, c)
	}
	if e.bpByRoute && !hasClass(out, dBPOral) && !hasClass(out, dBPIV) {
		if route == routeIntravenous {
			out = append(out, dBPIV)
		} else {
			out = append(out, dBPOral)
		}
	}
	return out
}

func hasClass(cs []rules.DrugClass, c rules.DrugClass) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}
