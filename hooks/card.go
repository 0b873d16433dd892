package hooks

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/rules"
)

// TopicSystem is the code system of card source.topic codings: the rule
// topic codes of fracturecds (README "Card topics"). It is a stable public
// interface; EHR analytics key on system + code.
const TopicSystem = "https://fracturecds.org/fhir/CodeSystem/card-topic"

// OverrideReasonSystem is the code system of the override reasons offered
// on cards; feedback analytics key on it.
const OverrideReasonSystem = "https://fracturecds.org/fhir/CodeSystem/override-reason"

// sourceLabel names the service as the card's source.
const sourceLabel = "fracturecds fractuurpreventie (NHG/NIV)"

// Response is a CDS Hooks service response. Cards is never nil so that no
// guidance marshals as {"cards": []}.
type Response struct {
	Cards []Card `json:"cards"`
}

// Card is a CDS Hooks 2.0.1 card (§Card Attributes). Optional fields are
// omitted when empty: the spec forbids null and empty values.
type Card struct {
	UUID              string       `json:"uuid"`
	Summary           string       `json:"summary"`
	Detail            string       `json:"detail,omitempty"`
	Indicator         string       `json:"indicator"`
	Source            Source       `json:"source"`
	Suggestions       []Suggestion `json:"suggestions,omitempty"`
	SelectionBehavior string       `json:"selectionBehavior,omitempty"`
	OverrideReasons   []Coding     `json:"overrideReasons,omitempty"`
	Links             []Link       `json:"links,omitempty"`
}

// Source is the card's source (§Source).
type Source struct {
	Label string  `json:"label"`
	URL   string  `json:"url,omitempty"`
	Topic *Coding `json:"topic,omitempty"`
}

// Coding is the CDS Hooks Coding data type.
type Coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

// Link is a CDS Hooks link; fracturecds only emits absolute links.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
	Type  string `json:"type"`
}

// Suggestion is a CDS Hooks suggestion (§Suggestion).
type Suggestion struct {
	Label         string   `json:"label"`
	UUID          string   `json:"uuid"`
	IsRecommended bool     `json:"isRecommended,omitempty"`
	Actions       []Action `json:"actions,omitempty"`
}

// Action is a CDS Hooks action (§Action).
type Action struct {
	Type        string          `json:"type"`
	Description string          `json:"description"`
	Resource    json.RawMessage `json:"resource,omitempty"`
	ResourceID  string          `json:"resourceId,omitempty"`
}

// cardBuilder turns findings into cards for one request.
type cardBuilder struct {
	lang      string
	patientID string
	now       time.Time
	newUUID   func() string
	result    fhir.Result
	// boneHealthURL is the bone-health view's launch URL ("" for none).
	boneHealthURL string
}

func (b cardBuilder) cards(findings []rules.Finding) []Card {
	cards := make([]Card, 0, len(findings))
	for _, f := range findings {
		cards = append(cards, b.card(f))
	}
	return cards
}

func (b cardBuilder) card(f rules.Finding) Card {
	c := Card{
		UUID:      b.newUUID(),
		Summary:   clampSummary(f.Summary.In(b.lang)),
		Detail:    b.fittedDetail(f),
		Indicator: string(f.Indicator),
		Source: Source{
			Label: sourceLabel,
			Topic: &Coding{System: TopicSystem, Code: f.Topic, Display: f.Topic},
		},
	}
	if len(f.Citations) > 0 && isAbsoluteURL(f.Citations[0].URL) {
		c.Source.URL = f.Citations[0].URL
	}
	for _, cit := range f.Citations {
		if isAbsoluteURL(cit.URL) {
			c.Links = append(c.Links, Link{Label: cit.Label, URL: cit.URL, Type: "absolute"})
		}
	}
	if l, ok := boneHealthLink(b.boneHealthURL, f.Topic, b.lang, b.patientID); ok {
		c.Links = append(c.Links, l)
	}
	for _, s := range f.Suggestions {
		if sg, ok := b.suggestion(s); ok {
			c.Suggestions = append(c.Suggestions, sg)
		}
	}
	if len(c.Suggestions) > 0 {
		c.SelectionBehavior = "at-most-one"
		if f.SelectionAny {
			c.SelectionBehavior = "any"
		} else {
			// With at-most-one, at most one suggestion may be recommended
			// (CDS Hooks 3.0 invariant cds-resp-1, sensible in 2.0 too).
			seen := false
			for i := range c.Suggestions {
				if c.Suggestions[i].IsRecommended {
					if seen {
						c.Suggestions[i].IsRecommended = false
					}
					seen = true
				}
			}
		}
	}
	if len(f.OverrideReasons) > 0 {
		// Every reason becomes a coding: size the slice once.
		c.OverrideReasons = make([]Coding, 0, len(f.OverrideReasons))
	}
	for _, r := range f.OverrideReasons {
		c.OverrideReasons = append(c.OverrideReasons, Coding{System: OverrideReasonSystem, Code: r.Code, Display: r.Display.In(b.lang)})
	}
	return c
}

