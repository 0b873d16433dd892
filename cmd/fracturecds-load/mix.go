package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
)

// Bodies generated per profile: several patients, so the server cannot
// profit from one body's caches, few enough to build in a blink.
const (
	typicalBodies = 16
	heavyBodies   = 8
)

// body is one request to replay.
type body struct {
	kind    string
	service string
	data    []byte
}

// mix is the bodies of a run and the order in which kinds are drawn.
type mix struct {
	bodies []body
	// schedule lists body indexes; request i sends schedule[i % len].
	schedule []int
	next     atomic.Uint64
}

// pick returns the next body to send; safe for concurrent use.
func (m *mix) pick() body {
	i := m.next.Add(1) - 1
	return m.bodies[m.schedule[i%uint64(len(m.schedule))]]
}

// seedCase is the part of testdata/seeds/cases.json the generator reads.
type seedCase struct {
	ID      string `json:"id"`
	File    string `json:"file"`
	Service string `json:"service"`
}

// buildMix parses spec ("typical=8,heavy=1,seeds=1") and builds the
// bodies. Generated patients are dated relative to now so that their
// recent labs and DXA are recent for the running server; seed cases are
// sent as they are (the server evaluates them as of today, not as of the
// case's asOf, which changes their cards but not their cost).
func buildMix(spec, seedDir string, now time.Time) (*mix, error) {
	m := &mix{}
	byKind := map[string][]int{}
	add := func(kind, service string, data []byte) {
		byKind[kind] = append(byKind[kind], len(m.bodies))
		m.bodies = append(m.bodies, body{kind: kind, service: service, data: data})
	}
	var weights []struct {
		kind string
		w    int
	}
	for part := range strings.SplitSeq(spec, ",") {
		kind, ws, ok := strings.Cut(strings.TrimSpace(part), "=")
		w, err := strconv.Atoi(ws)
		if !ok || err != nil || w < 0 || w > 1000 {
			return nil, fmt.Errorf("-mix: %q is not kind=weight (weight 0..1000)", part)
		}
		if _, dup := byKind[kind]; dup {
			return nil, fmt.Errorf("-mix: %s given twice", kind)
		}
		switch kind {
		case "typical":
			for s := range typicalBodies {
				add(kind, "fracturecds-patient-view", fhirtest.Generate(fhirtest.Typical, uint64(s+1), now))
			}
		case "heavy":
			for s := range heavyBodies {
				add(kind, "fracturecds-patient-view", fhirtest.Generate(fhirtest.Heavy, uint64(s+1), now))
			}
		case "seeds":
			cases, err := loadSeeds(seedDir)
			if err != nil {
				return nil, err
			}
			for _, c := range cases {
				data, err := os.ReadFile(filepath.Join(seedDir, c.File))
				if err != nil {
					return nil, err
				}
				add(kind, c.Service, data)
			}
		default:
			return nil, fmt.Errorf("-mix: unknown kind %q (typical, heavy, seeds)", kind)
		}
		weights = append(weights, struct {
			kind string
			w    int
		}{kind, w})
	}
	// Interleave: each round takes w bodies of every kind, rotating
	// through that kind's bodies, so every prefix of the run has the
	// requested proportions.
	rounds := 1
	for _, k := range byKind {
		rounds = max(rounds, len(k))
	}
	pos := map[string]int{}
	for range rounds {
		for _, kw := range weights {
			idx := byKind[kw.kind]
			for range kw.w {
				m.schedule = append(m.schedule, idx[pos[kw.kind]%len(idx)])
				pos[kw.kind]++
			}
		}
	}
	if len(m.schedule) == 0 {
		return nil, fmt.Errorf("-mix: all weights are zero")
	}
	return m, nil
}

// loadSeeds reads the seed-case manifest.
func loadSeeds(dir string) ([]seedCase, error) {
	data, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		return nil, fmt.Errorf("seed cases: %w (run from the repository root or set -seeds)", err)
	}
	var cases []seedCase
	if err := json.Unmarshal(data, &cases); err != nil {
		return nil, fmt.Errorf("seed cases: %w", err)
	}
	for _, c := range cases {
		if c.File == "" || filepath.Base(c.File) != c.File || c.Service == "" {
			return nil, fmt.Errorf("seed case %s: bad file or service", c.ID)
		}
	}
	return cases, nil
}
