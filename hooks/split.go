package hooks

import (
	"encoding/json"

	gojson "github.com/goccy/go-json"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/jsonscan"
)

// splitRequest is the fast path of decodeRequest. It reads the request
// body in one validating pass and returns the prefetch values and the
// context as slices of body itself, where a decoder would copy each of
// them: the prefetch is almost all of a request (about 60 KB of a typical
// one), and its copies were a quarter of all the bytes a request
// allocated, with two more passes over them (README "Performance"). The
// few small members are decoded by goccy/go-json from their own bytes.
//
// ok is false for anything it does not read exactly as encoding/json does
// (invalid JSON, a member named twice or in another case, an escaped or
// non-ASCII member name, a value of the wrong type, very deep nesting);
// the caller then decodes the whole body the old way (decodeWhole), which
// also finds the error to report. FuzzSplitRequest holds every body it
// accepts to be valid JSON and to read as decodeWhole reads it.
//
// pre holds the prefetch values that were decoded on the way (their
// decoders find where they end: fhir.Predecoded), each read once instead
// of twice. The returned Prefetch and Context alias body, so they are
// valid only as long as body is: the handler keeps the body until the response is
// written, and everything fhir keeps from a prefetch value is decoded, so
// copied (TestFactsDoNotAliasBody).
func splitRequest(body []byte) (r Request, pre *fhir.Predecoded, ok bool) {
	s := splitter{b: body, pre: new(fhir.Predecoded)}
	s.space()
	if !s.eat('{') {
		return Request{}, nil, false
	}
	var seen [len(requestMembers)]bool
	s.space()
	if s.eat('}') {
		return r, s.pre, s.end()
	}
	for {
		s.space()
		name, ok := s.name()
		if !ok {
			return Request{}, nil, false
		}
		member := -1
		for i, m := range requestMembers {
			if len(name) == len(m) && jsonscan.FoldEqual(name, m) {
				if string(name) != m || seen[i] {
					return Request{}, nil, false // encoding/json would fold or merge it
				}
				seen[i], member = true, i
				break
			}
		}
		s.space()
		if !s.eat(':') {
			return Request{}, nil, false
		}
		s.space()
		start := s.i
		switch member {
		case memberPrefetch:
			if !s.prefetch(&r) {
				return Request{}, nil, false
			}
		default:
			if !s.value(1) {
				return Request{}, nil, false
			}
		}
		v := body[start:s.i]
		switch member {
		case memberHook:
			ok = gojson.Unmarshal(v, &r.Hook) == nil
		case memberHookInstance:
			ok = gojson.Unmarshal(v, &r.HookInstance) == nil
		case memberFHIRServer:
			ok = gojson.Unmarshal(v, &r.FHIRServer) == nil
		case memberFHIRAuthorization:
			ok = gojson.Unmarshal(v, &r.FHIRAuthorization) == nil
		case memberContext:
			r.Context = v
		}
		if !ok {
			return Request{}, nil, false
		}
		s.space()
		if s.eat('}') {
			return r, s.pre, s.end()
		}
		if !s.eat(',') {
			return Request{}, nil, false
		}
	}
}

// requestMembers are the members of Request, in the order of the member
// constants.
var requestMembers = [...]string{"hook", "hookInstance", "fhirServer", "fhirAuthorization", "context", "prefetch"}

const (
	memberHook = iota
	memberHookInstance
	memberFHIRServer
	memberFHIRAuthorization
	memberContext
	memberPrefetch
)

// splitter reads JSON from b at i. Its methods report false for anything
// splitRequest leaves to the old path; on false, i is meaningless.
type splitter struct {
	b []byte
	i int
	// pre keeps the prefetch values decoded on the way.
	pre *fhir.Predecoded
}

// space skips JSON whitespace.
func (s *splitter) space() { s.i = jsonscan.SkipSpace(s.b, s.i) }

// eat consumes c if it is next.
func (s *splitter) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (s *splitter) end() bool {
	s.space()
	return s.i == len(s.b)
}

// name reads an object member name and returns its bytes without the
// quotes. A name with an escape or a non-ASCII byte is not read: its
// decoded form needs the decoder (and encoding/json folds some non-ASCII
// letters onto ASCII ones when it matches names).
func (s *splitter) name() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	end := jsonscan.PlainString(s.b, start)
	if end < 0 {
		return nil, false
	}
	s.i = end
	return s.b[start : end-1], true
}

// prefetch reads the prefetch member's value: null (no prefetch, as
// encoding/json leaves a map nil for null) or an object, whose values
// become slices of b. A key sent twice keeps its last value, as
// encoding/json does.
func (s *splitter) prefetch(r *Request) bool {
	if s.literal("null") {
		return true
	}
	if !s.eat('{') {
		return false
	}
	r.Prefetch = make(map[string]json.RawMessage, 8)
	s.space()
	if s.eat('}') {
		return true
	}
	for {
		s.space()
		key, ok := s.name()
		if !ok {
			return false
		}
		s.space()
		if !s.eat(':') {
			return false
		}
		s.space()
		start := s.i
		k := string(key)
		// A value with a hand-written decoder is decoded here, which also
		// finds where it ends; any other is checked and skipped.
		if end, ok := s.pre.DecodeValue(k, s.b, start); ok {
			s.i = end
		} else if !s.value(2) {
			return false
		}
		r.Prefetch[k] = s.b[start:s.i]
		s.space()
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// value checks one JSON value at depth and moves past it.
func (s *splitter) value(depth int) bool {
	s.i = jsonscan.SkipValue(s.b, s.i, depth)
	return s.i >= 0
}

// literal consumes the literal lit (true, false, null) if it is next.
func (s *splitter) literal(lit string) bool {
	if j := jsonscan.SkipLiteral(s.b, s.i, lit); j >= 0 {
		s.i = j
		return true
	}
	return false
}
