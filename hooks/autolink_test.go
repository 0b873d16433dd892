package hooks

import (
	"bytes"
	"html"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// gfm is a GitHub-flavoured Markdown renderer with the autolink
// (Linkify), table and strikethrough extensions, as an EHR might render a
// card's detail. Raw HTML is not rendered (goldmark's safe default); the
// escaping must not rely on that either, so any tag in the output fails.
var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM))

// renderEscaped renders escapeMarkdown(text) where the card detail puts
// request text: in a table cell after other text and at the start of a
// cell (where an autolinker sees a line head), and in a paragraph after
// other text. It returns the HTML of each.
func renderEscaped(t testing.TB, text string) []string {
	t.Helper()
	e := escapeMarkdown(text)
	var out []string
	for _, doc := range []string{
		"| Item | Value |\n|---|---|\n| TSH | 5 " + e + " x |\n",
		"| Item | Value |\n|---|---|\n| " + e + " | x |\n",
		"Value: " + e + "\n",
	} {
		var buf bytes.Buffer
		if err := gfm.Convert([]byte(doc), &buf); err != nil {
			t.Fatalf("render: %v", err)
		}
		out = append(out, buf.String())
	}
	return out
}

// visibleText is what a reader sees of text inside a table cell:
// newlines are spaces, invalid UTF-8 and NUL are U+FFFD.
func visibleText(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	return strings.NewReplacer("\n", " ", "\r", " ", "\x00", "\uFFFD").Replace(text)
}

// checkInert fails when the rendered HTML of escaped text holds any
// element besides the document's own (a link, emphasis, code, an image,
// raw HTML), or when the first cell's text is not the text as given.
func checkInert(t *testing.T, text string) {
	t.Helper()
	docs := renderEscaped(t, text)
	for _, h := range docs {
		rest := h
		for _, own := range []string{"<table>", "</table>", "<thead>", "</thead>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<th>", "</th>", "<td>", "</td>", "<p>", "</p>"} {
			rest = strings.ReplaceAll(rest, own, "")
		}
		if strings.ContainsAny(rest, "<>") {
			t.Fatalf("escaped %q renders markup:\n%s", text, h)
		}
	}
	cell := docs[0]
	i := strings.Index(cell, "<td>5 ")
	j := strings.LastIndex(cell, " x</td>")
	if i < 0 || j < i+len("<td>5 ") {
		t.Fatalf("escaped %q broke the table:\n%s", text, cell)
	}
	got := html.UnescapeString(cell[i+len("<td>5 ") : j])
	if want := visibleText(text); got != want {
		t.Fatalf("escaped %q shows %q, want %q", text, got, want)
	}
}

// TestRequestTextNeverBecomesALink: units, displays and ids that look like
// web addresses or e-mail addresses are shown as the text they are, never
// as a link, in every place the card detail puts request text.
func TestRequestTextNeverBecomesALink(t *testing.T) {
	for _, text := range autolinkSeeds {
		t.Run(text, func(t *testing.T) { checkInert(t, text) })
	}
	// The unescaped text does become a link: the renderer would catch it.
	var buf bytes.Buffer
	_ = gfm.Convert([]byte("| a |\n|---|\n| 5 www.evil-lab.example/x |\n"), &buf)
	if !strings.Contains(buf.String(), "<a href") {
		t.Fatalf("the renderer does not autolink, so this test proves nothing:\n%s", buf.String())
	}
}

var autolinkSeeds = []string{
	"www.evil-lab.example/x", "WWW.Evil-Lab.example", "Www.x.example", "see www.x.example/a?b=c",
	"http://evil.example", "https://evil.example/p", "HTTPS://EVIL.EXAMPLE", "ftp://files.example/x",
	"(www.x.example)", "*www.x.example*", "_www.x.example_", "~www.x.example~", "x(www.x.example",
	"lab@evil.example", "mailto:lab@evil.example", "xmpp:lab@evil.example/r", "a.b@c.d",
	"m?IU?/L", "mIU/L", "mmol/L", "2.5", "10:30", "Observation/tsh-1", "urn:uuid:1234",
	"<https://evil.example>", "[x](https://evil.example)", "![i](https://evil.example/i.png)",
	"&lt;b&gt;", "a\nwww.x.example", "www.\u200bx.example", "wwww.x.example", "www..example",
}

// FuzzEscapedTextIsInertInGFM renders escaped arbitrary text with a real
// GFM renderer (goldmark with Linkify): it must never produce a link or
// any other markup, and must show the text unchanged.
func FuzzEscapedTextIsInertInGFM(f *testing.F) {
	for _, s := range autolinkSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 300 || !utf8.ValidString(text) {
			t.Skip()
		}
		checkInert(t, text)
	})
}
