package rules

// R03 bone-risk-medication (rules.md §4 R03), an informational add-on.
//
// Sources: SEED-MTX "in de Richtlijn Osteoporose … worden wel orale
// corticosteroïden, thiazolidinedionen (uitsluitend bij vrouwen),
// barbituraten, benzodiazepinen en antihormonale therapie
// (aromataseremmers) bij borstkanker vermeld" (methotrexate is not on that
// list and has its own rule, R04); SEED-GP Casus 4 "gebruik maagzuurremmer"
// and "Risicofactoren — Leefstijl, medicatie, valrisico". The fracture-risk
// association of other antiepileptics (N03A) is UNVERIFIED.
//
// Thresholds: none of its own; it reuses the triggers of R01, R05, R06 and
// R17.
//
// Fires (info, no suggestions) at patient-view only in a fracture-prevention
// context, that is when fracture-case-finding (R01), dexa-who-classification
// (R05), osteoporosis-treatment-indication (R06) or fracture-on-treatment
// (R17) fires for the same facts (fracture_prevention_context.go), and at
// least one of these drugs is in use: aromatase inhibitors (women),
// thiazolidinediones (women), barbiturates, benzodiazepines, systemic
// glucocorticoids (IsSystemicGlucocorticoid), proton-pump inhibitors, other
// antiepileptics. A drug is listed once, under its first group.

import (
	"strings"
	"unicode/utf8"
)

// TopicBoneRiskMedication is the topic code of R03.
const TopicBoneRiskMedication = "bone-risk-medication"

// BoneRiskMedication is rule R03.
var BoneRiskMedication = Rule{
	Number: 3,
	Topic:  TopicBoneRiskMedication,
	Hooks:  []Hook{PatientView},
	Eval:   evalBoneRiskMedication,
}

func init() { register(BoneRiskMedication) }

// CiteCBOOsteoporosis2011 is the multidisciplinary guideline the MTX case
// report quotes for drugs that raise fracture risk.
var CiteCBOOsteoporosis2011 = Citation{
	Label: "Richtlijn Osteoporose en fractuurpreventie (CBO 2011 / NIV 2022): geneesmiddelen die het fractuurrisico verhogen",
	URL:   "https://richtlijnendatabase.nl/richtlijn/osteoporose_en_fractuurpreventie/identificatie_van_personen_met_een_verhoogd_fractuurrisico.html",
}

// boneRiskGroup is a group of drugs that raise fracture or fall risk.
type boneRiskGroup struct {
	Class      DrugClass
	FemaleOnly bool
	Name       Text
	Why        Text
}

var boneRiskGroups = []boneRiskGroup{
	{DrugGlucocorticoidSystemic, false,
		Text{NL: "systemisch glucocorticoïd", EN: "systemic glucocorticoid"},
		Text{NL: "botverlies en wervelfracturen, dosisafhankelijk", EN: "bone loss and vertebral fractures, dose-dependent"}},
	{DrugAromataseInhibitor, true,
		Text{NL: "aromataseremmer", EN: "aromatase inhibitor"},
		Text{NL: "versneld botverlies (antihormonale therapie bij borstkanker)", EN: "accelerated bone loss (anti-hormonal breast cancer therapy)"}},
	{DrugThiazolidinedione, true,
		Text{NL: "thiazolidinedion", EN: "thiazolidinedione"},
		Text{NL: "verhoogd fractuurrisico bij vrouwen", EN: "raised fracture risk in women"}},
	{DrugBarbiturate, false,
		Text{NL: "barbituraat", EN: "barbiturate"},
		Text{NL: "botverlies en valrisico", EN: "bone loss and fall risk"}},
	{DrugBenzodiazepine, false,
		Text{NL: "benzodiazepine", EN: "benzodiazepine"},
		Text{NL: "valrisico", EN: "fall risk"}},
	{DrugPPI, false,
		Text{NL: "protonpompremmer", EN: "proton-pump inhibitor"},
		Text{NL: "verhoogd fractuurrisico bij langdurig gebruik", EN: "raised fracture risk with long-term use"}},
	{DrugAntiepileptic, false,
		Text{NL: "anti-epilepticum", EN: "antiepileptic"},
		Text{NL: "botverlies en valrisico", EN: "bone loss and fall risk"}},
}

// recordInUse reports whether a (non-draft) medication record is in use at
// T: an active status, or an end at or after T (rules.md §0.3).
func recordInUse(c *Context, m MedicationRecord) bool {
	if m.Kind == KindDraftOrder {
		return false
	}
	if c.StatusActive(m) {
		return true
	}
	switch m.Status {
	case "stopped", "cancelled", "not-taken", "entered-in-error":
		return false
	}
	return !m.SingleDose && !m.End.IsZero() && !m.End.Before(c.Facts.AsOf)
}

