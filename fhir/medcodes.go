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

// Short aliases keep the tables below readable.
const (
	dBP      = rules.DrugBisphosphonate
	dBPOral  = rules.DrugBisphosphonateOral
	dBPIV    = rules.DrugBisphosphonateIV
	dALN     = rules.DrugAlendronate
	dRIS     = rules.DrugRisedronate
	dZOL     = rules.DrugZoledronicAcid
	dCa      = rules.DrugCalcium
	dVitD    = rules.DrugVitaminD
	dGCSys   = rules.DrugGlucocorticoidSystemic
	dGCLocal = rules.DrugGlucocorticoidLocal
)

// drugEntry is one row of a code table.
type drugEntry struct {
	classes []rules.DrugClass
	// name is the English ingredient (or group) name shown on cards.
	name string
	// nameNL is the Dutch name (dutchDrugNames[name]; a local code's
	// configured Name), set by matchDrug.
	nameNL string
	// strengthMg is the strength a product code implies (RxNorm SCD), 0 for
	// ingredient and group codes.
	strengthMg float64
	// bpByRoute marks a bisphosphonate that exists both as tablets and as an
	// infusion (ibandronic acid, an unspecified M05BA member): the oral/IV
	// class is decided from the dosage route (see applyRoute).
	bpByRoute bool
}

func classes(c ...rules.DrugClass) []rules.DrugClass { return c }

