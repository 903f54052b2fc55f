package pgstore_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/pgstore/pgtest"
	"github.com/sspr-portal/sspr/server/sspr"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// config is how a store reaches database db of srv: over TLS, verified
// against the test CA.
func config(srv *pgtest.Server, db string) pgstore.Config {
	return pgstore.Config{
		URL:            "postgres://" + pgtest.User + "@" + srv.Host + ":" + strconv.Itoa(srv.Port) + "/" + db,
		TLS:            pgstore.TLSVerifyFull,
		CAFile:         srv.CAFile,
		PoolSize:       4,
		ConnectTimeout: 2 * time.Second,
		Timeout:        2 * time.Second,
	}
}

// MustOpen opens a store on a fresh database of the shared server and
// closes it when the test ends.
func MustOpen(tb testing.TB) (*pgstore.Store, *pgtest.Server, string) {
	tb.Helper()
	srv := pgtest.Shared(tb)
	db := srv.NewDatabase(tb)
	return MustOpenConfig(tb, config(srv, db)), srv, db
}

// MustOpenConfig opens a store with cfg and closes it when the test ends.
func MustOpenConfig(tb testing.TB, cfg pgstore.Config) *pgstore.Store {
	tb.Helper()
	s, err := pgstore.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// query runs one query as the superuser in db and returns the first
// column of each row.
func query[T any](tb testing.TB, srv *pgtest.Server, db, sql string, args ...any) []T {
	tb.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, srv.URL(db))
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[T])
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return out
}

// code is the error code of err, "" for a plain error.
func code(err error) sspr.Code {
	var ae *sspr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
