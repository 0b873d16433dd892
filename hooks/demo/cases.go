package demo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Case is one patient of the demo: a story of one or more snapshots of
// the same record at increasing dates (the seed cases S1, S1b, S1c are
// Casus I at the fracture in 2013, after the DXA, and years after
// methotrexate was stopped), or one example request.
type Case struct {
	// ID names the case in URLs: the id of its first snapshot.
	ID string
	// Title is the patient's name in the record and the hook.
	Title string
	// Snapshots are in increasing AsOf order.
	Snapshots []Snapshot
}

// Snapshot is one request file and the date it was recorded for.
type Snapshot struct {
	ID   string
	File string
	// AsOf is the date of the record; zero for examples, which are
	// evaluated today.
	AsOf time.Time
	Note string
	Body []byte
}

// At returns the snapshot that shows the record as it was at t: the last
// one recorded on or before t, or the first when t is earlier.
func (c Case) At(t time.Time) Snapshot {
	s := c.Snapshots[0]
	for _, sn := range c.Snapshots[1:] {
		if !sn.AsOf.After(t) {
			s = sn
		}
	}
	return s
}

// seedEntry is what the demo reads of testdata/seeds/cases.json.
type seedEntry struct {
	ID      string         `json:"id"`
	File    string         `json:"file"`
	Service string         `json:"service"`
	AsOf    time.Time      `json:"asOf"`
	Config  map[string]any `json:"config"`
	Note    string         `json:"note"`
}

var storyKey = regexp.MustCompile(`^S\d+`)

// LoadCases reads the examples (examples/*.json) and the seed cases
// (testdata/seeds/cases.json and the request files it names) from files.
// Consecutive seed cases of one story (S1, S1b, S1c) with increasing
// dates become the snapshots of one case. Seed cases that only change a
// threshold (a "config" in cases.json) are left out: the demo runs the
// default thresholds.
func LoadCases(files fs.FS) ([]Case, error) {
	var cases []Case
	examples, err := fs.Glob(files, "examples/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(examples)
	for _, p := range examples {
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return nil, err
		}
		id := "example-" + strings.TrimSuffix(path.Base(p), ".json")
		cases = append(cases, Case{ID: id, Title: title(body, p), Snapshots: []Snapshot{{ID: id, File: p, Body: body}}})
	}
	// The first case is the landing page: a chart being opened
	// (patient-view) before orders.
	sort.SliceStable(cases, func(i, j int) bool {
		return hookRank(cases[i].Snapshots[0].Body) < hookRank(cases[j].Snapshots[0].Body)
	})
	raw, err := fs.ReadFile(files, "testdata/seeds/cases.json")
	if err != nil {
		return nil, err
	}
	var seeds []seedEntry
	if err := json.Unmarshal(raw, &seeds); err != nil {
		return nil, fmt.Errorf("testdata/seeds/cases.json: %w", err)
	}
	lastKey, lastService := "", ""
	for _, s := range seeds {
		if len(s.Config) > 0 {
			continue
		}
		p := "testdata/seeds/" + s.File
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return nil, err
		}
		sn := Snapshot{ID: s.ID, File: p, AsOf: s.AsOf, Note: s.Note, Body: body}
		key := storyKey.FindString(s.ID)
		if n := len(cases); n > 0 && key != "" && key == lastKey && s.Service == lastService {
			prev := &cases[n-1]
			if s.AsOf.After(prev.Snapshots[len(prev.Snapshots)-1].AsOf) {
				prev.Snapshots = append(prev.Snapshots, sn)
				continue
			}
		}
		cases = append(cases, Case{ID: s.ID, Title: title(body, s.ID), Snapshots: []Snapshot{sn}})
		lastKey, lastService = key, s.Service
	}
	return cases, nil
}

// title names a case by the patient in its prefetch and its hook.
func title(body []byte, fallback string) string {
	var r struct {
		Hook     string `json:"hook"`
		Prefetch struct {
			Patient struct {
				Name []struct {
					Family string   `json:"family"`
					Given  []string `json:"given"`
					Text   string   `json:"text"`
				} `json:"name"`
				Gender    string `json:"gender"`
				BirthDate string `json:"birthDate"`
			} `json:"patient"`
		} `json:"prefetch"`
	}
	if json.Unmarshal(body, &r) != nil {
		return fallback
	}
	name := fallback
	if ns := r.Prefetch.Patient.Name; len(ns) > 0 {
		switch {
		case ns[0].Text != "":
			name = ns[0].Text
		case ns[0].Family != "":
			name = strings.TrimSpace(strings.Join(ns[0].Given, " ") + " " + ns[0].Family)
		}
	}
	return name + " (" + r.Hook + ")"
}

// hookRank orders hooks as a chart is used: opened, then orders selected
// and signed.
func hookRank(body []byte) int {
	h, _ := readHeader(body)
	switch h.Hook {
	case "patient-view":
		return 0
	case "order-select":
		return 1
	}
	return 2
}
