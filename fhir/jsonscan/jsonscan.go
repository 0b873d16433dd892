package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// MaxDepth is the deepest nesting SkipValue reads. encoding/json allows
// 10,000 levels; a caller that gets -1 for a deeper value falls back to a
// decoder, which has that limit and its error.
const MaxDepth = 512

// SkipValue checks the JSON value of b at i, nested depth levels deep,
// and returns the index after it, or -1 when it is not one (or nests
// deeper than MaxDepth).
func SkipValue(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; {
	case c == '{':
		return skipObject(b, i+1, depth+1)
	case c == '[':
		return skipArray(b, i+1, depth+1)
	case c == '"':
		return SkipString(b, i+1)
	case c == '-' || '0' <= c && c <= '9':
		return SkipNumber(b, i)
	case c == 't':
		return SkipLiteral(b, i, "true")
	case c == 'f':
		return SkipLiteral(b, i, "false")
	case c == 'n':
		return SkipLiteral(b, i, "null")
	}
	return -1
}

// SkipSpace returns the index of the first byte at or after i that is
// not JSON whitespace. Compact JSON has none, so that case comes first.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipObject checks the rest of an object after its '{'.
func skipObject(b []byte, i, depth int) int {
	if depth > MaxDepth {
		return -1
	}
	i = SkipSpace(b, i)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		i = SkipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		if i = SkipString(b, i+1); i < 0 {
			return -1
		}
		i = SkipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		if i = SkipValue(b, SkipSpace(b, i+1), depth); i < 0 {
			return -1
		}
		i = SkipSpace(b, i)
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
	if depth > MaxDepth {
		return -1
	}
	i = SkipSpace(b, i)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		if i = SkipValue(b, SkipSpace(b, i), depth); i < 0 {
			return -1
		}
		i = SkipSpace(b, i)
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

// SkipString checks the rest of a string after its opening quote.
// Invalid UTF-8 passes, as encoding/json accepts it (and replaces it
// when decoding).
func SkipString(b []byte, i int) int {
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

// SkipNumber checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func SkipNumber(b []byte, i int) int {
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

// SkipLiteral returns the index after lit (true, false, null) if it is
// at i, else -1.
func SkipLiteral(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}

// FoldEqual reports whether the member name a equals b ignoring ASCII
// case: a name encoding/json would match to a field that the fast paths
// do not (they match exactly, and refuse such a name).
func FoldEqual(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
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

// PlainString reads the rest of a string after its opening quote and
// returns the index after its closing quote, or -1 when the string has an
// escape, a control character or a non-ASCII byte before it: such a string
// needs decoding (or is invalid), the caller's slower path. Eight bytes
// are checked at a time.
func PlainString(b []byte, i int) int {
	for i+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[i:])
		if m := special(w) | w&highs; m != 0 {
			i += bits.TrailingZeros64(m) / 8
			if b[i] == '"' {
				return i + 1
			}
			return -1
		}
		i += 8
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c == '\\' || c < 0x20 || c >= 0x80:
			return -1
		}
	}
	return -1
}
