package rules

import (
	"cmp"
	"slices"
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
	// needed but did not have; it must not mutate c.Facts, nor the slices
	// Context.Records shares between rules.
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
	// findings memoises each rule's findings by topic (eval): three add-on
	// rules ask whether the same four rules fire (catalogRuleFires), and
	// the answer, like the findings EvaluateRules then collects, is the
	// same for one request.
	findings []findingsEntry
	// records memoises Records per (class, withDrafts). Like fires, it
	// relies on rules not mutating c.Facts (see Rule.Eval). A Context
	// serves one request on one goroutine, so no lock.
	records []recordsEntry
	// fractures memoises Fractures (fracturesDone tells a memoised empty
	// answer from none yet); dmabShort memoises
	// unknownDenosumabShortIntervals; dmabDoses memoises denosumabDoses.
	// Like records they rely on rules not mutating c.Facts.
	fractures                 []Condition
	fracturesDone             bool
	dmabShort, dmabShortKnown bool
	dmabDoses                 []dmabDose
	dmabDosesDone             bool
}

// eval returns r's findings for c, evaluating r once per Context. Rules
// are pure functions of c.Facts and c.Thresholds (see Rule.Eval); their
// Missing reports are deduplicated, so a second evaluation would add
// nothing.
func (c *Context) eval(r Rule) []Finding {
	for _, e := range c.findings {
		if e.topic == r.Topic {
			return e.findings
		}
	}
	f := r.Eval(c)
	if c.findings == nil {
		// About one entry per catalog rule: one allocation that fits
		// them, smaller than a map of that size.
		c.findings = make([]findingsEntry, 0, len(catalog))
	}
	c.findings = append(c.findings, findingsEntry{r.Topic, f})
	return f
}

// findingsEntry is one rule's memoised findings.
type findingsEntry struct {
	topic    string
	findings []Finding
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
	c := &Context{Facts: facts.asOf(), Thresholds: th}
	// The first pass evaluates the rules (in catalog order, as before) and
	// counts their findings; the second reads the memo and ranks pointers
	// to them, so findings are copied once, into out, instead of into a
	// growing slice and again out of it.
	n := 0
	for _, r := range rules {
		if runsOn(r, c.Facts.Hook) {
			n += len(c.eval(r))
		}
	}
	type ranked struct {
		f           *Finding
		rank, order int
	}
	all := make([]ranked, 0, n)
	for _, r := range rules {
		if !runsOn(r, c.Facts.Hook) {
			continue
		}
		fs := c.eval(r)
		for i := range fs {
			all = append(all, ranked{&fs[i], fs[i].Indicator.Rank(), r.Number})
		}
	}
	slices.SortStableFunc(all, func(a, b ranked) int {
		if a.rank != b.rank {
			return cmp.Compare(b.rank, a.rank)
		}
		return cmp.Compare(a.order, b.order)
	})
	out := make([]Finding, 0, len(all)+1)
	for _, r := range all {
		out = append(out, *r.f)
	}
	if f, ok := insufficientData(c); ok {
		out = append(out, f)
	}
	return plan(c, out)
}

func runsOn(r Rule, h Hook) bool {
	for _, x := range r.Hooks {
		if x == h {
			return true
		}
	}
	return false
}

// dedupeSuggestions makes each suggestion key (e.g. "order-dxa") appear
// once per response, on the most urgent card that proposes it (findings
// arrive most urgent first, then in catalog order, so the case-finding
// card keeps the DXA of a fracture). The kept order absorbs what the others
// asked for (VFA when any card wanted it, the union of lab analytes), and
// the other cards refer to it (SeeAlso), so the clinician sees one DXA
// order, not two.
func dedupeSuggestions(findings []Finding) []Finding {
	type offer struct{ finding, suggestion int }
	offers := map[string][]offer{}
	var keys []string
	for i, f := range findings {
		for j, s := range f.Suggestions {
			if s.Key == "" {
				continue
			}
			if _, seen := offers[s.Key]; !seen {
				keys = append(keys, s.Key)
			}
			offers[s.Key] = append(offers[s.Key], offer{i, j})
		}
	}
	drop := map[offer]bool{}
	for _, key := range keys {
		os := offers[key]
		if len(os) < 2 {
			continue
		}
		owner := os[0]
		kept := &findings[owner.finding].Suggestions[owner.suggestion]
		for _, o := range os[1:] {
			other := findings[o.finding].Suggestions[o.suggestion]
			mergeOrders(kept, other)
			drop[o] = true
			if o.finding != owner.finding {
				findings[o.finding].SeeAlso = append(findings[o.finding].SeeAlso, SeeAlso{
					Topic: findings[owner.finding].Topic,
					What:  Text{NL: "de aanvraag \"" + kept.Label.NL + "\"", EN: "the order \"" + kept.Label.EN + "\""},
				})
			}
		}
	}
	for i := range findings {
		var kept []Suggestion
		for j, s := range findings[i].Suggestions {
			if !drop[offer{i, j}] {
				kept = append(kept, s)
			}
		}
		findings[i].Suggestions = kept
	}
	return findings
}

// mergeOrders widens the orders of kept with what other asks for: a DXA
// with VFA when either wants VFA, and the union of lab analytes.
func mergeOrders(kept *Suggestion, other Suggestion) {
	// Copy before writing: suggestions may share backing arrays with
	// package-level values or other findings.
	kept.Actions = append([]Action(nil), kept.Actions...)
	for _, oa := range other.Actions {
		if oa.Order == nil {
			continue
		}
		for i := range kept.Actions {
			ko := kept.Actions[i].Order
			if ko == nil || ko.Kind != oa.Order.Kind {
				continue
			}
			merged := *ko
			switch ko.Kind {
			case OrderDXA:
				if oa.Order.WithVFA && !ko.WithVFA {
					merged.WithVFA = true
					kept.Label = other.Label
					kept.Actions[i].Description = oa.Description
				}
			case OrderLabPanel:
				merged.Analytes = append([]Analyte(nil), ko.Analytes...)
				for _, a := range oa.Order.Analytes {
					if !containsAnalyte(merged.Analytes, a) {
						merged.Analytes = append(merged.Analytes, a)
					}
				}
			}
			kept.Actions[i].Order = &merged
		}
	}
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
