package fhir

import (
	"encoding/json"
	"strconv"
	"unsafe"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/fhir/jsonscan"
)

// The hand-written decoders of the one-pass resource types. Decoding the
// prefetch Bundles was a quarter of the service's CPU at 500 requests/s,
// most of it goccy/go-json finding struct fields by reflection; these read
// the few members the rules need with a switch on the member name.
//
// They read exactly what unmarshal reads, or refuse: decodeOnePass then
// decodes the Bundle with unmarshal, as before. They refuse a member name
// with an escape or a non-ASCII byte, one that matches a field only when
// case is ignored (encoding/json matches it, they do not), a member named
// twice, a value of another JSON type than the field's, and a number that
// is not the field's kind. TestFastDecodeReadsWhatUnmarshalReads and
// FuzzFastDecode hold every Bundle they accept to unmarshal's result.

// fastDecoder is a one-pass resource type with a hand-written decoder.
// decodeJSON reads the object at r into the zero value it is called on
// (null is handled by the caller) and reports false to refuse.
type fastDecoder interface {
	decodeJSON(r *reader) bool
}

// reader reads JSON from b at i; every method reports false for input it
// refuses, after which i is meaningless.
type reader struct {
	b []byte
	i int
	// text holds the bytes of the strings read so far, which refer to it:
	// one allocation per few kilobytes of strings instead of one per
	// string. Bytes once written are never written again.
	text []byte
}

// textChunk is the size of the chunks of reader.text.
const textChunk = 4 << 10

// string returns a string with the bytes of lit, which is copied.
func (r *reader) string(lit []byte) string {
	if len(lit) == 0 {
		return ""
	}
	if len(lit) > cap(r.text)-len(r.text) {
		r.text = make([]byte, 0, max(textChunk, len(lit)))
	}
	start := len(r.text)
	r.text = append(r.text, lit...)
	return unsafe.String(&r.text[start], len(lit))
}

func (r *reader) space() { r.i = jsonscan.SkipSpace(r.b, r.i) }