type boneRiskDrug struct {
	Record MedicationRecord
	Group  boneRiskGroup
}

// boneRiskDrugs returns the drugs in use that raise fracture or fall risk.
func boneRiskDrugs(c *Context) []boneRiskDrug {
	var out []boneRiskDrug
	seen := map[Ref]bool{}
	female := c.Facts.Patient.Gender == "female"
	for _, g := range boneRiskGroups {
		if g.FemaleOnly && !female {
			continue
		}
		for _, m := range c.Records(g.Class, false) {
			if seen[m.Source] || !recordInUse(c, m) {
				continue
			}
			if g.Class == DrugGlucocorticoidSystemic && !IsSystemicGlucocorticoid(m) {
				continue
			}
			seen[m.Source] = true
			out = append(out, boneRiskDrug{m, g})
		}
	}
	return out
}

func evalBoneRiskMedication(c *Context) []Finding {
	drugs := boneRiskDrugs(c)
	if len(drugs) == 0 {
		return nil
	}
	fired := firingTopics(c, TopicFractureCaseFinding, TopicDexaWHOClassification, TopicOsteoporosisTreatmentIndication, topicFractureOnTreatmentRef)
	if len(fired) == 0 {
		return nil
	}
	var ev []Evidence
	var linesNL, linesEN, namesNL, namesEN []string
	for _, d := range drugs {
		name := displayName(d.Record)
		namesNL, namesEN = append(namesNL, name.NL), append(namesEN, name.EN)
		ev = append(ev, Evidence{
			Label:     Text{NL: "Geneesmiddel (" + d.Group.Name.NL + ")", EN: "Medication (" + d.Group.Name.EN + ")"},
			ValueText: name,
			Date:      d.Record.Start,
			Source:    d.Record.Source,
		})
		linesNL = append(linesNL, "- "+name.NL+" ("+d.Group.Name.NL+"): "+d.Group.Why.NL)
		linesEN = append(linesEN, "- "+name.EN+" ("+d.Group.Name.EN+"): "+d.Group.Why.EN)
	}
	return []Finding{{
		Topic:     TopicBoneRiskMedication,
		Indicator: Info,
		Summary: Text{
			NL: summaryWithList("Medicatie die het fractuur- of valrisico verhoogt: ", namesNL),
			EN: summaryWithList("Medication that raises fracture or fall risk: ", namesEN),
		},
		Detail: Text{
			NL: "Bij deze patiënt loopt fractuurpreventie. Deze middelen verhogen het fractuur- of valrisico; beoordeel indicatie, dosis en alternatief:\n\n" + strings.Join(linesNL, "\n"),
			EN: "Fracture prevention is under way for this patient. These drugs raise fracture or fall risk; review indication, dose and alternatives:\n\n" + strings.Join(linesEN, "\n"),
		},
		Evidence: ev,
		Thresholds: []Text{
			{NL: "middelen uit de Richtlijn Osteoporose: orale corticosteroïden, thiazolidinedionen (alleen vrouwen), barbituraten, benzodiazepinen, aromataseremmers (borstkanker); daarnaast protonpompremmers (nascholing huisartsen) en overige anti-epileptica",
				EN: "drugs named by the osteoporosis guideline: oral corticosteroids, thiazolidinediones (women only), barbiturates, benzodiazepines, aromatase inhibitors (breast cancer); also proton-pump inhibitors (GP training course) and other antiepileptics"},
			{NL: "alleen naast een fractuurpreventie-advies (fractuur, DXA-uitslag, behandelindicatie of fractuur tijdens behandeling)",
				EN: "only alongside fracture-prevention advice (fracture, DXA result, treatment indication or fracture on treatment)"},
		},
		Citations: []Citation{CiteCBOOsteoporosis2011, CiteNHG},
	}}
}

// summaryWithList appends names to prefix, comma-separated, as far as the
// summary stays under 140 runes; the rest is counted ("+2").
func summaryWithList(prefix string, names []string) string {
	const maxRunes = 139
	out := prefix
	for i, n := range names {
		sep := ""
		if i > 0 {
			sep = ", "
		}
		rest := len(names) - i - 1
		tail := ""
		if rest > 0 {
			tail = " +" + itoa(rest)
		}
		if utf8.RuneCountInString(out+sep+n+tail) > maxRunes {
			return strings.TrimRight(out, " ") + " +" + itoa(len(names)-i)
		}
		out += sep + n
	}
	return out
}