// atcExact holds full 7-character ATC codes. Checked before atcPrefixes, so
// an exact row wins over its group.
var atcExact = map[string]drugEntry{
	// Bisphosphonates (M05BA). Oral: alendronic, risedronic, etidronic,
	// clodronic, tiludronic acid; IV: zoledronic, pamidronic acid (§11
	// BP_ORAL / BP_IV). Ibandronic acid comes as both.
	"M05BA01": {classes: classes(dBP, dBPOral), name: "etidronic acid"},
	"M05BA02": {classes: classes(dBP, dBPOral), name: "clodronic acid"},
	"M05BA03": {classes: classes(dBP, dBPIV), name: "pamidronic acid"},
	"M05BA04": {classes: classes(dBP, dBPOral, dALN), name: "alendronic acid"},
	"M05BA05": {classes: classes(dBP, dBPOral), name: "tiludronic acid"},
	"M05BA06": {classes: classes(dBP), name: "ibandronic acid", bpByRoute: true},
	"M05BA07": {classes: classes(dBP, dBPOral, dRIS), name: "risedronic acid"},
	"M05BA08": {classes: classes(dBP, dBPIV, dZOL), name: "zoledronic acid"},
	// Bisphosphonate combinations (M05BB): codes ~, names inferred from the
	// calcium / vitamin D content in the STOPP/START lists (UNVERIFIED).
	"M05BB01": {classes: classes(dBP, dBPOral, dCa), name: "etidronic acid and calcium"},
	"M05BB02": {classes: classes(dBP, dBPOral, dRIS, dCa), name: "risedronic acid and calcium"},
	"M05BB03": {classes: classes(dBP, dBPOral, dALN, dVitD), name: "alendronic acid and colecalciferol"},
	"M05BB04": {classes: classes(dBP, dBPOral, dRIS, dCa, dVitD), name: "risedronic acid, calcium and colecalciferol"},
	"M05BB05": {classes: classes(dBP, dBPOral, dALN, dCa, dVitD), name: "alendronic acid, calcium and colecalciferol"},
	"M05BB06": {classes: classes(dBP, dBPOral, dALN, dVitD), name: "alendronic acid and alfacalcidol"},
	"M05BB07": {classes: classes(dBP, dBPOral, dRIS, dVitD), name: "risedronic acid and colecalciferol"},
	"M05BB08": {classes: classes(dBP, dBPIV, dZOL, dCa, dVitD), name: "zoledronic acid, calcium and colecalciferol"},
	"M05BB09": {classes: classes(dBP, dBPOral, dVitD), name: "ibandronic acid and colecalciferol"},

	"M05BX03": {classes: classes(rules.DrugStrontium), name: "strontium ranelate"},
	// Prolia and Xgeva share M05BX04; StrengthMg (60 vs 120) tells them apart.
	"M05BX04": {classes: classes(rules.DrugDenosumab), name: "denosumab"},
	"M05BX06": {classes: classes(rules.DrugRomosozumab), name: "romosozumab"},
	"H05AA02": {classes: classes(rules.DrugTeriparatide), name: "teriparatide"},
	"G03XC01": {classes: classes(rules.DrugSERM), name: "raloxifene"},
	"G03XC02": {classes: classes(rules.DrugSERM), name: "bazedoxifene"},

	// Methotrexate has two ATC codes (immunosuppressant and antineoplastic);
	// match both.
	"L04AX03": {classes: classes(rules.DrugMethotrexate), name: "methotrexate"},
	"L01BA01": {classes: classes(rules.DrugMethotrexate), name: "methotrexate"},

	// Systemic glucocorticoids by ingredient, so rules can apply the
	// prednisolone-equivalent factor of rules.md §2.3 by name. 06/07/02/04/09
	// are ~ in terminology.md; 01/08/10/13 are ~ from several third-party
	// ATC lists checked for this file.
	"H02AB01": {classes: classes(dGCSys), name: "betamethasone"},
	"H02AB02": {classes: classes(dGCSys), name: "dexamethasone"},
	"H02AB04": {classes: classes(dGCSys), name: "methylprednisolone"},
	"H02AB06": {classes: classes(dGCSys), name: "prednisolone"},
	"H02AB07": {classes: classes(dGCSys), name: "prednisone"},
	"H02AB08": {classes: classes(dGCSys), name: "triamcinolone"},
	"H02AB09": {classes: classes(dGCSys), name: "hydrocortisone"},
	"H02AB10": {classes: classes(dGCSys), name: "cortisone"},
	"H02AB13": {classes: classes(dGCSys), name: "deflazacort"},

	"R03BA01": {classes: classes(dGCLocal), name: "beclometasone"},
	"R03BA02": {classes: classes(dGCLocal), name: "budesonide"},
	"R03BA05": {classes: classes(dGCLocal), name: "fluticasone"},

	"L02BG03": {classes: classes(rules.DrugAromataseInhibitor), name: "anastrozole"},
	"L02BG04": {classes: classes(rules.DrugAromataseInhibitor), name: "letrozole"},
	"L02BG06": {classes: classes(rules.DrugAromataseInhibitor), name: "exemestane"},
	"A10BG02": {classes: classes(rules.DrugThiazolidinedione), name: "rosiglitazone"},
	"A10BG03": {classes: classes(rules.DrugThiazolidinedione), name: "pioglitazone"},
	"N03AA02": {classes: classes(rules.DrugBarbiturate), name: "phenobarbital"},
	"N05BA06": {classes: classes(rules.DrugBenzodiazepine), name: "lorazepam"},
	"A02BC01": {classes: classes(rules.DrugPPI), name: "omeprazole"},
	"A02BC02": {classes: classes(rules.DrugPPI), name: "pantoprazole"},
	"A02BC05": {classes: classes(rules.DrugPPI), name: "esomeprazole"},
	"A11CC05": {classes: classes(dVitD), name: "colecalciferol"},
	"A11CC03": {classes: classes(dVitD), name: "alfacalcidol"},
	"A12AA04": {classes: classes(dCa), name: "calcium carbonate"},
	"H03AA01": {classes: classes(rules.DrugLevothyroxine), name: "levothyroxine"},
}

// atcPrefix is one group row; atcPrefixes is searched in order, so a longer
// (more specific) prefix must come before a shorter one that contains it.
type atcPrefix struct {
	prefix string
	entry  drugEntry
}