// suggestion converts a rules suggestion; it is dropped when none of its
// actions can be expressed (for example an update of a resource the
// request did not carry).
func (b cardBuilder) suggestion(s rules.Suggestion) (Suggestion, bool) {
	out := Suggestion{Label: s.Label.In(b.lang), UUID: b.newUUID(), IsRecommended: s.Recommended}
	for _, a := range s.Actions {
		desc := a.Description.In(b.lang)
		if desc == "" {
			desc = out.Label
		}
		switch a.Type {
		case rules.Delete:
			// The id came from the request: only a well-formed Type/id may
			// reach an action the EHR executes.
			if !isReference(string(a.ResourceID)) {
				continue
			}
			out.Actions = append(out.Actions, Action{Type: "delete", Description: desc, ResourceID: string(a.ResourceID)})
		case rules.Update:
			if !isReference(string(a.ResourceID)) {
				continue
			}
			raw, ok := b.result.Resource(a.ResourceID)
			if !ok {
				continue
			}
			res, err := fhir.StopResource(raw, b.now)
			if err != nil {
				continue
			}
			out.Actions = append(out.Actions, Action{Type: "update", Description: desc, Resource: res})
		case rules.Create:
			if a.Order == nil {
				continue
			}
			resources, err := fhir.OrderResources(*a.Order, b.patientID, b.now)
			if err != nil {
				continue
			}
			for _, r := range resources {
				out.Actions = append(out.Actions, Action{Type: "create", Description: desc, Resource: r})
			}
		}
	}
	if len(out.Actions) == 0 {
		return Suggestion{}, false
	}
	return out, true
}

// maxDetail is the longest detail a card carries, in characters: a GP
// reads about 1,200 at the point of care (issue 12). Beyond it the
// thresholds applied are left out first, then evidence rows from the end;
// the advice itself is never cut.
const maxDetail = 1500

// fittedDetail is detail, shortened to maxDetail characters when needed.
func (b cardBuilder) fittedDetail(f rules.Finding) string {
	d := b.detail(f)
	if utf8.RuneCountInString(d) <= maxDetail {
		return d
	}
	f.Thresholds = nil
	for {
		d = b.detail(f)
		if utf8.RuneCountInString(d) <= maxDetail || len(f.Evidence) == 0 {
			return d
		}
		f.Evidence = f.Evidence[:len(f.Evidence)-1]
	}
}

// detail renders the finding's text plus the data it used, the thresholds
// applied and its sources, as GitHub-flavoured Markdown. Everything that
// could carry request-derived text is escaped so that an EHR rendering raw
// HTML inside Markdown shows it as text.
func (b cardBuilder) detail(f rules.Finding) string {
	var sb strings.Builder
	// One allocation for the whole text: the parts are written straight
	// into the builder (no concatenated temporaries), and its size is
	// estimated up front from the parts themselves.
	sb.Grow(b.detailSizeHint(f))
	sb.WriteString(f.Detail.In(b.lang))
	nl := b.lang != "en"
	if len(f.Evidence) > 0 {
		// The evidence as a GP reads it: what, value with unit, date. The
		// sources of the card are its links, not repeated here.
		if nl {
			sb.WriteString("\n\n| Gegeven | Waarde | Datum |\n|---|---|---|\n")
		} else {
			sb.WriteString("\n\n| Item | Value | Date |\n|---|---|---|\n")
		}
		for _, e := range f.Evidence {
			sb.WriteString("| ")
			writeEscapedMarkdown(&sb, e.Label.In(b.lang))
			sb.WriteString(" | ")
			// Escaping works rune by rune and leaves the space alone, so
			// value and unit escaped apart equal "value unit" escaped.
			writeEscapedMarkdown(&sb, e.ValueIn(b.lang))
			if unit := e.UnitIn(b.lang); unit != "" {
				sb.WriteByte(' ')
				writeEscapedMarkdown(&sb, unit)
			}
			sb.WriteString(" | ")
			writeEscapedMarkdown(&sb, rules.FormatDateIn(e.Date, b.lang))
			sb.WriteString(" |\n")
		}
	}
	if len(f.Thresholds) > 0 {
		if nl {
			sb.WriteString("\n**Toegepaste drempel**\n\n")
		} else {
			sb.WriteString("\n**Threshold applied**\n\n")
		}
		for _, t := range f.Thresholds {
			sb.WriteString("- ")
			sb.WriteString(t.In(b.lang))
			sb.WriteByte('\n')
		}
	}
	// Sources with a web address are the card's links; only those without
	// one are named here, so no source appears twice.
	first := true
	for _, c := range f.Citations {
		if isAbsoluteURL(c.URL) {
			continue
		}
		if first {
			if nl {
				sb.WriteString("\n**Bron:** ")
			} else {
				sb.WriteString("\n**Source:** ")
			}
			first = false
		} else {
			sb.WriteString("; ")
		}
		sb.WriteString(c.Label)
	}
	return strings.TrimSpace(sb.String())
}

