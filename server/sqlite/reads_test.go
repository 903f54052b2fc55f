package sqlite_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	moderncsqlite "modernc.org/sqlite"

	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// compiled records what SQLite's authorizer is shown as the statements of
// the watched database files are compiled: each statement, each table and
// column it reads, each function it calls, each transaction it begins or
// ends. The driver compiles every statement afresh each time it runs (no
// statement is kept between calls), so the record is what a call ran.
var compiled struct {
	once    sync.Once
	mu      sync.Mutex
	watched map[string]*[]string // database path: what was compiled
}

// actionNames name the actions a read may be shown; others go by number.
var actionNames = map[moderncsqlite.AuthorizerActionCode]string{
	moderncsqlite.AuthSelect:      "SELECT",
	moderncsqlite.AuthRead:        "READ",
	moderncsqlite.AuthFunction:    "FUNCTION",
	moderncsqlite.AuthTransaction: "TRANSACTION",
	moderncsqlite.AuthPragma:      "PRAGMA",
	moderncsqlite.AuthRecursive:   "RECURSIVE",
}

// watchCompiled returns a fresh database file whose compiled statements
// are recorded, with the function that returns and clears the record.
func watchCompiled(t *testing.T) (*sqlite.DB, func() []string) {
	t.Helper()
	compiled.once.Do(func() {
		compiled.watched = map[string]*[]string{}
		// A hook is for the life of the process and sees every connection
		// the driver opens: it only installs an authorizer on those of
		// the files watched.
		moderncsqlite.RegisterConnectionHook(func(c moderncsqlite.ExecQuerierContext, dsn string) error {
			u, err := url.Parse(dsn)
			if err != nil {
				return nil
			}
			compiled.mu.Lock()
			log := compiled.watched[filepath.FromSlash(u.Path)]
			compiled.mu.Unlock()
			if log == nil {
				return nil
			}
			ar, ok := c.(moderncsqlite.AuthorizerRegisterer)
			if !ok {
				return fmt.Errorf("the driver's connection %T has no authorizer", c)
			}
			return ar.RegisterAuthorizer(func(action moderncsqlite.AuthorizerActionCode, arg1, arg2, db, trigger string) moderncsqlite.AuthorizerReturnCode {
				compiled.mu.Lock()
				name, ok := actionNames[action]
				if !ok {
					name = fmt.Sprint(int(action))
				}
				*log = append(*log, strings.TrimSpace(strings.Join([]string{name, arg1, arg2, db, trigger}, " ")))
				compiled.mu.Unlock()
				return moderncsqlite.AuthorizerOK
			})
		})
	})
	path := filepath.Join(t.TempDir(), "sspr.db")
	log := new([]string)
	compiled.mu.Lock()
	compiled.watched[path] = log
	compiled.mu.Unlock()
	t.Cleanup(func() {
		compiled.mu.Lock()
		delete(compiled.watched, path)
		compiled.mu.Unlock()
	})
	db := MustOpenPath(t, path)
	return db, func() []string {
		compiled.mu.Lock()
		defer compiled.mu.Unlock()
		out := *log
		*log = nil
		return out
	}
}

// A reset's start reads the registration of the typed user id whether or
// not it exists, and what that costs must not tell which: Registration
// runs the same statements, reading the same tables and columns, for a
// registered user, an unregistered one, and one with no answers. (A second
// statement for the answers of a registered user made its start about
// 0.4 ms slower, measured from outside.) What SQLite then finds in the
// indexes differs, as it must: BenchmarkRegistration compares the times.
// The statement is prepared once on each read connection, at its first
// use there (stmtcache.go), so a read compiles nothing, or, on a connection
// new to it, exactly that statement.
func TestRegistrationSameStatements(t *testing.T) {
	ctx := context.Background()
	db, take := watchCompiled(t)
	s := sqlite.NewStore(db)
	for _, r := range []sspr.Registration{
		{UserID: "zoe@example.edu", Email: "zoe@example.net", EmailConfirmed: seedTime, Phone: "+447700900999", PhoneConfirmed: seedTime,
			Answers: hashedAnswers(t, "first_pet", "first_car", "birth_town"), AnswersConfirmed: seedTime},
		{UserID: "yan@example.edu", Email: "yan@example.net", EmailConfirmed: seedTime},
	} {
		if err := s.PutRegistration(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	users := []struct {
		id      string
		answers int // -1: not registered
	}{
		{"zoe@example.edu", 3},
		{"yan@example.edu", 0},
		{"nobody@example.edu", -1},
	}
	read := func(id string, answers int) []string {
		t.Helper()
		take()
		r, err := s.Registration(ctx, id)
		if err != nil || (r == nil) != (answers < 0) || (r != nil && len(r.Answers) != answers) {
			t.Fatalf("Registration(%s) = %+v, %v", id, r, err)
		}
		return take()
	}
	// The first read compiles the statement; each other read compiles
	// nothing, or (on another connection) the very same.
	var want []string
	for range 3 {
		for _, u := range users {
			got := read(u.id, u.answers)
			switch {
			case len(got) == 0:
			case want == nil:
				if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "registration_answers") }) {
					t.Fatalf("the authorizer saw no read of registration_answers: %q", got)
				}
				want = got
				t.Logf("every Registration runs:\n%s", strings.Join(want, "\n"))
			case !slices.Equal(got, want):
				t.Errorf("Registration(%s) compiled\n%s\nwhere the first read compiled\n%s",
					u.id, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
	if want == nil {
		t.Fatal("no read compiled a statement: the authorizer saw nothing")
	}
}

// hashedAnswers answers each question, hashed.
func hashedAnswers(t testing.TB, questions ...string) []sspr.Answer {
	t.Helper()
	h := newHasher()
	var out []sspr.Answer
	for _, q := range questions {
		hash, err := h.Hash(context.Background(), "answer to "+q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sspr.Answer{QuestionID: q, Hash: hash})
	}
	return out
}