var atcPrefixes = []atcPrefix{
	// An unknown M05BA member: a bisphosphonate whose form decides oral/IV.
	{"M05BA", drugEntry{classes: classes(dBP), name: "bisphosphonate", bpByRoute: true}},
	// Unknown M05BB combinations are oral combination packs.
	{"M05BB", drugEntry{classes: classes(dBP, dBPOral), name: "bisphosphonate combination"}},
	{"H02AB", drugEntry{classes: classes(dGCSys), name: "systemic glucocorticoid"}},
	// Non-systemic glucocorticoids (rules.md §2.3, §11 GC_NONSYSTEMIC).
	// S01B is restricted to S01BA (corticosteroids) and S01BB (with
	// mydriatics): S01BC are non-steroidal anti-inflammatory eye drops.
	{"R03BA", drugEntry{classes: classes(dGCLocal), name: "inhaled glucocorticoid"}},
	{"R03AK", drugEntry{classes: classes(dGCLocal), name: "inhaled glucocorticoid with bronchodilator"}},
	{"R01AD", drugEntry{classes: classes(dGCLocal), name: "nasal glucocorticoid"}},
	{"A07EA", drugEntry{classes: classes(dGCLocal), name: "intestinal glucocorticoid"}},
	{"D07", drugEntry{classes: classes(dGCLocal), name: "dermal glucocorticoid"}},
	{"S01BA", drugEntry{classes: classes(dGCLocal), name: "ophthalmic glucocorticoid"}},
	{"S01BB", drugEntry{classes: classes(dGCLocal), name: "ophthalmic glucocorticoid with mydriatic"}},
	{"S02B", drugEntry{classes: classes(dGCLocal), name: "otic glucocorticoid"}},
	{"S03B", drugEntry{classes: classes(dGCLocal), name: "ophthalmic/otic glucocorticoid"}},
	{"C05AA", drugEntry{classes: classes(dGCLocal), name: "haemorrhoidal glucocorticoid"}},
	{"N03AA", drugEntry{classes: classes(rules.DrugBarbiturate), name: "barbiturate"}},
	{"N05CA", drugEntry{classes: classes(rules.DrugBarbiturate), name: "barbiturate"}},
	{"N05BA", drugEntry{classes: classes(rules.DrugBenzodiazepine), name: "benzodiazepine"}},
	{"N05CD", drugEntry{classes: classes(rules.DrugBenzodiazepine), name: "benzodiazepine"}},
	// After N03AA: the other antiepileptics (§11 ANTIEPILEPTIC_OTHER).
	{"N03A", drugEntry{classes: classes(rules.DrugAntiepileptic), name: "antiepileptic"}},
	{"A02BC", drugEntry{classes: classes(rules.DrugPPI), name: "proton pump inhibitor"}},
	{"A12AA", drugEntry{classes: classes(dCa), name: "calcium"}},
	{"A12AX", drugEntry{classes: classes(dCa, dVitD), name: "calcium and colecalciferol"}},
}

