package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

// valid reports whether SkipValue reads all of b as one value.
func valid(b []byte) bool {
	i := SkipValue(b, SkipSpace(b, 0), 0)
	return i >= 0 && SkipSpace(b, i) == len(b)
}

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`{}`, true}, {`[]`, true}, {` {"a" : [1, -0.5e+3, 0, 1E5, true, false, null, "s", {}]} `, true},
		{`"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"`, true}, {"\"\xff\xfe\"", true},
		{`"01234567890123456789"`, true}, {`"0123456\"89"`, true}, {`"012345678901234\\"`, true},
		{strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), true},

		{``, false}, {` `, false}, {`{`, false}, {`{"a"}`, false}, {`{"a":}`, false}, {`{"a":1,}`, false},
		{`[1,]`, false}, {`[1 2]`, false}, {`{1:2}`, false}, {`"abc`, false}, {"\"a\tb\"", false},
		{"\"0123456789\x01\"", false}, {`"\x"`, false}, {`"\u12"`, false}, {`"\u12g4"`, false},
		{`01`, false}, {`-`, false}, {`1.`, false}, {`.5`, false}, {`1e`, false}, {`1e+`, false}, {`+1`, false},
		{`nul`, false}, {`tru`, false}, {`True`, false}, {`1 2`, false},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), false},
	}
	for _, tt := range tests {
		if got := valid([]byte(tt.in)); got != tt.want {
			t.Errorf("valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if tt.want != json.Valid([]byte(tt.in)) && len(tt.in) < 2*MaxDepth {
			t.Errorf("test case %q: encoding/json says valid = %v", tt.in, !tt.want)
		}
	}
}

// SkipValue accepts exactly what encoding/json calls valid, up to
// MaxDepth (an input of at most 2 × MaxDepth bytes cannot nest deeper).
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",null]}`, `"\u00e9"`, `-1.5e3`, `[[[]]]`, "\"\xff\"", `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := valid(b), json.Valid(b)
		if got && !want {
			t.Fatalf("SkipValue accepts %q, encoding/json does not", b)
		}
		if want && !got && len(b) <= 2*MaxDepth {
			t.Fatalf("SkipValue refuses %q, which encoding/json accepts", b)
		}
	})
}

func TestFoldEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"hook", "hook", true}, {"HOOK", "hook", true}, {"hookInstance", "hookinstance", true},
		{"hoo", "hook", false}, {"hook", "hoo", false}, {"hool", "hook", false}, {"ho@k", "ho`k", false},
	}
	for _, tt := range tests {
		if got := FoldEqual([]byte(tt.a), tt.b); got != tt.want {
			t.Errorf("FoldEqual(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// plain reports whether s has no escape, control character or non-ASCII
// byte.
func plain(s []byte) bool {
	for _, c := range s {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

// PlainString ends where SkipString ends on a plain string, and refuses
// every other one.
func checkPlainString(t *testing.T, b []byte) {
	got := PlainString(b, 0)
	end := SkipString(b, 0)
	want := -1
	if end >= 0 && plain(b[:end-1]) {
		want = end
	}
	if got != want {
		t.Fatalf("PlainString(%q) = %d, want %d", b, got, want)
	}
}

func TestPlainString(t *testing.T) {
	for _, s := range []string{
		`"`, `abc"`, `abcdefgh"`, `abcdefghijklmnop"xyz`, `0123456"`, `01234567"`, `012345678"`,
		`ab\"c"`, `abcdefghij\n"`, "abc\x01\"", "abcdefghijk\x1f\"", "é\"", "abcdefghijé\"",
		`abc`, `abcdefghijklmnop`, ``, "abcdefgh\x7f\"",
	} {
		checkPlainString(t, []byte(s))
	}
}

func FuzzPlainString(f *testing.F) {
	for _, s := range []string{`abc"`, `abcdefghij\n"`, "abcdefghijé\"", "abc\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkPlainString)
}
