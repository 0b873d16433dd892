package hooks

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"

	gojson "github.com/goccy/go-json"
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
// the caller then decodes the whole body the old way, which also finds
// the error to report. FuzzSplitRequest holds every accepted body to
// encoding/json's reading of it.
//
// The returned Prefetch and Context alias body, so they are valid only as
// long as body is: the handler keeps the body until the response is
// written, and everything fhir keeps from a prefetch value is decoded, so
// copied (TestFactsDoNotAliasBody).
func splitRequest(body []byte) (r Request, ok bool) {
	s := splitter{b: body}
	s.space()
	if !s.eat('{') {
		return Request{}, false
	}
	var seen [len(requestMembers)]bool
	s.space()
	if s.eat('}') {
		return r, s.end()
	}
	for {
		s.space()
		name, ok := s.name()
		if !ok {
			return Request{}, false
		}
		member := -1
		for i, m := range requestMembers {
			if len(name) == len(m) && asciiEqualFold(name, m) {
				if string(name) != m || seen[i] {
					return Request{}, false // encoding/json would fold or merge it
				}
				seen[i], member = true, i
				break
			}
		}
		s.space()
		if !s.eat(':') {
			return Request{}, false
		}
		s.space()
		start := s.i
		switch member {
		case memberPrefetch:
			if !s.prefetch(&r) {
				return Request{}, false
			}
		default:
			if !s.value(0) {
				return Request{}, false
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
			return Request{}, false
		}
		s.space()
		if s.eat('}') {
			return r, s.end()
		}
		if !s.eat(',') {
			return Request{}, false
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

// maxSplitDepth is the deepest nesting splitRequest reads; deeper bodies
// go the old way, which has encoding/json's limit and error.
const maxSplitDepth = 512

// splitter reads JSON from b at i. Its methods report false for anything
// splitRequest leaves to the old path; on false, i is meaningless.
type splitter struct {
	b []byte
	i int
}

// space skips JSON whitespace.
func (s *splitter) space() { s.i = skipSpace(s.b, s.i) }

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
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
		s.i++
	}
	return nil, false
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
		if !s.value(1) {
			return false
		}
		r.Prefetch[string(key)] = s.b[start:s.i]
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
	s.i = skipValue(s.b, s.i, depth)
	return s.i >= 0
}

// skipValue checks the JSON value of b at i, at depth, and returns the
// index after it, or -1 when it is not one. The scanning functions work
// on a local index, not on a splitter, which the compiler then keeps in a
// register: this halved their time.
func skipValue(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '{':
		return skipObject(b, i+1, depth+1)
	case c == '[':
		return skipArray(b, i+1, depth+1)
	case c == '"':
		return skipString(b, i+1)
	case c == '-' || '0' <= c && c <= '9':
		return skipNumber(b, i)
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	}
	return -1
}

// skipSpace returns the index of the first byte at or after i that is
// not JSON whitespace. Compact JSON has none, so that case comes first.
func skipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipObject checks the rest of an object after its '{'.
func skipObject(b []byte, i, depth int) int {
	if depth > maxSplitDepth {
		return -1
	}
	i = skipSpace(b, i)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		if i = skipString(b, i+1); i < 0 {
			return -1
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		if i = skipValue(b, skipSpace(b, i+1), depth); i < 0 {
			return -1
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case '}':
			return i + 1
		case ',':
			i++
		default:
			return -1
		}
	}
}

// skipArray checks the rest of an array after its '['.
func skipArray(b []byte, i, depth int) int {
	if depth > maxSplitDepth {
		return -1
	}
	i = skipSpace(b, i)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		if i = skipValue(b, skipSpace(b, i), depth); i < 0 {
			return -1
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case ']':
			return i + 1
		case ',':
			i++
		default:
			return -1
		}
	}
}

// Masks for finding, eight bytes at a time, the first byte of a string
// that needs attention: a quote, a backslash or a control character.
const (
	ones    = 0x0101010101010101
	highs   = 0x8080808080808080
	quotes  = '"' * ones
	slashes = '\\' * ones
)

// special returns a word whose lowest set high bit marks the first byte
// of w (little-endian) that is a quote, a backslash or below 0x20, and 0
// when there is none. (The classic "has zero byte" test: bits above the
// first match may be false, the first one is exact.)
func special(w uint64) uint64 {
	q := w ^ quotes
	s := w ^ slashes
	return ((q-ones)&^q | (s-ones)&^s | (w-0x20*ones)&^w) & highs
}

// skipString checks the rest of a string after its opening quote.
// Invalid UTF-8 passes, as encoding/json accepts it (and replaces it
// when decoding).
func skipString(b []byte, i int) int {
	for {
		for i+8 <= len(b) {
			if m := special(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return -1
				}
				for _, h := range b[i+2 : i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		default:
			return -1 // a control character
		}
	}
}

// skipNumber checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1
		}
	}
	return i
}

// skipLiteral returns the index after lit (true, false, null) if it is
// at i, else -1.
func skipLiteral(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}

// literal consumes the literal lit (true, false, null) if it is next.
func (s *splitter) literal(lit string) bool {
	if j := skipLiteral(s.b, s.i, lit); j >= 0 {
		s.i = j
		return true
	}
	return false
}

// asciiEqualFold reports whether a equals b under ASCII case folding (b
// is a lower-camel member name).
func asciiEqualFold(a []byte, b string) bool {
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