// detailSizeHint estimates the length of detail's text: the parts plus
// their fixed Markdown, with some room for escapes. It only sizes the
// buffer; a wrong estimate costs a regrowth, never a different text.
func (b cardBuilder) detailSizeHint(f rules.Finding) int {
	n := len(f.Detail.In(b.lang)) + 128
	for _, e := range f.Evidence {
		n += len(e.Label.In(b.lang)) + len(e.ValueIn(b.lang)) + len(e.UnitIn(b.lang)) + len(e.Source) + 32
	}
	for _, t := range f.Thresholds {
		n += len(t.In(b.lang)) + 3
	}
	return n + n/16
}

// escapeMarkdown makes text inert in GFM and in EHRs that render raw HTML
// inside Markdown: <, > and & become HTML entities (shown as the character
// by both kinds of renderer, never parsed as a tag), and the characters GFM
// would interpret (emphasis, links, table cells, code spans) are
// backslash-escaped, and so is the dot of "www.", the colon of "://" and
// every "@", so that no autolink extension turns a unit or id into a link. It is applied to every value that can come from the
// request (evidence values and source references); the service's own text
// (labels, thresholds, citations) is written as Markdown.
func escapeMarkdown(s string) string {
	var sb strings.Builder
	writeEscapedMarkdown(&sb, s)
	return sb.String()
}

// writeEscapedMarkdown writes escapeMarkdown(s) to sb.
func writeEscapedMarkdown(sb *strings.Builder, s string) {
	if !needsMarkdownEscape(s) {
		// Nothing to escape and valid UTF-8 (which writeEscapedRunes
		// would copy unchanged): write it as is.
		sb.WriteString(s)
		return
	}
	writeEscapedRunes(sb, s)
}

// writeEscapedRunes is the rune loop of writeEscapedMarkdown, which the
// fast path for text with nothing to escape must match
// (TestEscapeMarkdownFastPathMatchesRuneLoop).
func writeEscapedRunes(sb *strings.Builder, s string) {
	for i, r := range s {
		switch r {
		case '.', ':', '@':
			// No autolinks (GFM's www., http://, ftp:// and e-mail
			// extensions): a lab unit "www.evil.example/x" must not become
			// a link. The backslash is invisible when rendered and breaks
			// the pattern a linkifier looks for in the source.
			if startsAutolink(s, i) {
				sb.WriteByte('\\')
			}
			sb.WriteRune(r)
		case '<':
			sb.WriteString("&lt;")
		case '>':
			sb.WriteString("&gt;")
		case '&':
			sb.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '|', '~':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case '\n', '\r':
			sb.WriteByte(' ')
		default:
			sb.WriteRune(r)
		}
	}
}

// needsMarkdownEscape reports whether writeEscapedMarkdown would change s:
// a character it escapes or replaces, or invalid UTF-8 (which the rune
// loop turns into U+FFFD).
func needsMarkdownEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '\\', '`', '*', '_', '[', ']', '|', '~', '\n', '\r':
			return true
		case '.', ':', '@':
			if startsAutolink(s, i) {
				return true
			}
		}
	}
	return !utf8.ValidString(s)
}

// startsAutolink reports whether the byte s[i] ('.', ':' or '@') is where
// GFM's autolink extension would see a link: the dot of "www." (any case),
// the colon of "scheme://", or the at sign of an e-mail address (always:
// a lab value has none to lose).
func startsAutolink(s string, i int) bool {
	switch s[i] {
	case '.':
		return i >= 3 && strings.EqualFold(s[i-3:i], "www")
	case ':':
		return strings.HasPrefix(s[i+1:], "//")
	}
	return s[i] == '@'
}

// clampSummary enforces the spec's "< 140 characters" as a last line of
// defence; the rules tests keep every summary well below it.
func clampSummary(s string) string {
	if utf8.RuneCountInString(s) < 140 {
		return s
	}
	r := []rune(s)
	return string(r[:138]) + "…"
}

func isAbsoluteURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
