// Package hookstest checks CDS Hooks 2.0.1 responses against the
// specification's invariants, so that every test that produces a response
// (goldens, end-to-end seed cases, the FHIR-server integration test)
// asserts the same protocol rules. The rules are those of
// shared/design/cds-hooks.md §A, §F–§K, including the 3.0 logical-model
// invariants cds-resp-1, -3, -4 and -6 ported to Go.
package hookstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	refRe  = regexp.MustCompile(`^[A-Za-z]+/[A-Za-z0-9\-.]+$`)
)

// Problems returns every violation of the CDS Hooks response invariants in
// body (a service response); nil means the response is spec-exact.
func Problems(body []byte) []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }

	var generic any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	walkEmpty(generic, "$", add)

	var resp struct {
		Cards         *[]json.RawMessage `json:"cards"`
		SystemActions []json.RawMessage  `json:"systemActions"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.Cards == nil {
		return append(p, "response must be an object with a cards array")
	}
	seenUUID := map[string]bool{}
	for i, raw := range *resp.Cards {
		checkCard(raw, fmt.Sprintf("cards[%d]", i), seenUUID, add)
	}
	return p
}

// walkEmpty reports JSON null and empty strings, arrays and objects; the
// only exception is the top-level "cards": [] (cds-hooks.md §A item 2).
func walkEmpty(v any, path string, add func(string, ...any)) {
	switch x := v.(type) {
	case nil:
		add("%s is null", path)
	case string:
		if x == "" {
			add("%s is an empty string", path)
		}
	case []any:
		if len(x) == 0 && path != "$.cards" {
			add("%s is an empty array", path)
		}
		for i, e := range x {
			walkEmpty(e, fmt.Sprintf("%s[%d]", path, i), add)
		}
	case map[string]any:
		if len(x) == 0 {
			add("%s is an empty object", path)
		}
		for k, e := range x {
			walkEmpty(e, path+"."+k, add)
		}
	}
}

type card struct {
	UUID              string `json:"uuid"`
	Summary           string `json:"summary"`
	Detail            string `json:"detail"`
	Indicator         string `json:"indicator"`
	SelectionBehavior string `json:"selectionBehavior"`
	Source            *struct {
		Label string `json:"label"`
		URL   string `json:"url"`
		Topic *struct {
			System string `json:"system"`
			Code   string `json:"code"`
		} `json:"topic"`
	} `json:"source"`
	Suggestions []struct {
		Label         string `json:"label"`
		UUID          string `json:"uuid"`
		IsRecommended bool   `json:"isRecommended"`
		Actions       []struct {
			Type        string          `json:"type"`
			Description string          `json:"description"`
			Resource    json.RawMessage `json:"resource"`
			ResourceID  string          `json:"resourceId"`
		} `json:"actions"`
	} `json:"suggestions"`
	OverrideReasons []struct {
		Code    string `json:"code"`
		System  string `json:"system"`
		Display string `json:"display"`
	} `json:"overrideReasons"`
	Links []struct {
		Label      string `json:"label"`
		URL        string `json:"url"`
		Type       string `json:"type"`
		AppContext string `json:"appContext"`
	} `json:"links"`
}

func checkCard(raw json.RawMessage, at string, seen map[string]bool, add func(string, ...any)) {
	var c card
	if err := json.Unmarshal(raw, &c); err != nil {
		add("%s: %v", at, err)
		return
	}
	if !uuidRe.MatchString(c.UUID) {
		add("%s.uuid must be a lower-case UUID, got %q", at, c.UUID)
	} else if seen[c.UUID] {
		add("%s.uuid %s repeats", at, c.UUID)
	}
	seen[c.UUID] = true
	if c.Summary == "" {
		add("%s.summary is required", at)
	}
	if n := utf8.RuneCountInString(c.Summary); n >= 140 {
		add("%s.summary has %d runes; must be < 140", at, n)
	}
	switch c.Indicator {
	case "info", "warning", "critical":
	default:
		add("%s.indicator %q not in info|warning|critical", at, c.Indicator)
	}
	if c.Source == nil || c.Source.Label == "" {
		add("%s.source.label is required", at)
	} else {
		if c.Source.URL != "" && !strings.HasPrefix(c.Source.URL, "https://") && !strings.HasPrefix(c.Source.URL, "http://") {
			add("%s.source.url must be absolute", at)
		}
		if c.Source.Topic == nil || c.Source.Topic.System == "" || c.Source.Topic.Code == "" {
			add("%s.source.topic needs system and code", at)
		}
	}
	if len(c.Suggestions) > 0 {
		switch c.SelectionBehavior {
		case "any", "at-most-one":
		default:
			add("%s.selectionBehavior must be any or at-most-one when suggestions exist (cds-resp-6)", at)
		}
	} else if c.SelectionBehavior != "" {
		add("%s.selectionBehavior without suggestions", at)
	}
	recommended := 0
	for i, s := range c.Suggestions {
		sat := fmt.Sprintf("%s.suggestions[%d]", at, i)
		if s.Label == "" {
			add("%s.label is required", sat)
		}
		if !uuidRe.MatchString(s.UUID) {
			add("%s.uuid must be a UUID", sat)
		} else if seen[s.UUID] {
			add("%s.uuid %s repeats", sat, s.UUID)
		}
		seen[s.UUID] = true
		if s.IsRecommended {
			recommended++
		}
		if len(s.Actions) == 0 {
			add("%s has no actions", sat)
		}
		for j, a := range s.Actions {
			aat := fmt.Sprintf("%s.actions[%d]", sat, j)
			if a.Description == "" {
				add("%s.description is required", aat)
			}
			switch a.Type {
			case "create", "update":
				var r struct {
					ResourceType string `json:"resourceType"`
				}
				if len(a.Resource) == 0 || json.Unmarshal(a.Resource, &r) != nil || r.ResourceType == "" {
					add("%s (%s) needs a resource with resourceType", aat, a.Type)
				}
				if a.Type == "update" {
					var id struct {
						ID string `json:"id"`
					}
					if json.Unmarshal(a.Resource, &id) != nil || id.ID == "" {
						add("%s update needs the whole resource with its id", aat)
					}
				}
			case "delete":
				if !refRe.MatchString(a.ResourceID) {
					add("%s delete needs resourceId Type/id", aat)
				}
			default:
				add("%s.type %q not in create|update|delete", aat, a.Type)
			}
		}
	}
	if c.SelectionBehavior == "at-most-one" && recommended > 1 {
		add("%s: at most one recommended suggestion with at-most-one (cds-resp-1)", at)
	}
	for i, r := range c.OverrideReasons {
		if r.Code == "" || r.System == "" || r.Display == "" {
			add("%s.overrideReasons[%d] needs code, system and display (cds-resp-4)", at, i)
		}
	}
	for i, l := range c.Links {
		lat := fmt.Sprintf("%s.links[%d]", at, i)
		if l.Label == "" || l.URL == "" {
			add("%s needs label and url", lat)
		}
		switch l.Type {
		case "absolute":
			if !strings.HasPrefix(l.URL, "https://") && !strings.HasPrefix(l.URL, "http://") {
				add("%s absolute link must have an absolute URL", lat)
			}
			if l.AppContext != "" {
				add("%s appContext only with smart links (cds-resp-3)", lat)
			}
		case "smart":
		default:
			add("%s.type must be absolute or smart", lat)
		}
	}
}

// Topics returns the topic codes and indicators of a response's cards.
func Topics(body []byte) (map[string]string, error) {
	var resp struct {
		Cards []struct {
			Indicator string `json:"indicator"`
			Source    struct {
				Topic struct {
					Code string `json:"code"`
				} `json:"topic"`
			} `json:"source"`
		} `json:"cards"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range resp.Cards {
		code := c.Source.Topic.Code
		if prev, ok := out[code]; ok {
			// Keep the most urgent indicator when a topic appears twice.
			if rank(c.Indicator) <= rank(prev) {
				continue
			}
		}
		out[code] = c.Indicator
	}
	return out, nil
}

