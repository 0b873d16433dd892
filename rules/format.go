package rules

import (
	"strconv"
	"strings"
	"time"
)

// FormatNumber renders a number the way a lab report would: no trailing
// zeros, at most two decimals, a dot as decimal separator (hooks may
// localise it).
func FormatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// FormatDate renders a date as ISO 8601 (YYYY-MM-DD), unambiguous in both
// languages.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
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
