package hooks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/rules"
)

// TestConfiguredLanguageWinsUnlessRequestLanguageIsPreferred: a
// browser-based EHR sends the browser's Accept-Language, so with
// IgnoreAcceptLanguage (the program's default) the configured language
// decides; without it the header does, falling back to the configured
// language.
func TestConfiguredLanguageWinsUnlessRequestLanguageIsPreferred(t *testing.T) {
	tests := []struct {
		configured string
		ignore     bool
		header     string
		want       string
	}{
		{"nl", true, "en-US,en;q=0.9", "nl"}, // the Dutch GP with an English browser
		{"nl", true, "", "nl"},
		{"en", true, "nl-NL", "en"},
		{"nl", false, "en-US,en;q=0.9", "en"},
		{"nl", false, "fr", "nl"},
		{"en", false, "", "en"},
		{"en", false, "nl", "nl"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/ignore=%v/%q", tt.configured, tt.ignore, tt.header), func(t *testing.T) {
			h := NewHandler(Config{
				Facts:                staticFacts(pieterse()),
				Thresholds:           rules.DefaultThresholds(),
				Now:                  func() time.Time { return testNow },
				DefaultLanguage:      tt.configured,
				IgnoreAcceptLanguage: tt.ignore,
			})
			hdr := map[string]string{}
			if tt.header != "" {
				hdr["Accept-Language"] = tt.header
			}
			rec := post(t, h, "/cds-services/fracturecds-patient-view", validPatientView, hdr)
			var resp Response
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Cards) == 0 {
				t.Fatalf("status %d, no cards: %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Content-Language"); got != tt.want {
				t.Errorf("Content-Language %q, want %q", got, tt.want)
			}
			// The card text itself, not only the header.
			english := strings.Contains(resp.Cards[0].Summary, "Fracture at")
			if english != (tt.want == "en") {
				t.Errorf("summary %q is not in %s", resp.Cards[0].Summary, tt.want)
			}
		})
	}
}
