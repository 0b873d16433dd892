package store

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/admin"
	"github.com/fracturecds/fracturecds/hooks/store/storetest"
)

var t0 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// backend opens a store configuration on one driver; reopening the same
// configuration reaches the same data.
type backend struct {
	name string
	cfg  func(t *testing.T) Config
}

// backends are SQLite always and PostgreSQL when a server is available
// (skipped locally without one, a failure in CI: storetest).
var backends = []backend{
	{SQLite, func(t *testing.T) Config { return Config{Driver: SQLite, DataDir: t.TempDir()} }},
	{Postgres, func(t *testing.T) Config { return Config{Driver: Postgres, PostgresURL: storetest.PostgresURL(t)} }},
}

// forEachBackend runs f once per backend as a subtest.
func forEachBackend(t *testing.T, f func(t *testing.T, cfg Config)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.cfg(t)) })
	}
}

func open(t *testing.T, cfg Config) *Store {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return t0 }
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.Driver, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func card(uuid, service, topic string, at time.Time, suggestions ...string) hooks.IssuedCard {
	return hooks.IssuedCard{UUID: uuid, Service: service, Topic: topic, Indicator: "warning", SuggestionUUIDs: suggestions, IssuedAt: at}
}

func accepted(cardUUID string, at time.Time, suggestions ...string) hooks.Feedback {
	return hooks.Feedback{Service: "fracturecds-patient-view", Card: cardUUID, Outcome: hooks.OutcomeAccepted, AcceptedSuggestions: suggestions, OutcomeTimestamp: at, ReceivedAt: at}
}

func overridden(cardUUID, reason string, at time.Time) hooks.Feedback {
	f := hooks.Feedback{Service: "fracturecds-patient-view", Card: cardUUID, Outcome: hooks.OutcomeOverridden, OutcomeTimestamp: at, ReceivedAt: at}
	if reason != "" {
		f.ReasonSystem, f.ReasonCode = hooks.OverrideReasonSystem, reason
	}
	return f
}

func save(t *testing.T, s *Store, fb ...hooks.Feedback) hooks.FeedbackResult {
	t.Helper()
	res, err := s.SaveFeedback(context.Background(), fb)
	if err != nil {
		t.Fatalf("save feedback: %v", err)
	}
	return res
}

func record(t *testing.T, s *Store, cards ...hooks.IssuedCard) {
	t.Helper()
	if err := s.RecordCards(context.Background(), cards); err != nil {
		t.Fatalf("record cards: %v", err)
	}
}

func analytics(t *testing.T, s *Store, q admin.Query) admin.Analytics {
	t.Helper()
	if q.From.IsZero() {
		q.From, q.To = t0.Add(-30*24*time.Hour), t0.Add(30*24*time.Hour)
	}
	a, err := s.Analytics(context.Background(), q)
	if err != nil {
		t.Fatalf("analytics: %v", err)
	}
	return a
}

func TestReopeningRunsNoMigrationTwiceAndKeepsEverything(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := open(t, cfg)
		record(t, s, card("c1", "fracturecds-patient-view", "fracture-case-finding", t0, "s1"))
		save(t, s, accepted("c1", t0, "s1"))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = open(t, cfg)
		var versions int
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		files, _ := fs.Glob(migrations, "migrations/*.sql")
		if versions != len(files) {
			t.Errorf("schema_migrations has %d rows after two opens, want one per migration (%d)", versions, len(files))
		}
		got := analytics(t, s, admin.Query{}).Totals
		if d := cmp.Diff(admin.Counts{Issued: 1, Accepted: 1, AcceptanceRate: 1}, got); d != "" {
			t.Errorf("totals after reopen (-want +got):\n%s", d)
		}
	})
}

