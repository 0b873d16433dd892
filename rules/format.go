package rules

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatNumber renders a number the way a lab report would: no trailing
// zeros, at most two decimals, a dot as decimal separator. Dutch text uses
// FormatNumberNL or NumberText.
func FormatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// FormatNumberNL renders a number for Dutch text: FormatNumber with a
// decimal comma and a typographic minus sign (−2,4; 49,05).
func FormatNumberNL(v float64) string { return NumberNL(FormatNumber(v)) }

// NumberNL turns a number already formatted with a decimal point ("-2.4",
// "+8.0", "<2.5") into its Dutch form ("−2,4", "+8,0", "<2,5"). Anything
// that is not a plain number, optionally after a FHIR comparator (a code,
// a date), is returned unchanged.
func NumberNL(s string) string {
	cmp := strings.TrimLeft(s, "<>=")
	prefix := s[:len(s)-len(cmp)]
	if !isPlainNumber(cmp) {
		return s
	}
	cmp = strings.Replace(cmp, ".", ",", 1)
	if strings.HasPrefix(cmp, "-") {
		cmp = "−" + cmp[1:]
	}
	return prefix + cmp
}

// isPlainNumber reports whether s is an optionally signed decimal number
// with a point, such as "-2.4", "+8.0" or "49.05".
func isPlainNumber(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	dots := 0
	for _, r := range s {
		switch {
		case r == '.':
			dots++
		case r < '0' || r > '9':
			return false
		}
	}
	return dots <= 1
}

// NumberText is a number in both languages: "−2,4" in Dutch, "-2.4" in
// English.
func NumberText(v float64) Text { return Text{NL: FormatNumberNL(v), EN: FormatNumber(v)} }

// count renders n with the singular or plural noun.
func count(n int, nlOne, nlMany, enOne, enMany string) Text {
	if n == 1 || n == -1 {
		return Text{NL: itoa(n) + " " + nlOne, EN: itoa(n) + " " + enOne}
	}
	return Text{NL: itoa(n) + " " + nlMany, EN: itoa(n) + " " + enMany}
}

// Days, Weeks, Months and Years render a whole number of them with the
// right singular or plural: "1 maand", "5 maanden"; "1 month", "5 months".
func Days(n int) Text { return count(n, "dag", "dagen", "day", "days") }

// Weeks renders n weeks; see Days.
func Weeks(n int) Text { return count(n, "week", "weken", "week", "weeks") }

// Months renders n months; see Days.
func Months(n int) Text { return count(n, "maand", "maanden", "month", "months") }

// Years renders n years; see Days.
func Years(n int) Text { return count(n, "jaar", "jaar", "year", "years") }

// GenderText names a FHIR administrative gender in both languages.
func GenderText(g string) Text {
	switch g {
	case "male":
		return Text{NL: "man", EN: "male"}
	case "female":
		return Text{NL: "vrouw", EN: "female"}
	case "other":
		return Text{NL: "anders", EN: "other"}
	case "", "unknown":
		return Text{NL: "onbekend", EN: "unknown"}
	}
	return Text{NL: g, EN: g}
}

// statusNL and routeNL are the Dutch names of FHIR statuses and
// MedicationRecord.Route values; built once, not per card.
var (
	statusNL = map[string]string{
		"active":           "actief",
		"completed":        "afgerond",
		"stopped":          "gestopt",
		"on-hold":          "onderbroken",
		"cancelled":        "geannuleerd",
		"revoked":          "ingetrokken",
		"draft":            "concept",
		"entered-in-error": "foutief ingevoerd",
		"not-taken":        "niet ingenomen",
		"intended":         "voorgenomen",
		"in-progress":      "lopend",
		"unknown":          "onbekend",
	}
	routeNL = map[string]string{
		"oral":          "oraal",
		"intravenous":   "intraveneus",
		"subcutaneous":  "subcutaan",
		"intramuscular": "intramusculair",
		"inhalation":    "inhalatie",
		"nasal":         "nasaal",
		"topical":       "lokaal",
		"":              "onbekend",
	}
)

// dutch returns the Dutch name of code in table, or code itself.
func dutch(table map[string]string, code string) string {
	if nl, ok := table[code]; ok {
		return nl
	}
	return code
}

// StatusText names a FHIR medication or request status in both languages.
func StatusText(s string) Text {
	return Text{NL: dutch(statusNL, s), EN: s}
}

// RouteText names a MedicationRecord.Route in both languages.
func RouteText(r string) Text {
	en := r
	if en == "" {
		en = "unknown"
	}
	return Text{NL: dutch(routeNL, r), EN: en}
}

