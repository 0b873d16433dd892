package hooks

import (
	"strings"
	"testing"
)

// escapeMarkdownRuneByRune is escapeMarkdown without its fast path for
// text with nothing to escape: the reference the fast path must match,
// invalid UTF-8 included.
func escapeMarkdownRuneByRune(s string) string {
	var sb strings.Builder
	writeEscapedRunes(&sb, s)
	return sb.String()
}

func TestEscapeMarkdownFastPathMatchesRuneLoop(t *testing.T) {
	for _, s := range []string{
		"", "plain", "T-score −2,6", "≥ 12 maanden", "Observation/abc-1", "2024-06-01",
		"<b>", "a&b", "x|y", "*_`~[]\\", "line\nbreak\r", "bad \xff utf8", "trunc \xe2\x89", "é\xc3",
		"mg/dL", " leading and trailing ",
	} {
		if got, want := escapeMarkdown(s), escapeMarkdownRuneByRune(s); got != want {
			t.Errorf("escapeMarkdown(%q) = %q, want %q", s, got, want)
		}
		// detail escapes value and unit apart and joins them with a space.
		for _, u := range []string{"mmol/L", "<u>", "\xff"} {
			var sb strings.Builder
			writeEscapedMarkdown(&sb, s)
			sb.WriteByte(' ')
			writeEscapedMarkdown(&sb, u)
			if want := escapeMarkdownRuneByRune(s + " " + u); sb.String() != want {
				t.Errorf("value %q unit %q escaped apart = %q, together %q", s, u, sb.String(), want)
			}
		}
	}
}