// next returns the next byte (0 at the end).
func (r *reader) next() byte {
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// null consumes a null literal if it is next.
func (r *reader) null() bool {
	if j := jsonscan.SkipLiteral(r.b, r.i, "null"); j >= 0 {
		r.i = j
		return true
	}
	return false
}

// skip checks and skips a value the decoder does not read. Its depth
// counts from that value: the decoders' own nesting is fixed and shallow,
// so a refusal comes far below encoding/json's limit either way.
func (r *reader) skip() bool {
	r.i = jsonscan.SkipValue(r.b, r.i, 0)
	return r.i >= 0
}

// object reads an object, calling member with each member's name and r
// at its value, which member must read. known are the names member reads
// (bit i of the seen mask for known[i]); a name read twice, or an unknown
// one that equals a known one but for case, is refused.
func (r *reader) object(known []string, member func(field int) bool) bool {
	if r.next() != '{' {
		return false
	}
	r.i++
	r.space()
	if r.next() == '}' {
		r.i++
		return true
	}
	var seen uint64
	for {
		r.space()
		name, ok := r.name()
		if !ok {
			return false
		}
		field := -1
		for k, n := range known {
			if string(name) == n {
				if seen&(1<<k) != 0 {
					return false
				}
				seen |= 1 << k
				field = k
				break
			}
		}
		if field < 0 {
			for _, n := range known {
				if len(n) == len(name) && jsonscan.FoldEqual(name, n) {
					return false
				}
			}
		}
		r.space()
		if r.next() != ':' {
			return false
		}
		r.i++
		r.space()
		if field < 0 {
			if !r.skip() {
				return false
			}
		} else if !member(field) {
			return false
		}
		r.space()
		switch r.next() {
		case '}':
			r.i++
			return true
		case ',':
			r.i++
		default:
			return false
		}
	}
}

// name reads a member name without its quotes; a name with an escape or
// a non-ASCII byte is refused.
func (r *reader) name() ([]byte, bool) {
	if r.next() != '"' {
		return nil, false
	}
	start := r.i + 1
	end := jsonscan.PlainString(r.b, start)
	if end < 0 {
		return nil, false
	}
	r.i = end
	return r.b[start : end-1], true
}

// array reads an array (null leaves it absent), calling elem with r at
// each element, which elem must read. empty reports "[]": encoding/json
// makes an empty, non-nil slice of it.
func (r *reader) array(elem func() bool) (empty, ok bool) {
	if r.null() {
		return false, true
	}
	if r.next() != '[' {
		return false, false
	}
	r.i++
	r.space()
	if r.next() == ']' {
		r.i++
		return true, true
	}
	for {
		r.space()
		if !elem() {
			return false, false
		}
		r.space()
		switch r.next() {
		case ']':
			r.i++
			return false, true
		case ',':
			r.i++
		default:
			return false, false
		}
	}
}

// str reads a string into dst; null leaves dst as it is, as
// encoding/json does. A string with an escape or a non-ASCII byte is
// decoded by unmarshal, so its escapes and invalid UTF-8 come out as
// before.
func (r *reader) str(dst *string) bool {
	switch r.next() {
	case 'n':
		return r.null()
	case '"':
	default:
		return false
	}
	start := r.i
	if end := jsonscan.PlainString(r.b, start+1); end >= 0 {
		r.i = end
		*dst = r.string(r.b[start+1 : end-1])
		return true
	}
	end := jsonscan.SkipString(r.b, start+1)
	if end < 0 {
		return false
	}
	r.i = end
	return unmarshal(r.b[start:end], dst) == nil
}

// strPtr reads a string into a new *string; null makes it nil.
func (r *reader) strPtr(dst **string) bool {
	if r.null() {
		*dst = nil
		return true
	}
	s := new(string)
	if !r.str(s) {
		return false
	}
	*dst = s
	return true
}

// number reads a JSON number into dst as written; null leaves it. A
// number in a string, which encoding/json also reads into a json.Number,
// is refused.
func (r *reader) number(dst *json.Number) bool {
	if r.next() == 'n' {
		return r.null()
	}
	end := jsonscan.SkipNumber(r.b, r.i)
	if end < 0 {
		return false
	}
	*dst = json.Number(r.string(r.b[r.i:end]))
	r.i = end
	return true
}

// intPtr reads an integer into a new *int; null makes it nil. A
// fraction, an exponent or an int overflow is refused.
func (r *reader) intPtr(dst **int) bool {
	if r.null() {
		*dst = nil
		return true
	}
	end := jsonscan.SkipNumber(r.b, r.i)
	if end < 0 {
		return false
	}
	n, err := strconv.Atoi(string(r.b[r.i:end]))
	if err != nil {
		return false
	}
	r.i = end
	*dst = &n
	return true
}

// object decoders of the shared FHIR types

var codingMembers = []string{"system", "code"}

func (c *coding) decodeJSON(r *reader) bool {
	return r.object(codingMembers, func(f int) bool {
		if f == 0 {
			return r.str(&c.System)
		}
		return r.str(&c.Code)
	})
}

var conceptMembers = []string{"coding"}

func (c *concept) decodeJSON(r *reader) bool {
	return r.object(conceptMembers, func(int) bool {
		return sliceOf(r, &c.Coding)
	})
}

var quantityMembers = []string{"value", "comparator", "unit", "code"}

func (q *quantity) decodeJSON(r *reader) bool {
	return r.object(quantityMembers, func(f int) bool {
		switch f {
		case 0:
			return r.number(&q.Value)
		case 1:
			return r.str(&q.Comparator)
		case 2:
			return r.str(&q.Unit)
		}
		return r.str(&q.Code)
	})
}

var rangeMembers = []string{"low", "high"}

func (rr *referenceRange) decodeJSON(r *reader) bool {
	return r.object(rangeMembers, func(f int) bool {
		if f == 0 {
			return pointerTo(r, &rr.Low)
		}
		return pointerTo(r, &rr.High)
	})
}

var periodMembers = []string{"start", "end"}

func (p *period) decodeJSON(r *reader) bool {
	return r.object(periodMembers, func(f int) bool {
		if f == 0 {
			return r.str(&p.Start)
		}
		return r.str(&p.End)
	})
}

// headerMember reads member f of a header (headerMembers order).
func (h *header) member(r *reader, f int) bool {
	switch f {
	case 0:
		return r.str(&h.ResourceType)
	case 1:
		return r.str(&h.ID)
	case 2:
		return inPlace(r, func() bool {
			return r.object(referenceMembers, func(int) bool { return r.str(&h.Subject.Reference) })
		})
	}
	return sliceOf(r, &h.Issue)
}

// headerMembers are the header's members; a type's own members follow
// them in its list.
var (
	headerMembers    = []string{"resourceType", "id", "subject", "issue"}
	referenceMembers = []string{"reference"}
	severityMembers  = []string{"severity"}
)

func (i *issue) decodeJSON(r *reader) bool {
	return r.object(severityMembers, func(int) bool { return r.str(&i.Severity) })
}

// inPlace reads an object into a struct field that is not a pointer:
// null leaves it as it is.
func inPlace(r *reader, read func() bool) bool {
	if r.null() {
		return true
	}
	return read()
}

// decodable is a pointer to a type with a decoder.
type decodable[T any] interface {
	*T
	fastDecoder
}

// pointerTo reads an object into a new *T; null makes it nil.
func pointerTo[T any, PT decodable[T]](r *reader, dst *PT) bool {
	if r.null() {
		*dst = nil
		return true
	}
	v := PT(new(T))
	if !v.decodeJSON(r) {
		return false
	}
	*dst = v
	return true
}

// sliceOf reads an array of objects into a new slice; null makes it nil,
// a null element a zero one. Each element is decoded where it lies in the
// slice: a local variable handed to its decoder would be moved to the
// heap, one more allocation per element.
func sliceOf[T any, PT decodable[T]](r *reader, dst *[]T) bool {
	var out []T
	empty, ok := r.array(func() bool {
		out = append(out, *new(T))
		return r.null() || PT(&out[len(out)-1]).decodeJSON(r)
	})
	if !ok {
		return false
	}
	if empty {
		out = []T{}
	}
	*dst = out
	return true
}

// The Bundle and the Observation.

var (
	bundleMembers = []string{"resourceType", "link", "entry"}
	linkMembers   = []string{"relation", "url"}
	entryMembers  = []string{"fullUrl", "resource", "search"}
	searchMembers = []string{"mode"}
)

// decodeBundleFast reads body into b as unmarshal(body, b) would, with
// the hand-written decoder of the resource type, or reports false.
func decodeBundleFast[T any, PT decodable[T]](body []byte, b *bundleOf[PT]) bool {
	end := decodeBundleAt(body, jsonscan.SkipSpace(body, 0), b)
	return end >= 0 && jsonscan.SkipSpace(body, end) == len(body)
}

// decodeBundleAt reads the JSON value at body[start:] into b as
// decodeBundleFast reads a whole body, and returns the index after it, or
// -1 to refuse.
func decodeBundleAt[T any, PT decodable[T]](body []byte, start int, b *bundleOf[PT]) int {
	r := &reader{b: body, i: start}
	ok := inPlace(r, func() bool {
		return r.object(bundleMembers, func(f int) bool {
			switch f {
			case 0:
				return r.str(&b.ResourceType)
			case 1:
				var links []bundleLink
				empty, ok := r.array(func() bool {
					links = append(links, bundleLink{})
					l := &links[len(links)-1]
					return r.null() || r.object(linkMembers, func(f int) bool {
						if f == 0 {
							return r.str(&l.Relation)
						}
						return r.str(&l.URL)
					})
				})
				if empty {
					links = []bundleLink{}
				}
				b.Link = links
				return ok
			}
			var entries []bundleEntry[PT]
			empty, ok := r.array(func() bool {
				entries = append(entries, bundleEntry[PT]{})
				e := &entries[len(entries)-1]
				return r.null() || r.object(entryMembers, func(f int) bool {
					switch f {
					case 0:
						return r.str(&e.FullURL)
					case 1:
						return pointerTo(r, &e.Resource)
					}
					return pointerTo(r, &e.Search)
				})
			})
			if empty {
				entries = []bundleEntry[PT]{}
			}
			b.Entry = entries
			return ok
		})
	})
	if !ok {
		return -1
	}
	return r.i
}

func (s *entrySearch) decodeJSON(r *reader) bool {
	return r.object(searchMembers, func(int) bool { return r.str(&s.Mode) })
}

var observationMembers = append(headerMembers[:len(headerMembers):len(headerMembers)],
	"status", "code", "bodySite", "effectiveDateTime", "effectivePeriod", "effectiveInstant",
	"issued", "valueQuantity", "valueInteger", "referenceRange", "component")

func (o *observation) decodeJSON(r *reader) bool {
	return r.object(observationMembers, func(f int) bool {
		switch f {
		case 4:
			return r.strPtr(&o.Status)
		case 5:
			return inPlace(r, func() bool { return o.Code.decodeJSON(r) })
		case 6:
			return pointerTo(r, &o.BodySite)
		case 7:
			return r.str(&o.EffectiveDateTime)
		case 8:
			return pointerTo(r, &o.EffectivePeriod)
		case 9:
			return r.str(&o.EffectiveInstant)
		case 10:
			return r.str(&o.Issued)
		case 11:
			return pointerTo(r, &o.ValueQuantity)
		case 12:
			return r.intPtr(&o.ValueInteger)
		case 13:
			return sliceOf(r, &o.ReferenceRange)
		case 14:
			return sliceOf(r, &o.Component)
		}
		return o.header.member(r, f)
	})
}

var componentMembers = []string{"code", "valueQuantity", "valueInteger", "referenceRange"}

func (c *component) decodeJSON(r *reader) bool {
	return r.object(componentMembers, func(f int) bool {
		switch f {
		case 0:
			return inPlace(r, func() bool { return c.Code.decodeJSON(r) })
		case 1:
			return pointerTo(r, &c.ValueQuantity)
		case 2:
			return r.intPtr(&c.ValueInteger)
		}
		return sliceOf(r, &c.ReferenceRange)
	})
}

// The Condition.

var conditionMembers = append(headerMembers[:len(headerMembers):len(headerMembers)],
	"clinicalStatus", "verificationStatus", "code", "onsetDateTime", "onsetPeriod", "recordedDate",
	"abatementDateTime", "abatementAge", "abatementPeriod", "abatementRange", "abatementString", "stage")

func (c *condition) decodeJSON(r *reader) bool {
	return r.object(conditionMembers, func(f int) bool {
		switch f {
		case 4:
			return pointerTo(r, &c.ClinicalStatus)
		case 5:
			return pointerTo(r, &c.VerificationStatus)
		case 6:
			return pointerTo(r, &c.Code)
		case 7:
			return r.str(&c.OnsetDateTime)
		case 8:
			return pointerTo(r, &c.OnsetPeriod)
		case 9:
			return r.str(&c.RecordedDate)
		case 10:
			return r.presence(&c.AbatementDateTime)
		case 11:
			return r.presence(&c.AbatementAge)
		case 12:
			return r.presence(&c.AbatementPeriod)
		case 13:
			return r.presence(&c.AbatementRange)
		case 14:
			return r.presence(&c.AbatementString)
		case 15:
			return sliceOf(r, &c.Stage)
		}
		return c.header.member(r, f)
	})
}

var stageMembers = []string{"summary"}

func (s *conditionStage) decodeJSON(r *reader) bool {
	return r.object(stageMembers, func(int) bool { return pointerTo(r, &s.Summary) })
}

// presence reads any value into a presence: null is absent (as
// presence.UnmarshalJSON, which is called with null too).
func (r *reader) presence(p *presence) bool {
	if r.null() {
		*p = false
		return true
	}
	*p = true
	return r.skip()
}

// The MedicationStatement.

var medicationStatementMembers = append(headerMembers[:len(headerMembers):len(headerMembers)],
	"contained", "status", "medicationCodeableConcept", "medicationReference", "effectiveDateTime",
	"effectivePeriod", "dosage")

func (s *medicationStatement) decodeJSON(r *reader) bool {
	return r.object(medicationStatementMembers, func(f int) bool {
		switch f {
		case 4:
			return r.raw(&s.Contained)
		case 5:
			return r.str(&s.Status)
		case 6:
			return inPlace(r, func() bool { return r.r4Concept(&s.MedicationCodeableConcept) })
		case 7:
			return inPlace(r, func() bool {
				return r.object(referenceMembers, func(int) bool { return r.str(&s.MedicationReference.Reference) })
			})
		case 8:
			return r.strPtr(&s.EffectiveDateTime)
		case 9:
			return pointerTo(r, &s.EffectivePeriod)
		case 10:
			return sliceOf(r, &s.Dosage)
		}
		return s.header.member(r, f)
	})
}

var dosageMembers = []string{"sequence", "timing", "route", "doseAndRate"}

func (d *dosage) decodeJSON(r *reader) bool {
	return r.object(dosageMembers, func(f int) bool {
		switch f {
		case 0:
			return r.intPtr(&d.Sequence)
		case 1:
			return pointerTo(r, &d.Timing)
		case 2:
			if r.null() {
				d.Route = nil
				return true
			}
			d.Route = new(r4.CodeableConcept)
			return r.r4Concept(d.Route)
		}
		return sliceOf(r, &d.DoseAndRate)
	})
}

var doseAndRateMembers = []string{"doseQuantity"}

func (d *doseAndRate) decodeJSON(r *reader) bool {
	return r.object(doseAndRateMembers, func(int) bool { return pointerTo(r, &d.DoseQuantity) })
}

// medQuantityMembers: comparator is kept raw (medQuantity).
var medQuantityMembers = []string{"value", "comparator", "unit", "code"}

func (q *medQuantity) decodeJSON(r *reader) bool {
	return r.object(medQuantityMembers, func(f int) bool {
		switch f {
		case 0:
			return r.number(&q.Value)
		case 1:
			return r.raw(&q.Comparator)
		case 2:
			return r.str(&q.Unit)
		}
		return r.str(&q.Code)
	})
}

var timingMembers = []string{"repeat", "code"}

func (t *dosageTiming) decodeJSON(r *reader) bool {
	return r.object(timingMembers, func(f int) bool {
		if f == 0 {
			return pointerTo(r, &t.Repeat)
		}
		return pointerTo(r, &t.Code)
	})
}

var repeatMembers = []string{"frequency", "period", "periodUnit", "dayOfWeek", "timeOfDay", "when"}

func (t *timingRepeat) decodeJSON(r *reader) bool {
	return r.object(repeatMembers, func(f int) bool {
		switch f {
		case 0:
			return r.intPtr(&t.Frequency)
		case 1:
			return r.number(&t.Period)
		case 2:
			return r.str(&t.PeriodUnit)
		case 3:
			var out []json.RawMessage
			empty, ok := r.array(func() bool {
				out = append(out, nil)
				return r.raw(&out[len(out)-1])
			})
			if empty {
				out = []json.RawMessage{}
			}
			t.DayOfWeek = out
			return ok
		case 4:
			return r.strings(&t.TimeOfDay)
		}
		return r.strings(&t.When)
	})
}

// strings reads an array of strings; null makes it nil, a null element
// an empty string.
func (r *reader) strings(dst *[]string) bool {
	var out []string
	empty, ok := r.array(func() bool {
		out = append(out, "")
		return r.str(&out[len(out)-1])
	})
	if empty {
		out = []string{}
	}
	*dst = out
	return ok
}

// raw reads any value into a copy of its JSON, as json.RawMessage keeps
// it (null too). The copy is needed: the input is the request body,
// which is reused.
func (r *reader) raw(dst *json.RawMessage) bool {
	start := r.i
	if !r.skip() {
		return false
	}
	*dst = append(json.RawMessage(nil), r.b[start:r.i]...)
	return true
}

// samply's CodeableConcept and Coding (medication concepts and routes
// stay samply types: medresources.go). Their id and extension members are
// refused rather than decoded.

var (
	r4ConceptMembers = []string{"id", "extension", "coding", "text"}
	r4CodingMembers  = []string{"id", "extension", "system", "version", "code", "display", "userSelected"}
)

// r4Concept reads an object into c (not null: the caller handles it).
func (r *reader) r4Concept(c *r4.CodeableConcept) bool {
	return r.object(r4ConceptMembers, func(f int) bool {
		switch f {
		case 2:
			var out []r4.Coding
			empty, ok := r.array(func() bool {
				out = append(out, r4.Coding{})
				return r.null() || r.r4Coding(&out[len(out)-1])
			})
			if empty {
				out = []r4.Coding{}
			}
			c.Coding = out
			return ok
		case 3:
			return r.strPtr(&c.Text)
		}
		return false // id, extension
	})
}

func (r *reader) r4Coding(c *r4.Coding) bool {
	return r.object(r4CodingMembers, func(f int) bool {
		switch f {
		case 2:
			return r.strPtr(&c.System)
		case 3:
			return r.strPtr(&c.Version)
		case 4:
			return r.strPtr(&c.Code)
		case 5:
			return r.strPtr(&c.Display)
		case 6:
			switch {
			case r.null():
				c.UserSelected = nil
				return true
			case jsonscan.SkipLiteral(r.b, r.i, "true") >= 0:
				r.i += 4
				c.UserSelected = new(bool)
				*c.UserSelected = true
				return true
			case jsonscan.SkipLiteral(r.b, r.i, "false") >= 0:
				r.i += 5
				c.UserSelected = new(bool)
				return true
			}
			return false
		}
		return false // id, extension
	})
}