// FormatDate renders a date as ISO 8601 (YYYY-MM-DD), unambiguous in both
// languages.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// FormatDateIn formats a date as a clinician reads it: "05-04-2025" in
// Dutch (the day-month-year of Dutch records), "5 Apr 2025" in English.
func FormatDateIn(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	if lang == "en" {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02-01-2006")
}

// Common citations, so that every card cites a source with the same words
// and link.
var (
	CiteNHG = Citation{
		Label: "NHG-Standaard Fractuurpreventie (M69)",
		URL:   "https://richtlijnen.nhg.org/standaarden/fractuurpreventie",
	}
	CiteNIVIdentification = Citation{
		Label: "NIV 2022 Richtlijn Osteoporose en fractuurpreventie: identificatie verhoogd fractuurrisico",
		URL:   "https://richtlijnendatabase.nl/richtlijn/osteoporose_en_fractuurpreventie/identificatie_van_personen_met_een_verhoogd_fractuurrisico.html",
	}
	CiteNIVLab = Citation{
		Label: "NIV 2022 Richtlijn Osteoporose en fractuurpreventie: laboratoriumonderzoek",
		URL:   "https://richtlijnendatabase.nl/richtlijn/osteoporose_en_fractuurpreventie/welk_laboratoriumonderzoek_bij_verhoogd_fractuurrisico.html",
	}
	CiteNIVLongTerm = Citation{
		Label: "NIV 2022 Richtlijn Osteoporose en fractuurpreventie: strategieën tijdens behandeling en op lange termijn",
		URL:   "https://richtlijnendatabase.nl/richtlijn/osteoporose_en_fractuurpreventie/strategie_n_tijdens_behandeling_en_op_lange_termijn.html",
	}
	CiteECTS2017 = Citation{
		Label: "Tsourdi E et al. Discontinuation of denosumab therapy for osteoporosis (ECTS). Bone 2017;105:11-17",
		URL:   "https://doi.org/10.1016/j.bone.2017.08.003",
	}
	CiteECTS2021 = Citation{
		Label: "Tsourdi E et al. Fracture risk and management of discontinuation of denosumab therapy (ECTS). J Clin Endocrinol Metab 2021;106(1):264",
		URL:   "https://doi.org/10.1210/clinem/dgaa756",
	}
	CiteMTXOsteopathy = Citation{
		Label: "Robin F et al. Methotrexate osteopathy: five cases and systematic literature review. Osteoporos Int 2021",
		URL:   "https://doi.org/10.1007/s00198-020-05664-x",
	}
	CiteRisedronateSmPC = Citation{
		Label: "Risedronate SmPC 4.3: contraindicated at creatinine clearance < 30 mL/min",
		URL:   "https://www.ema.europa.eu/en/medicines",
	}
	CiteAlendronateSmPC = Citation{
		Label: "Alendronate SmPC 4.2: not recommended at GFR < 35 mL/min",
		URL:   "https://www.ema.europa.eu/en/medicines",
	}
	CiteAclastaSmPC = Citation{
		Label: "Aclasta (zoledronic acid 5 mg) SmPC 4.3/4.4: contraindicated at creatinine clearance < 35 mL/min",
		URL:   "https://www.ema.europa.eu/en/medicines/human/EPAR/aclasta",
	}
)

// conditionName names a coded condition for evidence tables by its
// clinical meaning (never a bare code): "wervelfractuur (graad 2)",
// "heupfractuur", "hiatushernia".
func conditionName(c Condition) Text {
	var t Text
	switch {
	case c.Has(ConceptHipFracture):
		t = Text{NL: "heupfractuur", EN: "hip fracture"}
	case c.Has(ConceptVertebralFracture):
		t = Text{NL: "wervelfractuur", EN: "vertebral fracture"}
	case c.Has(ConceptStressFracture):
		t = Text{NL: "stressfractuur", EN: "stress fracture"}
	case c.Has(ConceptFracture), c.Has(ConceptFractureExcluded):
		t = Text{NL: "fractuur", EN: "fracture"}
		if c.Display != "" {
			// The record says which fracture; "fractuur" alone does not.
			t = Text{NL: c.Display, EN: c.Display}
		}
	case c.Has(ConceptBonePain):
		t = Text{NL: "botpijn", EN: "bone pain"}
	case c.Has(ConceptOesophagealDisorder):
		t = Text{NL: "slokdarmaandoening", EN: "oesophageal disorder"}
	case c.Has(ConceptHiatalHernia):
		t = Text{NL: "hiatushernia/reflux", EN: "hiatal hernia/reflux"}
	case c.Has(ConceptOsteoporosis):
		t = Text{NL: "osteoporose", EN: "osteoporosis"}
	case c.Has(ConceptHypothyroidism):
		t = Text{NL: "hypothyreoïdie", EN: "hypothyroidism"}
	case c.Has(ConceptFall):
		t = Text{NL: "val", EN: "fall"}
	default:
		if c.Display != "" {
			return Text{NL: c.Display, EN: c.Display}
		}
		return Text{NL: c.Code, EN: c.Code}
	}
	if c.GenantGrade > 0 {
		t.NL += " (Genant graad " + itoa(c.GenantGrade) + ")"
		t.EN += " (Genant grade " + itoa(c.GenantGrade) + ")"
	}
	return t
}

// DurationText writes a number of days as a GP reads it: "5 jaar en 2
// maanden", "7 maanden", "12 dagen" (a month is 365.25/12 days).
func DurationText(days int) Text {
	if days < 0 {
		days = 0
	}
	months := int(float64(days) / (365.25 / 12))
	if months < 1 {
		return Text{NL: itoa(days) + " dagen", EN: itoa(days) + " days"}
	}
	y, m := months/12, months%12
	unit := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return itoa(n) + " " + many
	}
	switch {
	case y == 0:
		return Text{NL: unit(m, "maand", "maanden"), EN: unit(m, "month", "months")}
	case m == 0:
		return Text{NL: unit(y, "jaar", "jaar"), EN: unit(y, "year", "years")}
	}
	return Text{NL: unit(y, "jaar", "jaar") + " en " + unit(m, "maand", "maanden"), EN: unit(y, "year", "years") + " and " + unit(m, "month", "months")}
}

// AgoText writes how long ago something was, rounded to the nearest month
// as a GP says it: 242 days is "8 maanden", not DurationText's completed
// "7 maanden". Under a month it counts days.
func AgoText(days int) Text {
	const month = 365.25 / 12
	if float64(days) < month {
		return DurationText(days)
	}
	months := math.Round(float64(days) / month)
	return DurationText(int(math.Ceil(months * month)))
}
