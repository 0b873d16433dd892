package fhir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/fracturecds/fracturecds/fhir/terminology"
)

// An optional FHIR R4 terminology server (config terminology.server)
// expands the value sets with what only a server knows: SNOMED CT
// descendants, a newer RxNorm release. Each embedded value set is asked
// for by its canonical URL (GET [base]/ValueSet/$expand?url=...), so the
// server must hold the definitions of fhir/terminology/source/fracturecds
// (load them as ValueSet resources). The server's codes are added to the
// embedded expansion, never replace it: a server that lacks a value set,
// answers with an error or cannot be reached leaves the embedded codes in
// use, and the meaning of every code still comes from the embedded
// definition (a server does not know the rules).

// maxExpansionBytes bounds one $expand answer.
const maxExpansionBytes = 32 << 20

// RefreshResult says what a refresh did.
type RefreshResult struct {
	// Expanded counts the value sets the server expanded; Fallback those
	// left with the embedded expansion only.
	Expanded, Fallback int
	// Added counts codes the server added to the embedded expansions.
	Added int
	// Errors holds one line per value set the server did not expand (no
	// patient data: value set URLs and HTTP statuses).
	Errors []string
}

// Refresh expands every value set on the terminology server at base and
// swaps the result in. Value sets the server does not expand keep their
// embedded expansion. It returns an error, and changes nothing, when the
// server expanded none of them (unreachable, or it holds none).
func (t *Terminology) Refresh(ctx context.Context, client *http.Client, base string) (RefreshResult, error) {
	var res RefreshResult
	if t == nil {
		return res, errors.New("terminology: nil")
	}
	embedded() // loads embeddedSets
	base = strings.TrimRight(base, "/")
	sets := make([]terminology.ValueSet, 0, len(embeddedSets))
	origin := map[string]string{}
	for _, vs := range embeddedSets {
		got, err := expandOnServer(ctx, client, base, vs.URL)
		if err != nil {
			res.Fallback++
			res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", vs.URL, err))
			sets = append(sets, vs)
			if ctx.Err() != nil {
				return res, fmt.Errorf("terminology server %s: %w", base, ctx.Err())
			}
			continue
		}
		merged := vs
		merged.Contains = slices.Clone(vs.Contains)
		seen := map[string]bool{}
		systems := map[string]bool{}
		for _, c := range vs.Contains {
			seen[c.System+"|"+c.Code] = true
			systems[c.System] = true
		}
		for _, c := range got.Contains {
			// Only the code systems the definition uses: their meaning
			// for the rules is known (a drug class is not a SNOMED CT
			// finding).
			if !systems[c.System] {
				continue
			}
			if k := c.System + "|" + c.Code; !seen[k] {
				seen[k] = true
				merged.Contains = append(merged.Contains, terminology.Concept{System: c.System, Code: c.Code, Display: c.Display})
				res.Added++
			}
		}
		if got.Version != "" {
			merged.Sources = append(slices.Clone(vs.Sources), base+"/ValueSet/$expand?url="+vs.URL+"|"+got.Version)
		}
		origin[vs.URL] = base
		res.Expanded++
		sets = append(sets, merged)
	}
	if res.Expanded == 0 {
		return res, fmt.Errorf("terminology server %s expanded none of the %d value sets", base, len(embeddedSets))
	}
	x, err := buildIndex(sets, origin)
	if err != nil {
		return res, fmt.Errorf("terminology server %s: %w", base, err)
	}
	t.sets.Store(x)
	return res, nil
}

// expandOnServer asks the server for one value set's expansion.
func expandOnServer(ctx context.Context, client *http.Client, base, canonical string) (terminology.ValueSet, error) {
	u := base + "/ValueSet/$expand?url=" + url.QueryEscape(canonical)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return terminology.ValueSet{}, err
	}
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := client.Do(req)
	if err != nil {
		return terminology.ValueSet{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return terminology.ValueSet{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxExpansionBytes+1))
	if err != nil {
		return terminology.ValueSet{}, err
	}
	if len(data) > maxExpansionBytes {
		return terminology.ValueSet{}, fmt.Errorf("expansion over %d bytes", maxExpansionBytes)
	}
	return terminology.ParseValueSet(data)
}