func TestTheSameFeedbackTwiceIsStoredOnce(t *testing.T) {
	later := t0.Add(time.Minute)
	tests := []struct {
		name   string
		first  hooks.Feedback
		second hooks.Feedback
		want   hooks.FeedbackResult // of the second save
	}{
		{"identical accepted", accepted("c1", t0, "s1", "s2"), accepted("c1", t0, "s1", "s2"), hooks.FeedbackResult{Duplicates: 1}},
		{"suggestions in another order", accepted("c1", t0, "s1", "s2"), accepted("c1", t0, "s2", "s1"), hooks.FeedbackResult{Duplicates: 1}},
		{"identical override, received later", overridden("c1", "not-applicable", t0), func() hooks.Feedback {
			f := overridden("c1", "not-applicable", t0)
			f.ReceivedAt = later
			return f
		}(), hooks.FeedbackResult{Duplicates: 1}},
		{"another outcome time is new feedback", overridden("c1", "", t0), overridden("c1", "", later), hooks.FeedbackResult{Stored: 1}},
		{"another reason is new feedback", overridden("c1", "not-applicable", t0), overridden("c1", "patient-declined", t0), hooks.FeedbackResult{Stored: 1}},
		{"another outcome is new feedback", overridden("c1", "", t0), accepted("c1", t0, "s1"), hooks.FeedbackResult{Stored: 1}},
	}
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := open(t, cfg)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Each case on its own card so the cases do not interact.
				id := fmt.Sprintf("dup-%d", i)
				record(t, s, card(id, "fracturecds-patient-view", "fracture-case-finding", t0, "s1", "s2"))
				tt.first.Card, tt.second.Card = id, id
				if got := save(t, s, tt.first); got != (hooks.FeedbackResult{Stored: 1}) {
					t.Fatalf("first save = %+v", got)
				}
				if d := cmp.Diff(tt.want, save(t, s, tt.second)); d != "" {
					t.Errorf("second save (-want +got):\n%s", d)
				}
			})
		}
	})
}

func TestConcurrentRetriesOfOneBatchAreStoredOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := open(t, cfg)
		record(t, s, card("c1", "fracturecds-patient-view", "fracture-case-finding", t0, "s1"))
		batch := []hooks.Feedback{accepted("c1", t0, "s1"), overridden("c1", "already-addressed", t0)}
		var mu sync.Mutex
		var total hooks.FeedbackResult
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				res, err := s.SaveFeedback(context.Background(), batch)
				if err != nil {
					t.Errorf("concurrent save: %v", err)
					return
				}
				mu.Lock()
				total.Stored += res.Stored
				total.Duplicates += res.Duplicates
				mu.Unlock()
			})
		}
		wg.Wait()
		if d := cmp.Diff(hooks.FeedbackResult{Stored: 2, Duplicates: 14}, total); d != "" {
			t.Errorf("8 concurrent saves of 2 items (-want +got):\n%s", d)
		}
	})
}

func TestFeedbackOnAnUnknownCardIsStoredAndCountedAsSuch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := open(t, cfg)
		record(t, s, card("known", "fracturecds-patient-view", "fracture-case-finding", t0, "s1"))
		got := save(t, s, accepted("known", t0, "s1"), overridden("never-issued", "", t0))
		if d := cmp.Diff(hooks.FeedbackResult{Stored: 2, UnknownCards: 1}, got); d != "" {
			t.Errorf("save (-want +got):\n%s", d)
		}
		if n := analytics(t, s, admin.Query{}).UnknownCardFeedback; n != 1 {
			t.Errorf("unknownCardFeedback = %d, want 1", n)
		}
	})
}

