package rules

// Shared by bone-risk-medication (R03), pretreatment-lab-workup (R07) and
// fall-risk-assessment (R26): these add-on cards appear only in a
// fracture-prevention context, that is when another rule of the catalog
// would fire for the same facts (rules.md §4 R03, R07, R26).
//
// The check runs the other rules' Eval functions, looked up by topic in
// Catalog(), on the same Context. That keeps one definition of "R01 fires"
// instead of a copy of its trigger that could drift. A topic that is not
// registered (for example a rule not yet built) counts as not firing. The
// rules consulted (R01, R05, R06, R17) must never consult R03, R07 or R26
// themselves, or the lookup would recurse.

// topicFractureOnTreatmentRef is the topic code of R17, which another file
// registers; the name differs from that file's constant on purpose.
const topicFractureOnTreatmentRef = "fracture-on-treatment"

// catalogRuleFires reports whether the registered rule with the given topic
// yields at least one finding for c.
func catalogRuleFires(c *Context, topic string) bool {
	for _, r := range catalog {
		if r.Topic == topic && r.Eval != nil {
			return len(c.eval(r)) > 0
		}
	}
	return false
}

// firingTopics returns those of topics whose rule fires for c, in the order
// given.
func firingTopics(c *Context, topics ...string) []string {
	var out []string
	for _, t := range topics {
		if catalogRuleFires(c, t) {
			out = append(out, t)
		}
	}
	return out
}
