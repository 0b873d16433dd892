package demo

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds/hooks"
)

//go:embed templates
var assets embed.FS

var pageTemplate = template.Must(template.New("page.html").ParseFS(assets, "templates/page.html"))

// markdown renders card detail. goldmark's default renderer drops raw
// HTML and unsafe link schemes (javascript:), so a card cannot inject
// markup into the page.
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// Link is a link shown with a case, e.g. an app that opens the case's
// patient.
type Link struct {
	Label string
	URL   string
}

// Config is what the demo needs; cmd fills it.
type Config struct {
	// Service returns the CDS Hooks service handler, wired as the server
	// wires it, with its clock at asOf.
	Service func(asOf time.Time) (http.Handler, error)
	// Files holds examples/ and testdata/seeds/ (see LoadCases).
	Files fs.FS
	// DefaultLanguage is the page's language without ?lang ("nl" or "en").
	DefaultLanguage string
	// Now is the date for examples and pasted requests without one.
	Now func() time.Time
	// AppLinks returns the apps to offer with a case (the bone-health
	// SMART app is to be linked here); nil offers none.
	AppLinks func(c Case, asOf time.Time) []Link
	// BoneHealth draws the bone-health view (hooks/bonehealth) of the
	// patient of a CDS Hooks request at asOf; with it every case links to
	// that view at the page's date. nil leaves the view out.
	BoneHealth func(w http.ResponseWriter, request []byte, asOf time.Time, lang string)
	// MaxBodyBytes caps a pasted or uploaded request (default 4 MiB).
	MaxBodyBytes int64
	Logger       *zap.Logger
}

// page is what page.html renders.
type page struct {
	Lang, Other string
	T           map[string]string
	Cases       []Case
	Current     *Case
	Snapshot    Snapshot
	AsOf        string
	// URLs of the language switch, the year steps and the snapshots.
	LangURL, PrevURL, NextURL string
	Moments                   []moment
	Apps                      []Link
	// Early: the date precedes the record, which holds later entries.
	Early      bool
	Pasted     bool
	PastedText string
	Result     *Result
	Cards      []viewCard
	RawJSON    string
	Error      string
}

type moment struct {
	Date, URL string
	Current   bool
}

// viewCard is a card with its detail rendered and its resources indented.
type viewCard struct {
	hooks.Card
	DetailHTML  template.HTML
	Suggestions []viewSuggestion
}

type viewSuggestion struct {
	Label       string
	Recommended bool
	Actions     []viewAction
}

type viewAction struct {
	Type, ResourceType, Description, Resource string
}

// resourceType returns the resourceType of a FHIR resource in JSON.
func resourceType(raw json.RawMessage) string {
	var r struct {
		ResourceType string `json:"resourceType"`
	}
	_ = json.Unmarshal(raw, &r)
	return r.ResourceType
}

type demo struct {
	cfg   Config
	cases []Case
}

func (d *demo) lang(q string) string {
	if q == "nl" || q == "en" {
		return q
	}
	return d.cfg.DefaultLanguage
}

func other(lang string) string {
	if lang == "nl" {
		return "en"
	}
	return "nl"
}

func (d *demo) find(id string) *Case {
	for i := range d.cases {
		if d.cases[i].ID == id {
			return &d.cases[i]
		}
	}
	return nil
}

func caseURL(id, lang string, asOf time.Time) string {
	v := url.Values{"case": {id}, "lang": {lang}}
	if !asOf.IsZero() {
		v.Set("asof", asOf.Format(time.DateOnly))
	}
	return "/?" + v.Encode()
}

// showCase answers GET /: one case (the first without ?case) at a date.
func (d *demo) showCase(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := d.newPage(q.Get("lang"))
	if q.Get("paste") != "" {
		p.Pasted = true
		p.LangURL = "/?paste=1&lang=" + p.Other
		d.render(w, p)
		return
	}
	c := d.find(q.Get("case"))
	if c == nil {
		if q.Get("case") != "" {
			w.WriteHeader(http.StatusNotFound)
			p.Error = fmt.Sprintf("no case %q", q.Get("case"))
			d.render(w, p)
			return
		}
		c = &d.cases[0]
	}
	p.Current = c
	asOf := c.Snapshots[0].AsOf
	if asOf.IsZero() {
		asOf = d.cfg.Now()
	}
	if s := q.Get("asof"); s != "" {
		t, err := ParseDate(s)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			p.Error = err.Error()
			d.render(w, p)
			return
		}
		asOf = t
	}
	p.Snapshot = c.At(asOf)
	p.Early = asOf.Before(p.Snapshot.AsOf.Truncate(24 * time.Hour))
	p.AsOf = asOf.Format(time.DateOnly)
	p.LangURL = caseURL(c.ID, p.Other, asOf)
	p.PrevURL = caseURL(c.ID, p.Lang, asOf.AddDate(-1, 0, 0))
	p.NextURL = caseURL(c.ID, p.Lang, asOf.AddDate(1, 0, 0))
	for _, sn := range c.Snapshots {
		if !sn.AsOf.IsZero() {
			p.Moments = append(p.Moments, moment{Date: sn.AsOf.Format(time.DateOnly), URL: caseURL(c.ID, p.Lang, sn.AsOf), Current: sn.ID == p.Snapshot.ID})
		}
	}
	if d.cfg.BoneHealth != nil {
		label := "Botgezondheid in één oogopslag"
		if p.Lang == "en" {
			label = "Bone health at a glance"
		}
		p.Apps = append(p.Apps, Link{Label: label, URL: "/bone-health" + strings.TrimPrefix(caseURL(c.ID, p.Lang, asOf), "/")})
	}
	if d.cfg.AppLinks != nil {
		p.Apps = append(p.Apps, d.cfg.AppLinks(*c, asOf)...)
	}
	d.evaluate(r.Context(), &p, p.Snapshot.Body, asOf)
	d.render(w, p)
}

