package rules

import (
	"sort"
)

// Rule is one topic of the catalog: a pure function of the evaluation
// context that returns zero or more findings for its topic.
type Rule struct {
	// Number is the catalog number (R01 = 1); it fixes the catalog order.
	Number int
	// Topic is the topic code, equal to the rule's file name.
	Topic string
	// Hooks are the hooks the rule runs on.
	Hooks []Hook
	// Eval computes the findings. It may call c.Missing to report data it
	// needed but did not have; it must not mutate c.Facts.
	Eval func(c *Context) []Finding
}

// catalog holds every rule; each rule file registers itself in init so
// that rules can be added without editing a shared list.
var catalog []Rule

func register(r Rule) {
	catalog = append(catalog, r)
	sort.Slice(catalog, func(i, j int) bool { return catalog[i].Number < catalog[j].Number })
}

// Catalog returns every rule in catalog order (R01…R28). The order is the
// tie-breaker when two findings suggest the same order.
func Catalog() []Rule {
	return append([]Rule(nil), catalog...)
}

// Context is what a rule sees: the facts, the thresholds, and helpers that
// answer the questions many rules ask the same way.
type Context struct {
	Facts      Facts
	Thresholds Thresholds
	missing    []Text
}

// Missing records that a rule could not be evaluated because an input was
// missing or unusable. All such reports become one insufficient-data card.
func (c *Context) Missing(what Text) {
	for _, m := range c.missing {
		if m == what {
			return
		}
	}
	c.missing = append(c.missing, what)
}

// Evaluate runs every catalog rule that applies to facts.Hook and returns
// the findings in a deterministic order: most urgent first, then catalog
// order. One order (such as a DXA) is suggested once per response.
func Evaluate(facts Facts, th Thresholds) []Finding {
	return EvaluateRules(catalog, facts, th)
}

// EvaluateRules is Evaluate over an explicit rule list (for tests and for
// deployments that disable topics).
func EvaluateRules(rules []Rule, facts Facts, th Thresholds) []Finding {
	c := &Context{Facts: facts, Thresholds: th}
	type ranked struct {
		f     Finding
		order int
	}
	var all []ranked
	for _, r := range rules {
		if !runsOn(r, facts.Hook) {
			continue
		}
		for _, f := range r.Eval(c) {
			all = append(all, ranked{f, r.Number})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if a, b := all[i].f.Indicator.Rank(), all[j].f.Indicator.Rank(); a != b {
			return a > b
		}
		return all[i].order < all[j].order
	})
	out := make([]Finding, 0, len(all)+1)
	for _, r := range all {
		out = append(out, r.f)
	}
	out = dedupeSuggestions(out)
	if f, ok := insufficientData(c); ok {
		out = append(out, f)
	}
	return out
}

func runsOn(r Rule, h Hook) bool {
	for _, x := range r.Hooks {
		if x == h {
			return true
		}
	}
	return false
}

// dedupeSuggestions keeps each suggestion key (e.g. "order-dxa") on the
// first finding that offers it (the most urgent, then the earliest in the
// catalog) and tells the other cards where to find it, so the clinician
// sees one DXA order, not two.
func dedupeSuggestions(findings []Finding) []Finding {
	owner := map[string]int{}
	for i := range findings {
		kept := findings[i].Suggestions[:0:0]
		for _, s := range findings[i].Suggestions {
			if s.Key == "" {
				kept = append(kept, s)
				continue
			}
			if o, seen := owner[s.Key]; seen {
				findings[i].Detail = appendParagraph(findings[i].Detail, Text{
					NL: "De suggestie \"" + s.Label.NL + "\" staat op de kaart \"" + findings[o].Summary.NL + "\".",
					EN: "The suggestion \"" + s.Label.EN + "\" is on the card \"" + findings[o].Summary.EN + "\".",
				})
				continue
			}
			owner[s.Key] = i
			kept = append(kept, s)
		}
		findings[i].Suggestions = kept
	}
	return findings
}

func appendParagraph(t, p Text) Text {
	join := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + "\n\n" + b
	}
	return Text{NL: join(t.NL, p.NL), EN: join(t.EN, p.EN)}
}
