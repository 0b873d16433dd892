package fhir

import (
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Unmapped codes: codings of medications, conditions and observations that
// no value set and no local code knows. The integration engineer reads
// the most frequent ones (admin page) and maps them with local_codes.
//
// Only terminology is kept: system, code, the coding's display (trimmed
// and cut to maxUnmappedDisplay runes) and a count; never a patient,
// resource id, date or value. Memory is bounded: at most capacity codes
// per kind, and when a new code arrives at a full table the least
// frequent one is replaced (the "space saving" heavy-hitters scheme: a
// frequent code cannot be pushed out by a stream of one-off codes).

// Kinds of unmapped code.
const (
	UnmappedMedication  = "medication"
	UnmappedCondition   = "condition"
	UnmappedObservation = "observation"
)

// DefaultUnmappedCapacity is the number of codes kept per kind.
const DefaultUnmappedCapacity = 500

const maxUnmappedDisplay = 120

// UnmappedCode is one row of the report.
type UnmappedCode struct {
	Kind    string `json:"kind"`
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
	Count   uint64 `json:"count"`
}

// UnmappedCodes counts unmapped codes. Safe for concurrent use; a nil
// *UnmappedCodes counts nothing.
type UnmappedCodes struct {
	mu       sync.Mutex
	capacity int
	kinds    map[string]map[string]*UnmappedCode
	// onUnmapped is called once per counted coding with its system label
	// (the Prometheus counter); set with OnUnmapped.
	onUnmapped func(systemLabel string)
}

// NewUnmappedCodes returns an empty table keeping capacity codes per kind.
func NewUnmappedCodes(capacity int) *UnmappedCodes {
	if capacity < 1 {
		capacity = 1
	}
	return &UnmappedCodes{capacity: capacity, kinds: map[string]map[string]*UnmappedCode{}}
}

// OnUnmapped sets a function called for every unmapped coding with a
// bounded system label (SystemLabel), for a metric.
func (u *UnmappedCodes) OnUnmapped(f func(systemLabel string)) {
	if u == nil {
		return
	}
	u.mu.Lock()
	u.onUnmapped = f
	u.mu.Unlock()
}

// SystemLabel maps a code system URI to a metric label: the short name of a
// known system, "local" for the G-Standaard systems, else "other", so a
// sender cannot create label values.
func SystemLabel(system string) string {
	if name, ok := systemNames[system]; ok {
		return strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	}
	if _, ok := gStandaardNames[system]; ok {
		return "g-standaard"
	}
	if system == "" {
		return "none"
	}
	return "other"
}

// record counts one unmapped coding.
func (u *UnmappedCodes) record(kind, system, code, display string) {
	if u == nil || code == "" {
		return
	}
	display = strings.TrimSpace(display)
	if utf8.RuneCountInString(display) > maxUnmappedDisplay {
		r := []rune(display)
		display = string(r[:maxUnmappedDisplay])
	}
	key := system + "|" + code
	u.mu.Lock()
	m := u.kinds[kind]
	if m == nil {
		m = map[string]*UnmappedCode{}
		u.kinds[kind] = m
	}
	if e, ok := m[key]; ok {
		e.Count++
		if e.Display == "" {
			e.Display = display
		}
	} else if len(m) < u.capacity {
		m[key] = &UnmappedCode{Kind: kind, System: system, Code: code, Display: display, Count: 1}
	} else {
		// Replace the least frequent code; the newcomer inherits its
		// count, so the counts are upper bounds for codes that entered
		// late (space saving).
		var minKey string
		var minE *UnmappedCode
		for k, e := range m {
			if minE == nil || e.Count < minE.Count || e.Count == minE.Count && k < minKey {
				minKey, minE = k, e
			}
		}
		delete(m, minKey)
		m[key] = &UnmappedCode{Kind: kind, System: system, Code: code, Display: display, Count: minE.Count + 1}
	}
	f := u.onUnmapped
	u.mu.Unlock()
	if f != nil {
		f(SystemLabel(system))
	}
}

// recordCodings counts the codings of a concept none of which is known.
// Codings without a code (text only) are not counted.
func (u *UnmappedCodes) recordCodings(kind string, cs []coding) {
	if u == nil {
		return
	}
	for _, c := range cs {
		system, code := c.key()
		u.record(kind, system, code, "")
	}
}

// recordConcept is recordCodings for a decoded CodeableConcept, whose
// codings carry their display.
func (u *UnmappedCodes) recordConcept(kind string, cc *r4.CodeableConcept) {
	if u == nil || cc == nil {
		return
	}
	for _, c := range cc.Coding {
		system, code := codingKey(c)
		display := ""
		if c.Display != nil {
			display = *c.Display
		}
		u.record(kind, system, code, display)
	}
}

// Top returns the n most frequent unmapped codes of a kind ("" = every
// kind), most frequent first.
func (u *UnmappedCodes) Top(kind string, n int) []UnmappedCode {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	var out []UnmappedCode
	for k, m := range u.kinds {
		if kind != "" && k != kind {
			continue
		}
		for _, e := range m {
			out = append(out, *e)
		}
	}
	u.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.System != b.System {
			return a.System < b.System
		}
		return a.Code < b.Code
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// Unmapped returns the table of unmapped codes this terminology counts.
func (t *Terminology) Unmapped() *UnmappedCodes {
	if t == nil {
		return nil
	}
	return t.unmapped
}