func rank(i string) int {
	switch i {
	case "critical":
		return 3
	case "warning":
		return 2
	case "info":
		return 1
	}
	return 0
}

// CountResources counts, over all suggestions of all cards, the created
// resources of resourceType whose code has a coding with the given code
// (e.g. ServiceRequest with LOINC 38268-9 for DXA).
func CountResources(body []byte, resourceType, code string) int {
	var resp struct {
		Cards []struct {
			Suggestions []struct {
				Actions []struct {
					Type     string `json:"type"`
					Resource struct {
						ResourceType string `json:"resourceType"`
						Code         struct {
							Coding []struct {
								Code string `json:"code"`
							} `json:"coding"`
						} `json:"code"`
					} `json:"resource"`
				} `json:"actions"`
			} `json:"suggestions"`
		} `json:"cards"`
	}
	if json.Unmarshal(body, &resp) != nil {
		return -1
	}
	n := 0
	for _, c := range resp.Cards {
		for _, s := range c.Suggestions {
			for _, a := range s.Actions {
				if a.Type != "create" || a.Resource.ResourceType != resourceType {
					continue
				}
				for _, cd := range a.Resource.Code.Coding {
					if cd.Code == code {
						n++
						break
					}
				}
			}
		}
	}
	return n
}

// MaxCards and MaxDetail bound a response a clinician can read at the point
// of care (issue 12): at most 4 cards, each detail at most 1,500 characters.
const (
	MaxCards  = 4
	MaxDetail = 1500
)

