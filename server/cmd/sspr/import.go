package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/importer"
	"github.com/sspr-portal/sspr/server/pgstore"
	"github.com/sspr-portal/sspr/server/portal"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// exitRejected: the import ran, and some lines were refused (the report
// says which and why); the others were imported. A script can tell it
// from a failure (1), where the run stopped.
const exitRejected = 3

// stdin is what "-" reads; the tests set it.
var stdin io.Reader = os.Stdin

// shownRejections is how many refused lines an import prints on standard
// error; --report has them all.
const shownRejections = 20

// progressEvery is how often a long import says how far it is.
const progressEvery = 10 * time.Second

const (
	accountsImportUsage      = "Usage: sspr accounts import [--config FILE] [--data DIR] [--format csv|jsonl] [--dry-run] [--report FILE] FILE|-"
	registrationsImportUsage = "Usage: sspr registrations import [--config FILE] [--data DIR] [--format csv|jsonl] [--dry-run] [--report FILE] FILE|-"
)

// accountsCmd runs `sspr accounts SUBCOMMAND`.
func accountsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return subcommand(args, "import", accountsImportUsage, stderr, func(rest []string) int {
		return runImport(ctx, accountsKind, rest, stdout, stderr)
	})
}

// registrationsCmd runs `sspr registrations SUBCOMMAND`.
func registrationsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return subcommand(args, "import", registrationsImportUsage, stderr, func(rest []string) int {
		return runImport(ctx, registrationsKind, rest, stdout, stderr)
	})
}

// importKind is what a command imports, and where.
type importKind struct {
	name  string // "sspr accounts import"
	noun  string // "accounts"
	usage string
	about string
	event string // the run's audit event
	// run imports the file into the targets.
	run func(ctx context.Context, t *importTargets, in io.Reader, f importer.Format, o importOptions) (importer.Summary, error)
}

var accountsKind = importKind{
	name: "sspr accounts import", noun: "accounts", usage: accountsImportUsage, event: importer.EventAccountsImported,
	about: "Adds the accounts of FILE (CSV with a header row, or JSON lines; - for standard input) to the\n" +
		"embedded directory, or updates them: id, name, mail, optional ou, locked and disabled, and a\n" +
		"password_hash (argon2id) or an initial_password that must be changed at the next sign-in.\n" +
		"A password a person has set since is never replaced. Run twice, the same result (docs/IMPORT.md).",
	run: func(ctx context.Context, t *importTargets, in io.Reader, f importer.Format, o importOptions) (importer.Summary, error) {
		rd, err := importer.NewAccountReader(in, f, o.rules)
		if err != nil {
			return importer.Summary{}, errHeader{err}
		}
		return importer.Run(ctx, rd, importer.Options[importer.Account]{Batch: o.batch, DryRun: o.dryRun,
			Sink: t.dir.ImportAccounts, Seen: t.seen, Reject: o.reject, Progress: o.progress})
	},
}

var registrationsKind = importKind{
	name: "sspr registrations import", noun: "registrations", usage: registrationsImportUsage, event: importer.EventRegistrationsImported,
	about: "Registers, as confirmed by the organisation, the alternate email address and mobile number of\n" +
		"FILE's people (CSV with a header row, or JSON lines; - for standard input): id, email, mobile,\n" +
		"optional confirmed_at. Other methods are left as they are; nothing is removed. Run twice, the\n" +
		"same result (docs/IMPORT.md).",
	run: func(ctx context.Context, t *importTargets, in io.Reader, f importer.Format, o importOptions) (importer.Summary, error) {
		rd, err := importer.NewRegistrationReader(in, f, o.rules)
		if err != nil {
			return importer.Summary{}, errHeader{err}
		}
		ro := importer.Options[importer.Registration]{Batch: o.batch, DryRun: o.dryRun,
			Sink: t.store.ImportRegistrations, Seen: t.seen, Reject: o.reject, Progress: o.progress}
		if t.dir != nil {
			// The embedded directory: lines for no account, or giving the
			// account's own address, are refused.
			ro.Check = importer.CheckAccounts(t.dir.Mails)
		}
		return importer.Run(ctx, rd, ro)
	},
}

// errHeader is a file that can't be read at all: its header, or its
// first line.
type errHeader struct{ error }

// importOptions are a run's settings, from the flags and the configuration.
type importOptions struct {
	rules    importer.Rules
	batch    int
	dryRun   bool
	reject   func(importer.Rejection) error
	progress func(importer.Summary)
}

// importFlags are the flags of both imports.
type importFlags struct {
	config, data, format, report string
	dryRun                       bool
	batch                        int
	file                         string
}

