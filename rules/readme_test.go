package rules

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's topic table is what integration engineers and EHR analysts
// read: it must list exactly the registered rules with their hooks.
func TestREADMETopicTableMatchesTheCatalog(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- topics:start")
	end := strings.Index(s, "<!-- topics:end -->")
	if start < 0 || end < start {
		t.Fatal("README has no topics:start/topics:end markers")
	}
	row := regexp.MustCompile("^\\| `([a-z0-9-]+)` \\| ([^|]+) \\| (info|warning|critical) \\| [^|]+ \\|$")
	readme := map[string]string{}
	for _, line := range strings.Split(s[start:end], "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			readme[m[1]] = strings.TrimSpace(m[2])
		}
	}
	for _, r := range Catalog() {
		hooks, ok := readme[r.Topic]
		if !ok {
			t.Errorf("README topic table lacks %s", r.Topic)
			continue
		}
		for _, h := range r.Hooks {
			if !strings.Contains(hooks, string(h)) {
				t.Errorf("README lists %s on %q, but it runs on %s too", r.Topic, hooks, h)
			}
		}
		if n := len(strings.Split(hooks, ",")); n != len(r.Hooks) {
			t.Errorf("README lists %s on %d hooks, the rule runs on %d", r.Topic, n, len(r.Hooks))
		}
		delete(readme, r.Topic)
	}
	delete(readme, TopicInsufficientData)
	for topic := range readme {
		t.Errorf("README lists %s, which is not a registered rule", topic)
	}
}