func TestAnalyticsPerServiceAndTopicWithReasonsSeriesAndFilters(t *testing.T) {
	day2 := t0.Add(24 * time.Hour)
	pv, os := "fracturecds-patient-view", "fracturecds-order-sign"
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := open(t, cfg)
		record(t, s,
			card("a1", pv, "fracture-case-finding", t0, "s"),
			card("a2", pv, "fracture-case-finding", t0, "s"),
			card("a3", pv, "fracture-case-finding", day2, "s"),
			card("a4", pv, "fracture-case-finding", day2, "s"),
			card("b1", pv, "vitamin-d-deficiency", t0),
			card("b2", os, "vitamin-d-deficiency", day2),
			// Outside every window below.
			card("old", pv, "fracture-case-finding", t0.Add(-90*24*time.Hour), "s"),
		)
		save(t, s,
			accepted("a1", t0, "s"),
			accepted("a1", t0.Add(time.Hour), "s"), // a card accepted twice counts once
			accepted("a3", day2, "s"),
			overridden("a2", "not-applicable", t0),
			overridden("a4", "", day2),
			overridden("b1", "patient-declined", t0),
			overridden("b2", "patient-declined", day2),
			accepted("old", t0, "s"),
		)
		got := analytics(t, s, admin.Query{From: t0.Add(-time.Hour), To: t0.Add(48 * time.Hour)})
		want := admin.Analytics{
			From: t0.Add(-time.Hour), To: t0.Add(48 * time.Hour),
			Totals: admin.Counts{Issued: 6, Accepted: 2, Overridden: 4, AcceptanceRate: 2.0 / 6},
			Topics: []admin.TopicStats{
				{Service: os, Topic: "vitamin-d-deficiency", Counts: admin.Counts{Issued: 1, Overridden: 1},
					OverrideReasons: []admin.ReasonCount{{System: hooks.OverrideReasonSystem, Code: "patient-declined", Count: 1}}},
				{Service: pv, Topic: "fracture-case-finding", Counts: admin.Counts{Issued: 4, Accepted: 2, Overridden: 2, AcceptanceRate: 0.5},
					OverrideReasons: []admin.ReasonCount{{System: hooks.OverrideReasonSystem, Code: "not-applicable", Count: 1}, {Code: admin.UnspecifiedReason, Count: 1}}},
				{Service: pv, Topic: "vitamin-d-deficiency", Counts: admin.Counts{Issued: 1, Overridden: 1},
					OverrideReasons: []admin.ReasonCount{{System: hooks.OverrideReasonSystem, Code: "patient-declined", Count: 1}}},
			},
			Series: []admin.SeriesPoint{
				{Topic: "fracture-case-finding", Day: "2024-03-01", Counts: admin.Counts{Issued: 2, Accepted: 1, Overridden: 1, AcceptanceRate: 0.5}},
				{Topic: "fracture-case-finding", Day: "2024-03-02", Counts: admin.Counts{Issued: 2, Accepted: 1, Overridden: 1, AcceptanceRate: 0.5}},
				{Topic: "vitamin-d-deficiency", Day: "2024-03-01", Counts: admin.Counts{Issued: 1, Overridden: 1}},
				{Topic: "vitamin-d-deficiency", Day: "2024-03-02", Counts: admin.Counts{Issued: 1, Overridden: 1}},
			},
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("analytics (-want +got):\n%s", d)
		}

		filtered := analytics(t, s, admin.Query{From: t0.Add(12 * time.Hour), To: t0.Add(48 * time.Hour), Service: pv, Topic: "fracture-case-finding"})
		if d := cmp.Diff(admin.Counts{Issued: 2, Accepted: 1, Overridden: 1, AcceptanceRate: 0.5}, filtered.Totals); d != "" {
			t.Errorf("day 2, patient-view, case finding (-want +got):\n%s", d)
		}
	})
}

func TestRetentionPurgesCardsAndFeedbackOlderThanItAtOpen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := open(t, cfg)
		old, recent := t0.Add(-100*24*time.Hour), t0.Add(-24*time.Hour)
		record(t, s, card("old", "fracturecds-patient-view", "fracture-case-finding", old), card("new", "fracturecds-patient-view", "fracture-case-finding", recent))
		save(t, s, overridden("old", "", old), overridden("new", "", recent))
		s.Close()

		cfg.Retention = 90 * 24 * time.Hour
		s = open(t, cfg)
		q := admin.Query{From: t0.Add(-365 * 24 * time.Hour), To: t0}
		got := analytics(t, s, q).Totals
		if d := cmp.Diff(admin.Counts{Issued: 1, Overridden: 1}, got); d != "" {
			t.Errorf("after the purge at open (-want +got):\n%s", d)
		}
		if n, err := s.Purge(context.Background()); err != nil || n != 0 {
			t.Errorf("second purge deleted %d rows (%v), want 0", n, err)
		}
	})
}