// parseImport parses the flags and the one FILE, which may come before
// flags as well as after them.
func parseImport(k importKind, args []string, stderr io.Writer) (*importFlags, int, bool) {
	f := &importFlags{}
	fset := flag.NewFlagSet(k.name, flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.StringVar(&f.config, "config", "", "the configuration `file` whose directory and database to import into")
	fset.StringVar(&f.data, "data", "", "the data `folder`, instead of server.data_dir")
	fset.StringVar(&f.format, "format", "", "the file's `format`, csv or jsonl (default: from its extension)")
	fset.BoolVar(&f.dryRun, "dry-run", false, "read and check every line, say what would change, and write nothing")
	fset.StringVar(&f.report, "report", "", "write each refused line's number, id and reason to this `file`, as JSON lines")
	fset.IntVar(&f.batch, "batch", importer.DefaultBatch, "write this many `lines` in each transaction")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "%s\n\n%s\n\nExit status: 0 all imported, 3 some lines refused (the others imported),\n"+
			"1 the import failed or stopped, 2 a mistake on the command line.\n\nFlags:\n", k.usage, k.about)
		fset.PrintDefaults()
	}
	var files []string
	for {
		if err := fset.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		if fset.NArg() == 0 {
			break
		}
		files, args = append(files, fset.Arg(0)), fset.Args()[1:]
	}
	switch {
	case len(files) != 1:
		fmt.Fprintf(stderr, "%s: give one file (or - for standard input)\n%s\n", k.name, k.usage)
		return nil, exitUsage, false
	case f.batch < 1 || f.batch > 100_000:
		fmt.Fprintf(stderr, "%s: --batch must be 1 to 100000\n", k.name)
		return nil, exitUsage, false
	}
	f.file = files[0]
	return f, exitOK, true
}

// runImport runs an import, and prints what it did.
func runImport(ctx context.Context, k importKind, args []string, stdout, stderr io.Writer) int {
	f, code, ok := parseImport(k, args, stderr)
	if !ok {
		return code
	}
	format, err := importer.FormatOf(f.format, f.file)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", k.name, err)
		return exitUsage
	}
	cfg, err := config.Load(f.config)
	if err == nil {
		override(cfg, "", f.data)
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", k.name, err)
		return exitError
	}
	if k.noun == "accounts" && cfg.Directory.Kind != config.DirectoryEmbedded {
		fmt.Fprintf(stderr, "%s: directory.kind is %q: accounts are imported into the embedded directory only; "+
			"an LDAP directory's accounts are made with its own tools\n", k.name, cfg.Directory.Kind)
		return exitError
	}
	in, closeIn, err := openInput(f.file)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", k.name, err)
		return exitError
	}
	defer closeIn()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	t, err := openImportTargets(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", k.name, err)
		return exitError
	}
	defer t.close()

	rep, err := newImportReport(f.report, k.name, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", k.name, err)
		return exitError
	}
	o := importOptions{
		rules: importer.Rules{DefaultDomain: cfg.Users.DefaultDomain, PhoneRegion: cfg.Users.PhoneRegion,
			PhoneCountries: cfg.Users.PhoneCountries, Now: time.Now()},
		batch: f.batch, dryRun: f.dryRun, reject: rep.reject, progress: progress(k.name, stderr),
	}
	sum, runErr := k.run(ctx, t, in, format, o)
	if err := rep.close(); err != nil && runErr == nil {
		runErr = err
	}
	if rep.shown < sum.Rejected {
		fmt.Fprintf(stderr, "%s: %d more lines refused: %s\n", k.name, sum.Rejected-rep.shown, rep.where())
	}
	var header errHeader
	if errors.As(runErr, &header) {
		fmt.Fprintf(stderr, "%s: %s: %v: nothing imported\n", k.name, f.file, header.error)
		return exitError
	}
	fmt.Fprintln(stdout, summaryLine(k.noun, sum, f.dryRun))
	if !f.dryRun {
		if err := t.audit(ctx, k, sum, runErr); err != nil {
			fmt.Fprintf(stderr, "%s: the run's audit event: %v\n", k.name, err)
			if runErr == nil {
				return exitError
			}
		}
	}
	switch {
	case runErr != nil && ctx.Err() != nil:
		fmt.Fprintf(stderr, "%s: interrupted: the batches written stay written; run it again to finish (it is idempotent)\n", k.name)
		return exitError
	case runErr != nil:
		fmt.Fprintf(stderr, "%s: stopped: %v (the batches written stay written; run it again to finish)\n", k.name, runErr)
		return exitError
	case sum.Rejected > 0:
		return exitRejected
	}
	return exitOK
}

// summaryLine is what a run did, in one line.
func summaryLine(noun string, s importer.Summary, dryRun bool) string {
	line := fmt.Sprintf("%s: %d lines read: %d new, %d updated, %d unchanged, %d refused", noun, s.Read, s.New, s.Updated, s.Unchanged, s.Rejected)
	if noun == "accounts" {
		line += fmt.Sprintf("; %d passwords kept (set by their owners since)", s.PasswordsKept)
	}
	if dryRun {
		line = "dry run, nothing written: " + line
	}
	return line
}