// cardRefRe finds a reference to another card in a detail: the planner
// writes `kaart "<summary>"` / `card "<summary>"`; the single-quoted form is
// matched too, so an old hand-written reference is caught.
var cardRefRe = regexp.MustCompile(`(?:kaart|kaarten|card|cards) (?:"([^"]+)"|'([^']+)')`)

// devNoteRe finds developer notes that do not belong in card text: design
// choices, configuration, FHIR element paths.
var devNoteRe = regexp.MustCompile(`(?i)ontwerpkeuze|design choice|instelbaar|configurable|[A-Z][A-Za-z]+\.(?:authoredOn|effective[A-Za-z]*|valueString)\b`)

// unreadableRe finds text a GP should not have to decode (issue 12: "display
// names, not bare SNOMED codes", values as a GP reads them): ATC codes, ISO
// dates (a card writes 05-04-2025 or 5 Apr 2025), reviewer notes on source
// verification or on which of two source thresholds is applied, FHIR
// element paths, months with decimals and ages of a hundred days or more.
// FHIR resources in suggestions keep their ISO dates: they are data, not
// text.
var unreadableRe = regexp.MustCompile(`(?i:\bATC\b|niet geverifieerd|unverified|onbevestigd|bronnen verschillen|sources differ|; toegepast:|; applied:)` +
	`|\b[A-Z]\d\d[A-Z]{2}\d\d\b` +
	`|\b\d{4}-\d{2}-\d{2}\b` +
	`|\b(?:Patient|Condition|Observation|Procedure|ServiceRequest|Medication(?:Request|Statement|Administration)?)\.[a-z][A-Za-z]*` +
	`|\[x\\?\]|\brecordedDate\b` +
	`|\b\d+[.,]\d+ (?:maanden|months)\b` +
	`|\b\d{3,} (?:dagen geleden|days ago)`)

// TextProblems returns every piece of card text in body (summary, detail,
// suggestion and action labels, link labels, override reasons) that
// unreadableRe finds.
func TextProblems(body []byte) []string {
	var resp struct {
		Cards []card `json:"cards"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return []string{"not a response: " + err.Error()}
	}
	var p []string
	check := func(at, where, text string) {
		if m := unreadableRe.FindString(text); m != "" {
			p = append(p, fmt.Sprintf("%s: %s has %q, which a GP should not have to decode", at, where, m))
		}
	}
	for i, c := range resp.Cards {
		at := fmt.Sprintf("cards[%d] (%s)", i, c.Summary)
		check(at, "summary", c.Summary)
		check(at, "detail", c.Detail)
		for j, s := range c.Suggestions {
			check(at, fmt.Sprintf("suggestion %d label", j), s.Label)
			for k, a := range s.Actions {
				check(at, fmt.Sprintf("suggestion %d action %d description", j, k), a.Description)
			}
		}
		for j, l := range c.Links {
			check(at, fmt.Sprintf("link %d label", j), l.Label)
		}
		for j, o := range c.OverrideReasons {
			check(at, fmt.Sprintf("override reason %d", j), o.Display)
		}
	}
	return p
}

// PlanProblems returns every violation of the whole-response invariants of
// issue 12 in body: at most MaxCards cards; every detail at most MaxDetail
// characters; no card names a card that is not in the response; every
// critical card offers an action; no source URL both in the detail and in
// the links; no developer notes and no codes, ISO dates or FHIR paths in the
// text (TextProblems). The invariants that need the patient's record (no suggestion
// contradicts a finding, no order already active or recent) are checked in
// package rules (rules.PlanViolations).
func PlanProblems(body []byte) []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	var resp struct {
		Cards []card `json:"cards"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return []string{"not a response: " + err.Error()}
	}
	if n := len(resp.Cards); n > MaxCards {
		add("%d cards; at most %d", n, MaxCards)
	}
	summaries := map[string]bool{}
	for _, c := range resp.Cards {
		summaries[c.Summary] = true
	}
	for i, c := range resp.Cards {
		at := fmt.Sprintf("cards[%d] (%s)", i, c.Summary)
		if n := utf8.RuneCountInString(c.Detail); n > MaxDetail {
			add("%s: detail has %d characters; at most %d", at, n, MaxDetail)
		}
		for _, m := range cardRefRe.FindAllStringSubmatch(c.Detail, -1) {
			name := m[1] + m[2]
			if !summaries[name] || name == c.Summary {
				add("%s names the card %q, which is not (another card) in the response", at, name)
			}
		}
		if m := devNoteRe.FindString(c.Detail); m != "" {
			add("%s: developer note %q in the card text", at, m)
		}
		if c.Indicator == "critical" && len(c.Suggestions) == 0 {
			add("%s: a critical card must offer an action", at)
		}
		for _, l := range c.Links {
			if l.URL != "" && strings.Contains(c.Detail, l.URL) {
				add("%s: source %s both in the detail and in the links", at, l.URL)
			}
		}
	}
	return append(p, TextProblems(body)...)
}