// dutchDrugNames gives the Dutch name (Dutch INN spelling, as in the
// G-Standaard and the Farmacotherapeutisch Kompas) of every name in the
// tables above; TestDutchDrugNames keeps it complete.
var dutchDrugNames = map[string]string{
	"etidronic acid":  "etidroninezuur",
	"clodronic acid":  "clodroninezuur",
	"pamidronic acid": "pamidroninezuur",
	"alendronic acid": "alendroninezuur",
	"tiludronic acid": "tiludroninezuur",
	"ibandronic acid": "ibandroninezuur",
	"risedronic acid": "risedroninezuur",
	"zoledronic acid": "zoledroninezuur",

	"etidronic acid and calcium":                  "etidroninezuur en calcium",
	"risedronic acid and calcium":                 "risedroninezuur en calcium",
	"alendronic acid and colecalciferol":          "alendroninezuur en colecalciferol",
	"risedronic acid, calcium and colecalciferol": "risedroninezuur, calcium en colecalciferol",
	"alendronic acid, calcium and colecalciferol": "alendroninezuur, calcium en colecalciferol",
	"alendronic acid and alfacalcidol":            "alendroninezuur en alfacalcidol",
	"risedronic acid and colecalciferol":          "risedroninezuur en colecalciferol",
	"zoledronic acid, calcium and colecalciferol": "zoledroninezuur, calcium en colecalciferol",
	"ibandronic acid and colecalciferol":          "ibandroninezuur en colecalciferol",

	"strontium ranelate": "strontiumranelaat",
	"denosumab":          "denosumab",
	"romosozumab":        "romosozumab",
	"teriparatide":       "teriparatide",
	"raloxifene":         "raloxifeen",
	"bazedoxifene":       "bazedoxifeen",
	"methotrexate":       "methotrexaat",

	"betamethasone":      "betamethason",
	"dexamethasone":      "dexamethason",
	"methylprednisolone": "methylprednisolon",
	"prednisolone":       "prednisolon",
	"prednisone":         "prednison",
	"triamcinolone":      "triamcinolon",
	"hydrocortisone":     "hydrocortison",
	"cortisone":          "cortison",
	"deflazacort":        "deflazacort",
	"beclometasone":      "beclometason",
	"budesonide":         "budesonide",
	"fluticasone":        "fluticason",

	"anastrozole":   "anastrozol",
	"letrozole":     "letrozol",
	"exemestane":    "exemestaan",
	"rosiglitazone": "rosiglitazon",
	"pioglitazone":  "pioglitazon",
	"phenobarbital": "fenobarbital",
	"carbamazepine": "carbamazepine",
	"phenytoin":     "fenytoïne",
	"valproate":     "valproïnezuur",
	"diazepam":      "diazepam",
	"lorazepam":     "lorazepam",
	"oxazepam":      "oxazepam",
	"omeprazole":    "omeprazol",
	"pantoprazole":  "pantoprazol",
	"esomeprazole":  "esomeprazol",
	"levothyroxine": "levothyroxine",

	"colecalciferol":             "colecalciferol",
	"alfacalcidol":               "alfacalcidol",
	"calcium":                    "calcium",
	"calcium carbonate":          "calciumcarbonaat",
	"calcium and colecalciferol": "calcium en colecalciferol",

	"bisphosphonate":                             "bisfosfonaat",
	"bisphosphonate combination":                 "bisfosfonaat-combinatiepreparaat",
	"systemic glucocorticoid":                    "systemisch glucocorticoïd",
	"inhaled glucocorticoid":                     "inhalatiecorticosteroïd",
	"inhaled glucocorticoid with bronchodilator": "inhalatiecorticosteroïd met luchtwegverwijder",
	"nasal glucocorticoid":                       "neuscorticosteroïd",
	"intestinal glucocorticoid":                  "intestinaal werkend corticosteroïd",
	"dermal glucocorticoid":                      "dermaal corticosteroïd",
	"ophthalmic glucocorticoid":                  "corticosteroïd-oogdruppels",
	"ophthalmic glucocorticoid with mydriatic":   "corticosteroïd-oogdruppels met mydriaticum",
	"otic glucocorticoid":                        "corticosteroïd-oordruppels",
	"ophthalmic/otic glucocorticoid":             "corticosteroïd-oog-/oordruppels",
	"haemorrhoidal glucocorticoid":               "corticosteroïd bij aambeien",
	"barbiturate":                                "barbituraat",
	"benzodiazepine":                             "benzodiazepine",
	"antiepileptic":                              "anti-epilepticum",
	"proton pump inhibitor":                      "protonpompremmer",
}