// evaluatePasted answers POST /evaluate: the pasted or uploaded request.
func (d *demo) evaluatePasted(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, d.cfg.MaxBodyBytes)
	if err := r.ParseMultipartForm(d.cfg.MaxBodyBytes); err != nil && err != http.ErrNotMultipart {
		p := d.newPage(r.FormValue("lang"))
		p.Pasted = true
		w.WriteHeader(http.StatusBadRequest)
		p.Error = "could not read the form: " + err.Error()
		d.render(w, p)
		return
	}
	p := d.newPage(r.FormValue("lang"))
	p.Pasted = true
	p.LangURL = "/?paste=1&lang=" + p.Other
	body := []byte(r.FormValue("request"))
	if f, _, err := r.FormFile("file"); err == nil {
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			p.Error = "could not read the file: " + err.Error()
			d.render(w, p)
			return
		}
		if len(bytes.TrimSpace(data)) > 0 {
			body = data
		}
	}
	p.PastedText = string(body)
	if len(bytes.TrimSpace(body)) == 0 {
		d.render(w, p)
		return
	}
	asOf := d.cfg.Now()
	if s := r.FormValue("asof"); s != "" {
		t, err := ParseDate(s)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			p.Error = err.Error()
			d.render(w, p)
			return
		}
		asOf = t
	} else if t, ok, err := AsOf(body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		p.Error = err.Error()
		d.render(w, p)
		return
	} else if ok {
		asOf = t
	}
	p.AsOf = asOf.Format(time.DateOnly)
	d.evaluate(r.Context(), &p, body, asOf)
	d.render(w, p)
}

func (d *demo) newPage(lang string) page {
	l := d.lang(lang)
	return page{Lang: l, Other: other(l), T: ui[l], Cases: d.cases}
}

// evaluate calls the service at asOf and puts its answer on the page.
func (d *demo) evaluate(ctx context.Context, p *page, body []byte, asOf time.Time) {
	svc, err := d.cfg.Service(asOf)
	if err != nil {
		p.Error = err.Error()
		return
	}
	res, err := Evaluate(ctx, svc, body, p.Lang)
	if err != nil {
		p.Error = err.Error()
		return
	}
	p.Result = &res
	var pretty bytes.Buffer
	if json.Indent(&pretty, res.Body, "", "  ") == nil {
		p.RawJSON = pretty.String()
	} else {
		p.RawJSON = string(res.Body)
	}
	for _, c := range res.Response.Cards {
		vc, err := newViewCard(c)
		if err != nil {
			p.Error = err.Error()
			return
		}
		p.Cards = append(p.Cards, vc)
	}
}

func newViewCard(c hooks.Card) (viewCard, error) {
	var detail bytes.Buffer
	if err := markdown.Convert([]byte(c.Detail), &detail); err != nil {
		return viewCard{}, fmt.Errorf("rendering the detail of card %s: %w", c.UUID, err)
	}
	vc := viewCard{Card: c, DetailHTML: template.HTML(detail.String())}
	for _, s := range c.Suggestions {
		vs := viewSuggestion{Label: s.Label, Recommended: s.IsRecommended}
		for _, a := range s.Actions {
			va := viewAction{Type: a.Type, Description: a.Description, Resource: a.ResourceID}
			if len(a.Resource) > 0 {
				va.ResourceType = resourceType(a.Resource)
				var pretty bytes.Buffer
				if json.Indent(&pretty, a.Resource, "", "  ") == nil {
					va.Resource = pretty.String()
				} else {
					va.Resource = string(a.Resource)
				}
			}
			vs.Actions = append(vs.Actions, va)
		}
		vc.Suggestions = append(vc.Suggestions, vs)
	}
	return vc, nil
}

func (d *demo) render(w http.ResponseWriter, p page) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		d.cfg.Logger.Error("demo: rendering the page failed", zap.Error(err))
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// showBoneHealth answers GET /bone-health: the bone-health view of a case's
// record as it was at ?asof (the same snapshot the cards page shows).
func (d *demo) showBoneHealth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lang := d.lang(q.Get("lang"))
	c := d.find(q.Get("case"))
	if c == nil {
		http.Error(w, fmt.Sprintf("no case %q", q.Get("case")), http.StatusNotFound)
		return
	}
	asOf := c.Snapshots[0].AsOf
	if asOf.IsZero() {
		asOf = d.cfg.Now()
	}
	if s := q.Get("asof"); s != "" {
		t, err := ParseDate(s)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		asOf = t
	}
	d.cfg.BoneHealth(w, c.At(asOf).Body, asOf, lang)
}
