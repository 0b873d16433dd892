package admin

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"

	"github.com/fracturecds/fracturecds/fhir"
)

// UnmappedSource lists the most frequent unmapped codes of a kind ("" for
// all), most frequent first (fhir.UnmappedCodes).
type UnmappedSource interface {
	Top(kind string, n int) []fhir.UnmappedCode
}

// unmappedLimit is how many codes the page lists unless ?limit= asks for
// fewer or more (up to maxUnmappedLimit).
const (
	unmappedLimit    = 100
	maxUnmappedLimit = 1000
)

var unmappedTemplate = template.Must(template.New("unmapped").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fracturecds: unmapped codes</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}td.n{text-align:right}code{font-size:.9em}</style>
</head><body>
<h1>Unmapped codes</h1>
<p>Codings of medications, conditions and observations that no value set and no <code>local_codes</code> entry maps,
most frequent first, counted since the service started. Only terminology is kept (system, code, the coding's display):
no patient, resource or value. To teach the service a code, add it to <code>local_codes</code> in the configuration.
JSON: <a href="?format=json">?format=json</a>.</p>
{{if .}}<table><thead><tr><th>kind</th><th>system</th><th>code</th><th>display</th><th>count</th></tr></thead><tbody>
{{range .}}<tr><td>{{.Kind}}</td><td><code>{{.System}}</code></td><td><code>{{.Code}}</code></td><td>{{.Display}}</td><td class="n">{{.Count}}</td></tr>
{{end}}</tbody></table>{{else}}<p>None so far.</p>{{end}}
</body></html>
`))

// UnmappedHandler serves GET /unmapped: the most frequent unmapped codes
// as an HTML table, or as JSON with ?format=json or Accept:
// application/json. ?kind=medication|condition|observation filters,
// ?limit=N bounds the list.
func UnmappedHandler(src UnmappedSource) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		kind := q.Get("kind")
		switch kind {
		case "", fhir.UnmappedMedication, fhir.UnmappedCondition, fhir.UnmappedObservation:
		default:
			http.Error(w, "kind must be medication, condition or observation", http.StatusBadRequest)
			return
		}
		limit := unmappedLimit
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				http.Error(w, "limit must be a positive integer", http.StatusBadRequest)
				return
			}
			limit = min(n, maxUnmappedLimit)
		}
		rows := src.Top(kind, limit)
		if rows == nil {
			rows = []fhir.UnmappedCode{}
		}
		w.Header().Set("Cache-Control", "no-store")
		if q.Get("format") == "json" || r.Header.Get("Accept") == "application/json" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"codes": rows})
			return
		}
		var buf bytes.Buffer
		if err := unmappedTemplate.Execute(&buf, rows); err != nil {
			http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})
}