// openInput opens the file, or standard input for "-".
func openInput(path string) (io.Reader, func(), error) {
	if path == "-" {
		return bufio.NewReaderSize(stdin, 256<<10), func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return bufio.NewReaderSize(f, 256<<10), func() { f.Close() }, nil
}

// importStore is the store registrations are imported into, and the run's
// audit recorded in: SQLite or PostgreSQL.
type importStore interface {
	sspr.Auditor
	ImportRegistrations(ctx context.Context, batch []importer.Registration, dryRun bool) ([]importer.Result, error)
}

// importTargets are what an import writes to: the embedded directory (nil
// with an LDAP one), the store, and the ids the run has seen.
type importTargets struct {
	dir    *sqlite.Directory
	store  importStore
	seen   *sqlite.Seen
	closer []func()
}

// openImportTargets opens the configuration's embedded directory (when it
// has one; an accounts import needs it) and store, as the server would.
// The SQLite file must exist already, as for the other tools: an import
// into a file that isn't there is a mistake in --data.
func openImportTargets(ctx context.Context, cfg *config.Config, log *slog.Logger) (*importTargets, error) {
	t := &importTargets{}
	if err := t.open(ctx, cfg, log); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

func (t *importTargets) open(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	var err error
	var db *sqlite.DB
	if cfg.KeepsSQLite() {
		path := cfg.DatabasePath()
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("database: %w (set --data, server.data_dir or database.path; sspr serve makes the file at its first start)", err)
		}
		if db, err = sqlite.Open(ctx, path); err != nil {
			return err
		}
		t.closer = append(t.closer, func() { db.Close() })
	}
	if cfg.Directory.Kind == config.DirectoryEmbedded {
		h := cfg.Hashing
		hasher := secret.NewArgon2(secret.Params{Time: uint32(h.Argon2Time), Memory: uint32(h.Argon2MemoryKiB),
			Threads: uint8(h.Argon2Threads), KeyLen: 32, SaltLen: 16}, h.Concurrency)
		t.dir = sqlite.NewDirectory(db, hasher, cfg.Password.History)
	}
	if cfg.Database.Kind == config.DatabasePostgres {
		pw, err := cfg.Database.Password()
		if err != nil {
			return err
		}
		pc := portal.PostgresConfig(cfg, pw)
		pc.Log = log
		s, err := pgstore.Open(ctx, pc)
		if err != nil {
			return fmt.Errorf("database: %w", err)
		}
		t.store = s
		t.closer = append(t.closer, s.Close)
	} else {
		t.store = sqlite.NewStore(db)
	}
	if t.seen, err = sqlite.OpenSeen(ctx); err != nil {
		return err
	}
	t.closer = append(t.closer, func() { t.seen.Close() })
	return nil
}

func (t *importTargets) close() {
	for i := len(t.closer) - 1; i >= 0; i-- {
		t.closer[i]()
	}
}

// audit records the run's one event: its counts, never a line's content.
func (t *importTargets) audit(ctx context.Context, k importKind, s importer.Summary, runErr error) error {
	ev := sspr.Event{Kind: k.event, Outcome: sspr.OutcomeOK, UserAgent: k.name,
		Detail: fmt.Sprintf("read=%d new=%d updated=%d unchanged=%d rejected=%d", s.Read, s.New, s.Updated, s.Unchanged, s.Rejected)}
	if k.noun == "accounts" {
		ev.Detail += fmt.Sprintf(" passwords_kept=%d", s.PasswordsKept)
	}
	if runErr != nil {
		ev.Outcome = sspr.OutcomeFailed
	}
	// Recorded even when ctx ended (an interrupted run is audited too).
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return t.store.Record(rctx, ev)
}

// importReport takes the refused lines: the first few to standard error,
// all of them to --report's file, as JSON lines.
type importReport struct {
	name   string
	stderr io.Writer
	path   string
	file   *os.File
	buf    *bufio.Writer
	enc    *json.Encoder
	shown  int
}

// newImportReport creates --report's file (mode 0600: it names people),
// replacing one there; none for "".
func newImportReport(path, name string, stderr io.Writer) (*importReport, error) {
	r := &importReport{name: name, stderr: stderr, path: path}
	if path == "" {
		return r, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	r.file, r.buf = f, bufio.NewWriter(f)
	r.enc = json.NewEncoder(r.buf)
	r.enc.SetEscapeHTML(false)
	return r, nil
}

func (r *importReport) reject(rej importer.Rejection) error {
	if r.shown < shownRejections {
		r.shown++
		fmt.Fprintf(r.stderr, "%s: %s\n", r.name, rej)
	}
	if r.enc == nil {
		return nil
	}
	if err := r.enc.Encode(rej); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

// where says where the refused lines not shown are.
func (r *importReport) where() string {
	if r.path == "" {
		return "give --report FILE to have them all"
	}
	return "see " + r.path
}

func (r *importReport) close() error {
	if r.file == nil {
		return nil
	}
	err := errors.Join(r.buf.Flush(), r.file.Close())
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

// progress says how far a long import is, every progressEvery at most.
func progress(name string, stderr io.Writer) func(importer.Summary) {
	last := time.Now()
	return func(s importer.Summary) {
		if time.Since(last) < progressEvery {
			return
		}
		last = time.Now()
		fmt.Fprintf(stderr, "%s: %s lines read so far\n", name, thousands(s.Read))
	}
}

// thousands is n with its thousands apart: 1,000,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
