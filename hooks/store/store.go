// Package store keeps the cards fracturecds issued and the feedback EHRs
// send about them, in embedded SQLite (the default: a file in the data
// directory, no setup) or PostgreSQL (for several replicas). It implements
// hooks.CardLog, hooks.FeedbackStore, admin.Source and, on PostgreSQL for
// several replicas, auth.ReplayStore.
//
// Schema migrations are embedded and run at Open; a retention purge runs
// at Open and then on a ticker. Nothing stored identifies a patient.
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	// Register the "pgx" database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"
	// Register the pure-Go "sqlite" database/sql driver (no cgo).
	_ "modernc.org/sqlite"

	"github.com/fracturecds/fracturecds/hooks"
)

// Drivers.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// SQLiteFile is the database file name inside the data directory.
const SQLiteFile = "fracturecds.db"

// DefaultPurgeInterval is how often the retention purge runs.
const DefaultPurgeInterval = time.Hour

//go:embed migrations/*.sql
var migrations embed.FS

// Config says where to store.
type Config struct {
	// Driver is SQLite (default) or Postgres.
	Driver string
	// DataDir holds the SQLite file; created if missing.
	DataDir string
	// PostgresURL is the PostgreSQL connection string (a secret: it may
	// hold a password; never logged).
	PostgresURL string
	// Retention is how long cards and feedback are kept; 0 keeps them
	// forever.
	Retention time.Duration
	// PurgeInterval is how often the purge runs; 0 means
	// DefaultPurgeInterval.
	PurgeInterval time.Duration
	// Logger receives purge results and errors; nil logs nothing.
	Logger *zap.Logger
	// Now is injected for tests; nil means time.Now.
	Now func() time.Time
}

// Store is an open feedback store. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	driver string
	// file and fileInfo identify the SQLite database file opened, so that
	// a data directory deleted or replaced while running is noticed (the
	// open descriptor would go on writing to a file nobody will read).
	file     string
	fileInfo os.FileInfo
	cfg      Config
	stop     chan struct{}
	done     sync.WaitGroup
	once     sync.Once
}

// Open connects, runs the schema migrations, purges expired rows once and
// starts the retention ticker. Close releases everything.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PurgeInterval <= 0 {
		cfg.PurgeInterval = DefaultPurgeInterval
	}
	if cfg.Driver == "" {
		cfg.Driver = SQLite
	}
	var db *sql.DB
	var err error
	switch cfg.Driver {
	case SQLite:
		if cfg.DataDir == "" {
			return nil, errors.New("store: sqlite needs a data directory")
		}
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("store: data directory: %w", err)
		}
		// WAL lets analytics read while cards are written; synchronous(FULL)
		// makes every committed transaction survive a power cut, not only a
		// process crash; busy_timeout and BEGIN IMMEDIATE make concurrent
		// writers wait instead of failing with SQLITE_BUSY.
		dsn := filepath.Join(cfg.DataDir, SQLiteFile) +
			"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
		db, err = sql.Open("sqlite", dsn)
	case Postgres:
		if cfg.PostgresURL == "" {
			return nil, errors.New("store: postgres needs a connection URL")
		}
		db, err = sql.Open("pgx", cfg.PostgresURL)
	default:
		return nil, fmt.Errorf("store: unknown driver %q (want sqlite or postgres)", cfg.Driver)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", cfg.Driver, err)
	}
	if cfg.Driver == SQLite {
		// One writer at a time is all SQLite does anyway; a small pool
		// keeps readers concurrent under WAL.
		db.SetMaxOpenConns(4)
	}
	s := &Store{db: db, driver: cfg.Driver, cfg: cfg, stop: make(chan struct{})}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		// The driver's error can echo the DSN's host but never the password;
		// still, name only the driver.
		return nil, fmt.Errorf("store: connect to %s: %w", cfg.Driver, redact(err, cfg.PostgresURL))
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if cfg.Driver == SQLite {
		s.file = filepath.Join(cfg.DataDir, SQLiteFile)
		if s.fileInfo, err = os.Stat(s.file); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	// The purge also empties the replay store of expired jti rows, so it
	// runs without a retention too.
	if _, err := s.Purge(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.done.Add(1)
	go s.purgeLoop()
	return s, nil
}

// redact removes the connection string from an error, should a driver
// ever include it.
func redact(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[redacted]"))
}

// Close stops the purge ticker and closes the database.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.stop) })
	s.done.Wait()
	return s.db.Close()
}

