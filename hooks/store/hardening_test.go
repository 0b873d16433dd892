package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/store/storetest"
)

// TestReplayKeysAreAcceptedOnceAcrossStoresUntilTheyExpire opens two
// stores on one database, as two replicas do: a jti remembered through one
// is refused through the other, 40 concurrent attempts through both let
// exactly one through, an expired key can be used again, and the purge
// removes expired keys.
func TestReplayKeysAreAcceptedOnceAcrossStoresUntilTheyExpire(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		now := t0
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		cfg.Now = clock
		a, b := open(t, cfg), open(t, cfg)
		ctx := context.Background()
		remember := func(s *Store, key string, ttl time.Duration) bool {
			t.Helper()
			ok, err := s.Remember(ctx, key, clock().Add(ttl))
			if err != nil {
				t.Fatalf("remember: %v", err)
			}
			return ok
		}
		if !remember(a, "iss\x00jti-1", time.Minute) {
			t.Fatal("a new jti was refused")
		}
		if remember(b, "iss\x00jti-1", time.Minute) || remember(a, "iss\x00jti-1", time.Minute) {
			t.Error("a replayed jti was accepted")
		}
		if !remember(b, "other-iss\x00jti-1", time.Minute) {
			t.Error("the same jti from another issuer was refused")
		}

		var wins atomic.Int64
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := []*Store{a, b}[i%2]
				ok, err := s.Remember(ctx, "iss\x00raced", clock().Add(time.Minute))
				if err != nil {
					t.Errorf("remember: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Errorf("%d of 40 concurrent uses of one jti accepted, want 1", n)
		}

		mu.Lock()
		now = now.Add(2 * time.Minute)
		mu.Unlock()
		if !remember(b, "iss\x00jti-1", time.Minute) {
			t.Error("an expired jti was still refused")
		}
		n, err := a.Purge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// other-iss/jti-1 and raced expired; jti-1 was renewed a moment ago.
		if n != 2 {
			t.Errorf("purge deleted %d rows, want the 2 expired jti keys", n)
		}
		if remember(a, "iss\x00jti-1", time.Minute) {
			t.Error("the purge dropped an unexpired jti")
		}
	})
}

// TestADeletedDataDirectoryFailsChecksAndWrites: SQLite keeps writing to
// a deleted file through its open descriptor, so the store itself must
// notice that the file in the data directory is gone (or replaced) and
// refuse writes and the readiness check instead of losing them quietly.
func TestADeletedDataDirectoryFailsChecksAndWrites(t *testing.T) {
	for _, tt := range []struct {
		name string
		harm func(t *testing.T, dir string)
	}{
		{"deleted", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}},
		{"replaced", func(t *testing.T, dir string) {
			f := filepath.Join(dir, SQLiteFile)
			if err := os.Rename(f, f+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			s := open(t, Config{Driver: SQLite, DataDir: dir})
			ctx := context.Background()
			if err := s.Check(ctx); err != nil {
				t.Fatalf("check of a healthy store: %v", err)
			}
			save(t, s, overridden("c1", "", t0))
			tt.harm(t, dir)
			if err := s.Check(ctx); !errors.Is(err, ErrDatabaseGone) {
				t.Errorf("check: %v, want ErrDatabaseGone", err)
			}
			if _, err := s.SaveFeedback(ctx, []hooks.Feedback{overridden("c2", "", t0)}); !errors.Is(err, ErrDatabaseGone) {
				t.Errorf("save feedback: %v, want ErrDatabaseGone", err)
			}
			if err := s.RecordCards(ctx, []hooks.IssuedCard{card("c3", "s", "t", t0)}); !errors.Is(err, ErrDatabaseGone) {
				t.Errorf("record cards: %v, want ErrDatabaseGone", err)
			}
		})
	}
}

// TestCheckWritesToTheDatabase: the readiness check is a write, so a
// store whose database no longer takes writes fails it.
func TestCheckWritesToTheDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg Config) {
		s := open(t, cfg)
		if err := s.Check(context.Background()); err != nil {
			t.Fatalf("check: %v", err)
		}
		s.db.Close()
		if err := s.Check(context.Background()); err == nil {
			t.Error("check passed on a closed database")
		}
	})
}

// BenchmarkRemember is the cost one accepted token adds to a call when
// the replay store is the database (one insert-once statement).
func BenchmarkRemember(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			var cfg Config
			if be.name == SQLite {
				cfg = Config{Driver: SQLite, DataDir: b.TempDir()}
			} else {
				cfg = Config{Driver: Postgres, PostgresURL: storetest.PostgresURL(b)}
			}
			s, err := Open(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			exp := time.Now().Add(5 * time.Minute)
			b.ResetTimer()
			for i := range b.N {
				if ok, err := s.Remember(context.Background(), "iss\x00"+strconv.Itoa(i), exp); err != nil || !ok {
					b.Fatalf("remember: %v %v", ok, err)
				}
			}
		})
	}
}

// BenchmarkRecordCardsPerResponse is what writing the card log before
// each response would cost: one transaction (a synced commit on SQLite)
// for a typical response of three cards, instead of the batcher's one per
// 200 ms (README "Feedback").
func BenchmarkRecordCardsPerResponse(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := benchStore(b, be.name)
			i := 0
			for b.Loop() {
				cards := make([]hooks.IssuedCard, 3)
				for j := range cards {
					i++
					cards[j] = card(fmt.Sprintf("r%d", i), "fracturecds-patient-view", "fracture-case-finding", t0, "s")
				}
				if err := s.RecordCards(context.Background(), cards); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestAReadOnlyPostgresFailsTheCheckAndFeedback: a PostgreSQL that still
// answers but takes no writes (a standby after a failover, a database set
// read-only) fails the readiness check and refuses feedback, instead of
// passing a ping.
func TestAReadOnlyPostgresFailsTheCheckAndFeedback(t *testing.T) {
	s := open(t, Config{Driver: Postgres, PostgresURL: storetest.PostgresURL(t)})
	ctx := context.Background()
	// One connection, made read-only as a hot standby's sessions are.
	s.db.SetMaxOpenConns(1)
	if _, err := s.db.ExecContext(ctx, `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`); err != nil {
		t.Fatal(err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		t.Fatalf("ping: %v (the database must still answer)", err)
	}
	if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("check: %v, want a read-only failure", err)
	}
	if _, err := s.SaveFeedback(ctx, []hooks.Feedback{overridden("c1", "", t0)}); err == nil {
		t.Error("feedback was saved to a read-only database")
	}
}
