package fhir

import (
	"strconv"

	"github.com/fracturecds/fracturecds/rules"
)

// Lifestyle risk factors (rules.LifestyleRecord) from social-history
// Observations with a numeric value: packs of cigarettes a day, alcohol
// units a day, dietary calcium in mg a day. Observations with only text
// ("rookt dagelijks") are not read: free text is never interpreted.
//
// Built-in codes (terminology.md has no verified lifestyle codes yet, so
// these are UNVERIFIED and kept here, apart from the verified tables):
// LOINC 8663-7 "Cigarettes smoked current (pack per day) - Reported" and
// LOINC 74013-4 "Alcoholic drinks per day" (a drink read as one unit).
// Practices map their own codes by configuration (LocalCode.Lifestyle).
func builtinLifestyle(system, code string) (rules.LifestyleFactor, bool) {
	if system != SystemLOINC {
		return "", false
	}
	switch code {
	case "8663-7":
		return rules.LifestyleSmoking, true
	case "74013-4":
		return rules.LifestyleAlcohol, true
	}
	return "", false
}

// lifestyleFactor returns the lifestyle factor a code stands for. It runs
// for every Observation, so the built-in codes are a switch (no key is
// built).
func (t *Terminology) lifestyleFactor(codings []coding) (rules.LifestyleFactor, bool) {
	for _, c := range codings {
		system, code := c.key()
		if lc, ok := t.lookupLocal(system, code); ok && lc.Lifestyle != "" {
			return lc.Lifestyle, true
		}
		if f, ok := builtinLifestyle(system, code); ok {
			return f, true
		}
	}
	return "", false
}

// lifestyleFact reads o as a lifestyle record, if its code is one and its
// value a plain non-negative number.
func lifestyleFact(o *observation, t *Terminology) (rules.LifestyleRecord, bool) {
	factor, ok := t.lifestyleFactor(o.Code.Coding)
	if !ok {
		return rules.LifestyleRecord{}, false
	}
	var v float64
	switch {
	case o.ValueQuantity != nil && o.ValueQuantity.Comparator == "":
		f, err := strconv.ParseFloat(string(o.ValueQuantity.Value), 64)
		if err != nil {
			return rules.LifestyleRecord{}, false
		}
		v = f
	case o.ValueInteger != nil:
		v = float64(*o.ValueInteger)
	default:
		return rules.LifestyleRecord{}, false
	}
	if v < 0 {
		return rules.LifestyleRecord{}, false
	}
	return rules.LifestyleRecord{Source: refTo("Observation", o.ID), Factor: factor, Value: v, Date: o.date()}, true
}
