package rules

import "strings"

// R28 insufficient-data. Source: [DESIGN] rules.md §4 R28: when a rule
// cannot be evaluated because a required input is missing or unusable
// (no birthDate; a lab value with an unconvertible unit; a DXA result
// without a site), emit ONE aggregated info card that names what is
// missing. Missing is never read as normal or abnormal.

// TopicInsufficientData is the topic code of the aggregated card.
const TopicInsufficientData = "insufficient-data"

func insufficientData(c *Context) (Finding, bool) {
	items := append([]Text(nil), c.missing...)
	var evidence []Evidence
	for _, g := range c.Facts.Gaps {
		dup := false
		for _, it := range items {
			if it == g.What {
				dup = true
			}
		}
		if !dup {
			items = append(items, g.What)
		}
		if g.Source != "" {
			evidence = append(evidence, Evidence{Label: g.What, Source: g.Source})
		}
	}
	if len(items) == 0 {
		return Finding{}, false
	}
	var nl, en []string
	for _, it := range items {
		nl = append(nl, "- "+it.NL)
		en = append(en, "- "+it.EN)
	}
	return Finding{
		Topic:     TopicInsufficientData,
		Indicator: Info,
		Summary: Text{
			NL: "Onvoldoende gegevens voor een deel van de fractuurpreventie-adviezen",
			EN: "Insufficient data for part of the fracture-prevention advice",
		},
		Detail: Text{
			NL: "Deze gegevens ontbreken of zijn onbruikbaar; de adviezen die ze nodig hebben zijn niet beoordeeld (ontbrekend telt nooit als normaal):\n\n" + strings.Join(nl, "\n"),
			EN: "These data are missing or unusable; the advice that needs them was not evaluated (missing never counts as normal):\n\n" + strings.Join(en, "\n"),
		},
		Evidence: evidence,
	}, true
}