// ErrDatabaseGone means the SQLite file the store opened is no longer the
// file in the data directory (deleted or replaced while running): what is
// written now would be lost at the next start.
var ErrDatabaseGone = errors.New("store: the SQLite database file was removed or replaced while in use; restore the data directory and restart")

// checkFile returns ErrDatabaseGone when the SQLite file the store writes
// to is no longer the one at its path; on PostgreSQL it never fails.
func (s *Store) checkFile() error {
	if s.fileInfo == nil {
		return nil
	}
	fi, err := os.Stat(s.file)
	if err != nil || !os.SameFile(fi, s.fileInfo) {
		return ErrDatabaseGone
	}
	return nil
}

// Check implements hooks.StorageCheck for /readyz: the SQLite file is
// still the one opened, and the database takes a write now (one row,
// overwritten each time).
func (s *Store) Check(ctx context.Context) error {
	if err := s.checkFile(); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO store_health (id, checked_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`), s.cfg.Now().UnixMilli()); err != nil {
		return fmt.Errorf("store: write check: %w", err)
	}
	return nil
}

// Driver returns SQLite or Postgres.
func (s *Store) Driver() string { return s.driver }

// q rewrites ? placeholders to $n for PostgreSQL. The SQL in this package
// never has a ? inside a string literal.
func (s *Store) q(query string) string {
	if s.driver != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// migrationLockID is the PostgreSQL advisory lock that serialises
// migrations when several replicas start at once.
const migrationLockID = 7421_0001

// migrate applies every embedded migration not yet recorded in
// schema_migrations, each in its own transaction, in file-name order.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: name must start with a number", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: read %s: %w", name, err)
		}
		if err := s.apply(ctx, version, string(body)); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, version int, body string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.driver == Postgres {
		// Held until commit: a second replica waits here, then sees the
		// version recorded and skips it.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range splitStatements(body) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, s.cfg.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// splitStatements splits a migration into statements, dropping comments;
// both drivers then run one statement per Exec.
func splitStatements(body string) []string {
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, stmt := range strings.Split(strings.Join(lines, "\n"), ";") {
		if stmt = strings.TrimSpace(stmt); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}

// cardRowsPerInsert is how many cards one INSERT carries. A statement per
// card cost about 11 µs of CPU per card on SQLite and a network round trip
// (about 0.1 ms) per card on PostgreSQL; 100 rows of 6 arguments stay far
// below either database's parameter limit.
const cardRowsPerInsert = 100

// RecordCards implements hooks.CardLog: one transaction per batch, cards
// already recorded are left as they are.
func (s *Store) RecordCards(ctx context.Context, cards []hooks.IssuedCard) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: record cards: %w", err)
	}
	defer tx.Rollback()
	args := make([]any, 0, 6*min(len(cards), cardRowsPerInsert))
	for len(cards) > 0 {
		n := min(len(cards), cardRowsPerInsert)
		args = args[:0]
		for _, c := range cards[:n] {
			args = append(args, c.UUID, c.Service, c.Topic, c.Indicator, strings.Join(c.SuggestionUUIDs, " "), c.IssuedAt.UnixMilli())
		}
		if _, err := tx.ExecContext(ctx, s.insertCards(n), args...); err != nil {
			return fmt.Errorf("store: record cards: %w", err)
		}
		cards = cards[n:]
	}
	if err := s.checkFile(); err != nil {
		return fmt.Errorf("store: record cards: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: record cards: %w", err)
	}
	return nil
}

// insertCards is the INSERT of n cards, in the store's placeholder style.
func (s *Store) insertCards(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO issued_cards (card_uuid, service, topic, indicator, suggestion_uuids, issued_at) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(` ON CONFLICT (card_uuid) DO NOTHING`)
	return s.q(b.String())
}

// dedupKey is the natural key of a feedback item: the same card, outcome,
// outcome time, accepted suggestions (in any order) and reason are the
// same feedback, however often the EHR sends it.
func dedupKey(f hooks.Feedback) string {
	sugg := slices.Clone(f.AcceptedSuggestions)
	slices.Sort(sugg)
	h := sha256.New()
	for _, part := range []string{f.Card, f.Outcome, f.OutcomeTimestamp.UTC().Format(time.RFC3339Nano), strings.Join(sugg, " "), f.ReasonSystem, f.ReasonCode} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SaveFeedback implements hooks.FeedbackStore: one transaction per batch;
// duplicates (by dedupKey) are counted, not stored again.
func (s *Store) SaveFeedback(ctx context.Context, feedback []hooks.Feedback) (hooks.FeedbackResult, error) {
	var res hooks.FeedbackResult
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("store: save feedback: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, s.q(`INSERT INTO feedback (dedup_key, card_uuid, service, outcome, accepted_suggestions, reason_system, reason_code, user_comment, outcome_at, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING`))
	if err != nil {
		return res, fmt.Errorf("store: save feedback: %w", err)
	}
	defer ins.Close()
	known, err := tx.PrepareContext(ctx, s.q(`SELECT COUNT(*) FROM issued_cards WHERE card_uuid = ?`))
	if err != nil {
		return res, fmt.Errorf("store: save feedback: %w", err)
	}
	defer known.Close()
	for _, f := range feedback {
		r, err := ins.ExecContext(ctx, dedupKey(f), f.Card, f.Service, f.Outcome, strings.Join(f.AcceptedSuggestions, " "),
			f.ReasonSystem, f.ReasonCode, f.UserComment, f.OutcomeTimestamp.UnixMilli(), f.ReceivedAt.UnixMilli())
		if err != nil {
			return hooks.FeedbackResult{}, fmt.Errorf("store: save feedback: %w", err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return hooks.FeedbackResult{}, fmt.Errorf("store: save feedback: %w", err)
		}
		if n == 0 {
			res.Duplicates++
		} else {
			res.Stored++
		}
		var k int
		if err := known.QueryRowContext(ctx, f.Card).Scan(&k); err != nil {
			return hooks.FeedbackResult{}, fmt.Errorf("store: save feedback: %w", err)
		}
		if k == 0 {
			res.UnknownCards++
		}
	}
	// Checked last, before the commit: feedback written to a file that is
	// gone would be answered 200 and lost.
	if err := s.checkFile(); err != nil {
		return hooks.FeedbackResult{}, fmt.Errorf("store: save feedback: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return hooks.FeedbackResult{}, fmt.Errorf("store: save feedback: %w", err)
	}
	return res, nil
}

// Remember implements auth.ReplayStore on the shared database: it records
// key (issuer and jti) until expires and returns false when key is already
// recorded and not yet expired. One statement decides, so two replicas
// racing with the same token cannot both win: the insert succeeds, or the
// conflicting row is taken over only when it has expired.
func (s *Store) Remember(ctx context.Context, key string, expires time.Time) (bool, error) {
	sum := sha256.Sum256([]byte(key))
	r, err := s.db.ExecContext(ctx, s.q(`INSERT INTO replay_jti (jti_key, expires_at) VALUES (?, ?)
		ON CONFLICT (jti_key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_jti.expires_at <= ?`),
		hex.EncodeToString(sum[:]), expires.UnixMilli(), s.cfg.Now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("store: replay: %w", err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: replay: %w", err)
	}
	return n == 1, nil
}

// Purge deletes cards issued and feedback received before now minus the
// retention, and expired jti rows of the replay store, and returns how
// many rows it deleted. With no retention it deletes only jti rows.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	now := s.cfg.Now()
	r, err := s.db.ExecContext(ctx, s.q(`DELETE FROM replay_jti WHERE expires_at <= ?`), now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	total, _ := r.RowsAffected()
	if s.cfg.Retention <= 0 {
		return total, nil
	}
	cutoff := now.Add(-s.cfg.Retention).UnixMilli()
	for _, query := range []string{
		`DELETE FROM feedback WHERE received_at < ?`,
		`DELETE FROM issued_cards WHERE issued_at < ?`,
	} {
		r, err := s.db.ExecContext(ctx, s.q(query), cutoff)
		if err != nil {
			return total, fmt.Errorf("store: purge: %w", err)
		}
		n, _ := r.RowsAffected()
		total += n
	}
	return total, nil
}

func (s *Store) purgeLoop() {
	defer s.done.Done()
	t := time.NewTicker(s.cfg.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			n, err := s.Purge(ctx)
			cancel()
			if err != nil {
				s.cfg.Logger.Error("retention purge failed", zap.Error(err))
			} else if n > 0 {
				s.cfg.Logger.Info("retention purge", zap.Int64("rows", n))
			}
		}
	}
}
