package hooks

import (
	"sort"
	"strconv"
	"strings"
)

// cardLanguage is the language of the cards of a request whose
// Accept-Language header is header (Config.IgnoreAcceptLanguage).
func (s *server) cardLanguage(header string) string {
	if s.cfg.IgnoreAcceptLanguage {
		return s.cfg.DefaultLanguage
	}
	return negotiateLanguage(header, s.cfg.DefaultLanguage)
}

// negotiateLanguage picks "nl" or "en" from an Accept-Language header
// (RFC 9110 §12.5.4), highest q first; fallback when neither is acceptable.
func negotiateLanguage(header, fallback string) string {
	type pref struct {
		lang string
		q    float64
		pos  int
	}
	var prefs []pref
	for i, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		prefs = append(prefs, pref{primary, q, i})
	}
	sort.SliceStable(prefs, func(i, j int) bool { return prefs[i].q > prefs[j].q })
	for _, p := range prefs {
		if p.q <= 0 {
			continue
		}
		switch p.lang {
		case "nl", "en":
			return p.lang
		case "*":
			return fallback
		}
	}
	return fallback
}
