package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// DefaultWindow is the analytics window when the query names no from.
const DefaultWindow = 30 * 24 * time.Hour

// maxFilterLength bounds the service and topic query parameters.
const maxFilterLength = 128

// Query selects the cards analytics are computed over: cards issued in
// [From, To), optionally of one service and one topic.
type Query struct {
	From, To       time.Time
	Service, Topic string
}

// Counts are the governance numbers of a set of issued cards. A card is
// accepted (or overridden) when at least one feedback item with that
// outcome names it; a card can be both.
type Counts struct {
	Issued     int64 `json:"issued"`
	Accepted   int64 `json:"accepted"`
	Overridden int64 `json:"overridden"`
	// AcceptanceRate is Accepted / Issued (0 when nothing was issued):
	// of the cards shown, the share a clinician acted on.
	AcceptanceRate float64 `json:"acceptanceRate"`
}

// SetRate fills AcceptanceRate from the counts.
func (c *Counts) SetRate() {
	c.AcceptanceRate = 0
	if c.Issued > 0 {
		c.AcceptanceRate = float64(c.Accepted) / float64(c.Issued)
	}
}

// ReasonCount is how many overridden cards carried one override reason.
// Overrides without a reason have Code "unspecified" and no System.
type ReasonCount struct {
	System string `json:"system,omitempty"`
	Code   string `json:"code"`
	Count  int64  `json:"count"`
}

// UnspecifiedReason is the code of overrides that named no reason.
const UnspecifiedReason = "unspecified"

// TopicStats are the numbers of one service and topic.
type TopicStats struct {
	Service string `json:"service"`
	Topic   string `json:"topic"`
	Counts
	OverrideReasons []ReasonCount `json:"overrideReasons"`
}

// SeriesPoint is one topic on one UTC day of issue (all services).
type SeriesPoint struct {
	Topic string `json:"topic"`
	// Day is YYYY-MM-DD (UTC).
	Day string `json:"day"`
	Counts
}

// Analytics is the answer of GET /analytics.
type Analytics struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Service string    `json:"service,omitempty"`
	Topic   string    `json:"topic,omitempty"`
	Totals  Counts    `json:"totals"`
	// UnknownCardFeedback counts feedback items (by outcome time in the
	// window) naming a card uuid the card log does not know.
	UnknownCardFeedback int64         `json:"unknownCardFeedback"`
	Topics              []TopicStats  `json:"topics"`
	Series              []SeriesPoint `json:"series"`
}

// Source computes analytics; *store.Store implements it.
type Source interface {
	Analytics(ctx context.Context, q Query) (Analytics, error)
}

// AnalyticsHandler serves GET /analytics?from=&to=&service=&topic= as
// JSON. from and to are RFC 3339 or YYYY-MM-DD (UTC midnight); the
// default window is the DefaultWindow up to now.
func AnalyticsHandler(src Source, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := ParseQuery(r.URL.Query(), now())
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		a, err := src.Analytics(r.Context(), q)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "analytics query failed"})
			return
		}
		writeJSON(w, http.StatusOK, a)
	})
}

// ParseQuery reads from, to, service and topic; to defaults to now and
// from to DefaultWindow before to.
func ParseQuery(v url.Values, now time.Time) (Query, error) {
	q := Query{To: now.UTC(), Service: v.Get("service"), Topic: v.Get("topic")}
	if len(q.Service) > maxFilterLength || len(q.Topic) > maxFilterLength {
		return q, fmt.Errorf("service and topic are at most %d characters", maxFilterLength)
	}
	if s := v.Get("to"); s != "" {
		t, err := parseTime(s)
		if err != nil {
			return q, fmt.Errorf("to: %w", err)
		}
		q.To = t
	}
	q.From = q.To.Add(-DefaultWindow)
	if s := v.Get("from"); s != "" {
		t, err := parseTime(s)
		if err != nil {
			return q, fmt.Errorf("from: %w", err)
		}
		q.From = t
	}
	if !q.From.Before(q.To) {
		return q, fmt.Errorf("from must be before to")
	}
	return q, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want RFC 3339 or YYYY-MM-DD")
	}
	return t, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
