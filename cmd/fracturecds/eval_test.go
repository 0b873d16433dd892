package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
)

// regexpUUID matches the card and suggestion uuids, new on every run.
var regexpUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func evalArgs(t *testing.T, stdout io.Writer, args ...string) error {
	t.Helper()
	return run(context.Background(), append([]string{"eval"}, args...), func(string) string { return "" }, stdout, io.Discard)
}

// TestEvalFlagsBeforeOrAfterTheFile: `eval FILE --lang en` used to treat
// --lang as a second file.
func TestEvalFlagsBeforeOrAfterTheFile(t *testing.T) {
	file := filepath.Join("..", "..", "examples", "patient-view.json")
	var first string
	for _, args := range [][]string{
		{"--lang", "en", "--as-of", "2026-01-15", "--json", file},
		{file, "--lang", "en", "--as-of", "2026-01-15", "--json"},
		{"--lang", "en", file, "--as-of=2026-01-15", "--json"},
	} {
		var out bytes.Buffer
		if err := evalArgs(t, &out, args...); err != nil {
			t.Fatalf("eval %v: %v", args, err)
		}
		got := regexpUUID.ReplaceAllString(out.String(), "UUID")
		if first == "" {
			first = got
			if !strings.Contains(got, "Fracture at") {
				t.Fatalf("eval %v: not English:\n%s", args, got)
			}
			continue
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("eval %v differs from flags first (-first +this):\n%s", args, diff)
		}
	}
	for _, args := range [][]string{{file, file}, {}, {"--json", "--text", file}} {
		if err := evalArgs(t, io.Discard, args...); err == nil {
			t.Errorf("eval %v: no error", args)
		}
	}
}

// TestEvalUsesTheRequestsOwnDate: a seed request carries its date, so the
// seeds give their cards without --as-of, and --as-of still wins.
func TestEvalUsesTheRequestsOwnDate(t *testing.T) {
	file := seed("S1-mtx-casus1-fracture.request.json")
	var out bytes.Buffer
	if err := evalArgs(t, &out, file); err != nil {
		t.Fatal(err)
	}
	topics, err := hookstest.Topics(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if topics["fracture-case-finding"] != "warning" || topics["mtx-dexa-on-indication"] != "warning" {
		t.Errorf("S1 without --as-of: topics %v, want its 2013 cards", topics)
	}
	out.Reset()
	if err := evalArgs(t, &out, file, "--as-of", "2030-01-01"); err != nil {
		t.Fatal(err)
	}
	if later, _ := hookstest.Topics(out.Bytes()); later["fracture-case-finding"] != "" {
		t.Errorf("S1 --as-of 2030: topics %v, want no case finding for a 2013 fracture", later)
	}
}

// TestEvalPrintsReadableCards: --text shows every card of the --json
// answer by its summary, with Markdown as written instead of JSON escapes,
// and says which date and language it used.
func TestEvalPrintsReadableCards(t *testing.T) {
	file := seed("S4-casus3-alendronate-5y.request.json")
	var js, text bytes.Buffer
	if err := evalArgs(t, &js, "--json", "--lang", "en", file); err != nil {
		t.Fatal(err)
	}
	if err := evalArgs(t, &text, "--text", "--lang", "en", file); err != nil {
		t.Fatal(err)
	}
	var resp hooks.Response
	if err := json.Unmarshal(js.Bytes(), &resp); err != nil || len(resp.Cards) == 0 {
		t.Fatalf("--json: %v, %d cards", err, len(resp.Cards))
	}
	out := text.String()
	for _, c := range resp.Cards {
		if !strings.Contains(out, strings.ToUpper(c.Indicator)+"  "+c.Summary+"\n") {
			t.Errorf("--text lacks %s card %q", c.Indicator, c.Summary)
		}
		firstLine, _, _ := strings.Cut(c.Detail, "\n")
		if !strings.Contains(out, "   "+firstLine+"\n") {
			t.Errorf("--text lacks the detail line %q", firstLine)
		}
	}
	if strings.Contains(out, `\n`) || strings.Contains(out, `"summary"`) {
		t.Errorf("--text prints JSON:\n%s", out)
	}
	if !strings.HasPrefix(out, "patient-view (fracturecds-patient-view), as of 2025-06-01 (from the request's extension org.fracturecds.as-of), language en") {
		t.Errorf("--text header: %q", strings.SplitN(out, "\n", 2)[0])
	}
}

// TestEvalPrintsJSONWhenNotATerminal: a pipe, a file or /dev/null gets the
// JSON response, which scripts read.
func TestEvalPrintsJSONWhenNotATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := evalArgs(t, f, seed("S1-mtx-casus1-fracture.request.json")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if p := hookstest.Problems(data); len(p) > 0 {
		t.Errorf("output to a file is not a valid CDS Hooks response: %v\n%.300s", p, data)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Error("/dev/null taken for a terminal")
	}
}