// rxnormCodes holds RxNorm ingredient (IN) codes marked ✓ or ~ in
// terminology.md §4.2, and the oral SCD examples of the VSAC value sets
// "Glucocorticoids (oral only)" and "Aromatase Inhibitors" (§4.2). The
// UNVERIFIED candidates of §4.2 (teriparatide, budesonide, ...) are absent
// on purpose.
var rxnormCodes = map[string]drugEntry{
	"46041":   {classes: classes(dBP, dBPOral, dALN), name: "alendronic acid"},
	"73056":   {classes: classes(dBP, dBPOral, dRIS), name: "risedronic acid"},   // ~
	"115264":  {classes: classes(dBP), name: "ibandronic acid", bpByRoute: true}, // ~
	"77655":   {classes: classes(dBP, dBPIV, dZOL), name: "zoledronic acid"},
	"993449":  {classes: classes(rules.DrugDenosumab), name: "denosumab"}, // ~
	"72143":   {classes: classes(rules.DrugSERM), name: "raloxifene"},
	"1441386": {classes: classes(rules.DrugSERM), name: "bazedoxifene"},
	"6851":    {classes: classes(rules.DrugMethotrexate), name: "methotrexate"},
	// Glucocorticoid ingredients say nothing about the route; §11 restricts
	// them to systemic routes, so a local route makes them local.
	"8638":  {classes: classes(dGCSys), name: "prednisolone"},
	"8640":  {classes: classes(dGCSys), name: "prednisone"},
	"3264":  {classes: classes(dGCSys), name: "dexamethasone"},
	"6902":  {classes: classes(dGCSys), name: "methylprednisolone"},
	"5492":  {classes: classes(dGCSys), name: "hydrocortisone"},
	"1514":  {classes: classes(dGCSys), name: "betamethasone"}, // ~
	"10759": {classes: classes(dGCSys), name: "triamcinolone"}, // ~
	"2878":  {classes: classes(dGCSys), name: "cortisone"},     // ~
	"22396": {classes: classes(dGCSys), name: "deflazacort"},   // ~
	// VSAC "Glucocorticoids (oral only)" SCD examples, with their strength.
	"198145": {classes: classes(dGCSys), name: "prednisone", strengthMg: 10},
	// 1 mg/mL oral solution: strength per mL.
	"312614": {classes: classes(dGCSys), name: "prednisolone", strengthMg: 1},
	"197582": {classes: classes(dGCSys), name: "dexamethasone", strengthMg: 4},

	"84857":  {classes: classes(rules.DrugAromataseInhibitor), name: "anastrozole"},
	"72965":  {classes: classes(rules.DrugAromataseInhibitor), name: "letrozole"},  // ~
	"258494": {classes: classes(rules.DrugAromataseInhibitor), name: "exemestane"}, // ~
	"199224": {classes: classes(rules.DrugAromataseInhibitor), name: "anastrozole", strengthMg: 1},
	"200064": {classes: classes(rules.DrugAromataseInhibitor), name: "letrozole", strengthMg: 2.5},
	"310261": {classes: classes(rules.DrugAromataseInhibitor), name: "exemestane", strengthMg: 25},

	"8134":   {classes: classes(rules.DrugBarbiturate), name: "phenobarbital"},
	"2002":   {classes: classes(rules.DrugAntiepileptic), name: "carbamazepine"},
	"8183":   {classes: classes(rules.DrugAntiepileptic), name: "phenytoin"},
	"40254":  {classes: classes(rules.DrugAntiepileptic), name: "valproate"},
	"3322":   {classes: classes(rules.DrugBenzodiazepine), name: "diazepam"},
	"6470":   {classes: classes(rules.DrugBenzodiazepine), name: "lorazepam"},
	"7781":   {classes: classes(rules.DrugBenzodiazepine), name: "oxazepam"},
	"10582":  {classes: classes(rules.DrugLevothyroxine), name: "levothyroxine"},
	"7646":   {classes: classes(rules.DrugPPI), name: "omeprazole"},   // ~
	"40790":  {classes: classes(rules.DrugPPI), name: "pantoprazole"}, // ~
	"283742": {classes: classes(rules.DrugPPI), name: "esomeprazole"}, // ~
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
			if e, ok := lookupATC(value); ok && bestRank < 2 {
				best, bestRank = drugMatch{drugEntry: e, code: "ATC " + strings.ToUpper(value)}, 2
			}
		case SystemRxNorm:
			if e, ok := rxnormCodes[value]; ok && bestRank < 1 {
				best, bestRank = drugMatch{drugEntry: e, code: "RxNorm " + value}, 1
			}
		}
	}
	if bestRank == 0 {
		return drugMatch{}, false
	}
	if bestRank < 3 {
		best.nameNL = dutchDrugNames[best.name]
	}
	if displayMg == 0 && cc.Text != nil {
		displayMg = parseDisplayMg(*cc.Text)
	}
	best.displayStrengthMg = displayMg
	return best, true
}

// lookupATC finds an ATC code by exact code, then by group prefix.
func lookupATC(code string) (drugEntry, bool) {
	code = strings.ToUpper(code)
	if e, ok := atcExact[code]; ok {
		return e, true
	}
	for _, p := range atcPrefixes {
		if strings.HasPrefix(code, p.prefix) {
			return p.entry, true
		}
	}
	return drugEntry{}, false
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