func TestOpenRejectsABadConfigurationWithoutTheSecret(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"unknown driver", Config{Driver: "mysql"}},
		{"sqlite without a data dir", Config{Driver: SQLite}},
		{"postgres without a URL", Config{Driver: Postgres}},
		{"postgres unreachable", Config{Driver: Postgres, PostgresURL: "postgres://u:s3cret-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.cfg)
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if tt.cfg.PostgresURL != "" && strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

// benchStore opens an empty store of the driver for a benchmark.
func benchStore(b *testing.B, driver string) *Store {
	cfg := Config{Driver: driver, DataDir: b.TempDir()}
	if driver == Postgres {
		cfg.PostgresURL = storetest.PostgresURL(b)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkSaveFeedback measures one single-item feedback batch (one
// transaction, durable commit) per iteration.
func BenchmarkSaveFeedback(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := benchStore(b, be.name)
			i := 0
			for b.Loop() {
				i++
				f := overridden(fmt.Sprintf("c%d", i), "not-applicable", t0)
				if _, err := s.SaveFeedback(context.Background(), []hooks.Feedback{f}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A batch larger than one INSERT carries, with a card the log already
// has and a card three times in the batch, records every card exactly once,
// with all its columns.
func TestRecordCardsInLargeBatches(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := open(t, cfg)
		record(t, s, card("c7", "fracturecds-order-sign", "bisphosphonate-low-alp", t0, "s-old"))
		var batch []hooks.IssuedCard
		for i := range 2*cardRowsPerInsert + 7 {
			batch = append(batch, card(fmt.Sprintf("c%d", i), "fracturecds-patient-view", "fracture-case-finding", t0.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("s%d", i), "x"))
		}
		// Twice in one INSERT, and again in the last one.
		batch = append(batch, batch[3])
		batch = slices.Insert(batch, 5, batch[3])
		record(t, s, batch...)
		var n int
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM issued_cards`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := 2*cardRowsPerInsert + 7; n != want {
			t.Errorf("%d cards recorded, want %d", n, want)
		}
		for _, c := range []hooks.IssuedCard{batch[0], batch[cardRowsPerInsert], batch[2*cardRowsPerInsert+6],
			card("c7", "fracturecds-order-sign", "bisphosphonate-low-alp", t0, "s-old")} {
			var got hooks.IssuedCard
			var sugg string
			var at int64
			err := s.db.QueryRow(s.q(`SELECT card_uuid, service, topic, indicator, suggestion_uuids, issued_at FROM issued_cards WHERE card_uuid = ?`), c.UUID).
				Scan(&got.UUID, &got.Service, &got.Topic, &got.Indicator, &sugg, &at)
			if err != nil {
				t.Fatalf("%s: %v", c.UUID, err)
			}
			got.SuggestionUUIDs = strings.Fields(sugg)
			got.IssuedAt = time.UnixMilli(at).UTC()
			if d := cmp.Diff(c, got); d != "" {
				t.Errorf("card %s (-want +got):\n%s", c.UUID, d)
			}
		}
	})
}

// BenchmarkRecordCards measures one batch of 500 cards, what the card
// batcher writes per transaction under load, into a log that already holds
// 100,000 cards, with card uuids as the service makes them (time-ordered
// version 7) and random (version 4) for comparison.
func BenchmarkRecordCards(b *testing.B) {
	for _, be := range backends {
		for _, gen := range []struct {
			name string
			uuid func() uuid.UUID
		}{{"v7", func() uuid.UUID { return uuid.Must(uuid.NewV7()) }}, {"v4", uuid.New}} {
			b.Run(be.name+"/"+gen.name, func(b *testing.B) {
				s := benchStore(b, be.name)
				batch := make([]hooks.IssuedCard, 500)
				fill := func() {
					for j := range batch {
						batch[j] = card(gen.uuid().String(), "fracturecds-patient-view", "fracture-case-finding", t0, "s1", "s2")
					}
				}
				prefill := 200
				if testing.Short() {
					prefill = 2 // scripts/test.sh only checks that it runs
				}
				for range prefill {
					fill()
					if err := s.RecordCards(context.Background(), batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for b.Loop() {
					b.StopTimer()
					fill()
					b.StartTimer()
					if err := s.RecordCards(context.Background(), batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/card")
			})
		}
	}
}
