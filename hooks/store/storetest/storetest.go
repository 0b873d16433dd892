// Package storetest gives tests a PostgreSQL database to run the feedback
// store against: a fresh schema on the server named by
// FRACTURECDS_TEST_POSTGRES_URL (scripts/postgres.sh starts one).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	// Register the "pgx" database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// PostgresURLEnv names the PostgreSQL server the tests use, as a
// connection URL (postgres://user@127.0.0.1:port/db?sslmode=disable).
const PostgresURLEnv = "FRACTURECDS_TEST_POSTGRES_URL"

// RequirePostgresEnv turns a missing PostgreSQL server from a skip into a
// test failure (CI sets it to 1).
const RequirePostgresEnv = "FRACTURECDS_REQUIRE_POSTGRES"

// PostgresURL returns a connection URL whose search_path is a new, empty
// schema, dropped when the test ends. Without a server it skips the test,
// or fails it when RequirePostgresEnv is 1.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		if os.Getenv(RequirePostgresEnv) == "1" {
			t.Fatalf("storetest: %s=1 but %s is not set (run scripts/postgres.sh start)", RequirePostgresEnv, PostgresURLEnv)
		}
		t.Skipf("storetest: no PostgreSQL server (%s unset)", PostgresURLEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer db.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema on %s: %v", PostgresURLEnv, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s is not a URL: %v", PostgresURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
