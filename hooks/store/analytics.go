package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/admin"
)

const dayMillis = 24 * 60 * 60 * 1000

// cardFilter is the WHERE clause selecting the cards of a query, on
// issued_cards aliased c, with its arguments.
func cardFilter(q admin.Query) (string, []any) {
	where := []string{"c.issued_at >= ?", "c.issued_at < ?"}
	args := []any{q.From.UnixMilli(), q.To.UnixMilli()}
	if q.Service != "" {
		where = append(where, "c.service = ?")
		args = append(args, q.Service)
	}
	if q.Topic != "" {
		where = append(where, "c.topic = ?")
		args = append(args, q.Topic)
	}
	return strings.Join(where, " AND "), args
}

// outcomeCounts are the SELECT columns counting a card group's issued,
// accepted and overridden cards (distinct cards, whatever the number of
// feedback items per card).
const outcomeCounts = `COUNT(*),
	SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = c.card_uuid AND f.outcome = 'accepted') THEN 1 ELSE 0 END),
	SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback f WHERE f.card_uuid = c.card_uuid AND f.outcome = 'overridden') THEN 1 ELSE 0 END)`

// Analytics implements admin.Source: per service and topic the cards
// issued in the window and how clinicians answered them, override
// reasons, a per-day series per topic, and feedback on unknown cards.
func (s *Store) Analytics(ctx context.Context, q admin.Query) (admin.Analytics, error) {
	a := admin.Analytics{From: q.From.UTC(), To: q.To.UTC(), Service: q.Service, Topic: q.Topic,
		Topics: []admin.TopicStats{}, Series: []admin.SeriesPoint{}}
	where, args := cardFilter(q)

	rows, err := s.db.QueryContext(ctx, s.q(`SELECT c.service, c.topic, `+outcomeCounts+`
		FROM issued_cards c WHERE `+where+` GROUP BY c.service, c.topic ORDER BY c.service, c.topic`), args...)
	if err != nil {
		return a, fmt.Errorf("store: analytics by topic: %w", err)
	}
	index := map[[2]string]int{}
	for rows.Next() {
		var t admin.TopicStats
		if err := rows.Scan(&t.Service, &t.Topic, &t.Issued, &t.Accepted, &t.Overridden); err != nil {
			rows.Close()
			return a, fmt.Errorf("store: analytics by topic: %w", err)
		}
		t.SetRate()
		t.OverrideReasons = []admin.ReasonCount{}
		index[[2]string{t.Service, t.Topic}] = len(a.Topics)
		a.Topics = append(a.Topics, t)
		a.Totals.Issued += t.Issued
		a.Totals.Accepted += t.Accepted
		a.Totals.Overridden += t.Overridden
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return a, fmt.Errorf("store: analytics by topic: %w", err)
	}
	a.Totals.SetRate()

	// Override reasons: distinct overridden cards per reason.
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT c.service, c.topic, f.reason_system, f.reason_code, COUNT(DISTINCT f.card_uuid)
		FROM issued_cards c JOIN feedback f ON f.card_uuid = c.card_uuid
		WHERE f.outcome = 'overridden' AND `+where+`
		GROUP BY c.service, c.topic, f.reason_system, f.reason_code
		ORDER BY c.service, c.topic, COUNT(DISTINCT f.card_uuid) DESC, CASE WHEN f.reason_code = '' THEN 1 ELSE 0 END, f.reason_code`), args...)
	if err != nil {
		return a, fmt.Errorf("store: override reasons: %w", err)
	}
	for rows.Next() {
		var service, topic string
		var r admin.ReasonCount
		if err := rows.Scan(&service, &topic, &r.System, &r.Code, &r.Count); err != nil {
			rows.Close()
			return a, fmt.Errorf("store: override reasons: %w", err)
		}
		if r.Code == "" {
			r.Code = admin.UnspecifiedReason
		}
		if i, ok := index[[2]string{service, topic}]; ok {
			a.Topics[i].OverrideReasons = append(a.Topics[i].OverrideReasons, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return a, fmt.Errorf("store: override reasons: %w", err)
	}

	// Series: per topic and UTC day of issue.
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT c.topic, c.issued_at / `+fmt.Sprint(dayMillis)+` AS day, `+outcomeCounts+`
		FROM issued_cards c WHERE `+where+` GROUP BY c.topic, c.issued_at / `+fmt.Sprint(dayMillis)+` ORDER BY c.topic, day`), args...)
	if err != nil {
		return a, fmt.Errorf("store: analytics series: %w", err)
	}
	for rows.Next() {
		var p admin.SeriesPoint
		var day int64
		if err := rows.Scan(&p.Topic, &day, &p.Issued, &p.Accepted, &p.Overridden); err != nil {
			rows.Close()
			return a, fmt.Errorf("store: analytics series: %w", err)
		}
		p.Day = time.UnixMilli(day * dayMillis).UTC().Format(time.DateOnly)
		p.SetRate()
		a.Series = append(a.Series, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return a, fmt.Errorf("store: analytics series: %w", err)
	}

	// Feedback naming a card the log does not know, by outcome time.
	uq := `SELECT COUNT(*) FROM feedback f WHERE f.outcome_at >= ? AND f.outcome_at < ?
		AND NOT EXISTS (SELECT 1 FROM issued_cards c WHERE c.card_uuid = f.card_uuid)`
	uargs := []any{q.From.UnixMilli(), q.To.UnixMilli()}
	if q.Service != "" {
		uq += ` AND f.service = ?`
		uargs = append(uargs, q.Service)
	}
	if err := s.db.QueryRowContext(ctx, s.q(uq), uargs...).Scan(&a.UnknownCardFeedback); err != nil {
		return a, fmt.Errorf("store: unknown-card feedback: %w", err)
	}
	return a, nil
}

// Interface checks: the store is what hooks and admin consume.
var (
	_ hooks.CardLog       = (*Store)(nil)
	_ hooks.FeedbackStore = (*Store)(nil)
	_ admin.Source        = (*Store)(nil)
)
