// Command sspr is the self-service password reset portal's server.
//
//	sspr serve [--config FILE] [--listen ADDR] [--data DIR] [--dev] [--dev-captcha-answer TEXT] [--dev-allow-remote]
//	sspr keygen [--config FILE] [--data DIR] [--out FILE]
//	sspr send-test [--config FILE] --to ADDRESS|NUMBER [--channel email|sms]
//	sspr check-directory [--config FILE] --user ID
//	sspr audit [--config FILE] [--data DIR] [--user ID] [--flow REF] [--kind KINDS] [--since T] [--until T] [--limit N] [--json]
//	sspr report coverage [--config FILE] [--data DIR] [--csv]
//	sspr remind unregistered [--config FILE] [--data DIR] [--dry-run]
//	sspr remind expiring [--within 14d] [--thresholds 14,7,1] [--config FILE] [--data DIR] [--dry-run]
//	sspr accounts import [--config FILE] [--data DIR] [--format csv|jsonl] [--dry-run] [--report FILE] FILE|-
//	sspr registrations import [--config FILE] [--data DIR] [--format csv|jsonl] [--dry-run] [--report FILE] FILE|-
//	sspr version
//	sspr help
//
// main only wires: the configuration (server/config), the keys
// (server/keys), a logger, and the portal (server/portal), served by an
// http.Server with every timeout set and a graceful shutdown.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/keys"
	"github.com/sspr-portal/sspr/server/logctx"
	"github.com/sspr-portal/sspr/server/portal"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

// The server's limits (docs/SECURITY.md#http-timeouts). ReadHeaderTimeout
// and ReadTimeout close slow clients (slowloris); WriteTimeout is long
// enough for app.wasm over a slow link.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	shutdownTimeout   = 10 * time.Second
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // a configuration, key or runtime error
	exitUsage = 2 // a command-line error
)

// main runs the command until it ends or is interrupted. `sspr serve`
// handles SIGTERM and SIGHUP itself (serve); for the other commands
// SIGTERM ends them as it ends any program.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `sspr: self-service password reset portal

Usage:
  sspr serve [flags]    run the portal
  sspr keygen [flags]   create the key file a production server needs
  sspr send-test --to ADDRESS|NUMBER [flags]
                        send a test email or text now, to check [email] or [sms]
  sspr check-directory --user ID [flags]
                        look a user up in the directory, to check [directory]
  sspr audit [--user ID] [--since 24h] [--json] [flags]
                        print the audit timeline: every step of every flow
  sspr report coverage [--csv] [flags]
                        how many accounts could reset their password today, by OU
  sspr remind unregistered [--dry-run] [flags]
                        email a link to register to those who can't reset yet
  sspr remind expiring [--within 14d] [--thresholds 14,7,1] [--dry-run] [flags]
                        email a link to change it to those whose password expires soon
  sspr probe --phone NUMBER [--json] [flags]
                        reset the [probe] canary's password end to end: a synthetic check
  sspr accounts import [--dry-run] [--report FILE] FILE|-
                        add or update the embedded directory's accounts from CSV or JSON lines
  sspr registrations import [--dry-run] [--report FILE] FILE|-
                        register people's alternate email and mobile, confirmed by the organisation
  sspr version          print the version
  sspr help             print this help

Run "sspr serve -h" or "sspr keygen -h" for their flags.

Start a development server (demo accounts, codes shown at /dev/outbox):
  sspr serve --dev --listen 127.0.0.1:8080 --data data/dev
`

// run is the whole program, minus the process: main_test.go runs it in
// process. It returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "keygen":
		return keygen(args[1:], stdout, stderr)
	case "send-test":
		return sendTest(ctx, args[1:], stdout, stderr)
	case "check-directory":
		return checkDirectory(ctx, args[1:], stdout, stderr)
	case "audit":
		return audit(ctx, args[1:], stdout, stderr, time.Now)
	case "report":
		return report(ctx, args[1:], stdout, stderr)
	case "remind":
		return remind(ctx, args[1:], stdout, stderr)
	case "probe":
		return probe(ctx, args[1:], stdout, stderr)
	case "accounts":
		return accountsCmd(ctx, args[1:], stdout, stderr)
	case "registrations":
		return registrationsCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "sspr %s\n", buildVersion())
		return exitOK
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "sspr: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

// parseFlags parses a command's flags. When the command should not go on
// it reports false and the exit code: 0 after -h (the flag package printed
// the usage), 2 for a flag it doesn't know or an argument none of the
// commands take.
func parseFlags(fset *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fset.Name(), fset.Arg(0))
		return exitUsage, false
	}
	return exitOK, true
}

// subcommand runs a command's one subcommand, name (`sspr report
// coverage`), with the arguments after it; anything else prints usage:
// exit 0 when help was asked for, 2 otherwise.
func subcommand(args []string, name, usage string, stderr io.Writer, run func([]string) int) int {
	if len(args) > 0 && args[0] == name {
		return run(args[1:])
	}
	fmt.Fprintln(stderr, usage)
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		return exitOK
	}
	return exitUsage
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildVersion is the version set by the linker, or the module's version
// and VCS revision, or "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if len(s.Value) > 12 {
				s.Value = s.Value[:12]
			}
			v += "+" + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += "-dirty"
			}
		}
	}
	return v
}

// serveFlags are the flags of "sspr serve".
type serveFlags struct {
	config         string
	listen         string
	data           string
	dev            bool
	devCaptcha     string
	devAllowRemote bool
}

func parseServe(args []string, stderr io.Writer) (*serveFlags, int, bool) {
	f := &serveFlags{}
	set := flag.NewFlagSet("sspr serve", flag.ContinueOnError)
	set.SetOutput(stderr)
	set.StringVar(&f.config, "config", "", "the configuration `file` (TOML; see sspr.example.toml); none: the defaults")
	set.StringVar(&f.listen, "listen", "", "listen on this `address`, instead of server.listen")
	set.StringVar(&f.data, "data", "", "keep state in this `folder`, instead of server.data_dir")
	set.BoolVar(&f.dev, "dev", false, "development mode: demo accounts, a dev outbox instead of email and SMS, keys created on first run")
	set.StringVar(&f.devCaptcha, "dev-captcha-answer", "", "with --dev: every CAPTCHA accepts this `answer` (for scripted tests)")
	set.BoolVar(&f.devAllowRemote, "dev-allow-remote", false, "with --dev and server.allow_remote_dev = true: allow a non-loopback address")
	set.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sspr serve [flags]\n\nFlags:\n")
		set.PrintDefaults()
	}
	if code, ok := parseFlags(set, args, stderr); !ok {
		return nil, code, false
	}
	if f.devCaptcha != "" && !f.dev {
		fmt.Fprintln(stderr, "sspr serve: --dev-captcha-answer needs --dev: a fixed CAPTCHA answer is for development only")
		return nil, exitUsage, false
	}
	if f.devAllowRemote && !f.dev {
		fmt.Fprintln(stderr, "sspr serve: --dev-allow-remote needs --dev")
		return nil, exitUsage, false
	}
	return f, exitOK, true
}

// serve runs the portal until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, args []string, stderr io.Writer) int {
	f, code, ok := parseServe(args, stderr)
	if !ok {
		return code
	}

	cfg, err := config.Load(f.config)
	if err != nil {
		fmt.Fprintf(stderr, "sspr serve: %v\n", err)
		return exitError
	}
	override(cfg, f.listen, f.data)

	// Dev mode shows every code to whoever asks and seeds known passwords:
	// on an address others can reach it must be asked for twice.
	remoteDevAllowed := cfg.Server.AllowRemoteDev && f.devAllowRemote
	if f.dev && !config.IsLoopback(cfg.Server.Listen) && !remoteDevAllowed {
		fmt.Fprintf(stderr, "sspr serve: --dev refuses the non-loopback address %s: dev mode shows every code "+
			"and seeds known passwords. To allow it anyway, set server.allow_remote_dev = true in the "+
			"configuration AND pass --dev-allow-remote.\n", cfg.Server.Listen)
		return exitUsage
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "sspr serve: %v\n", err)
		return exitError
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "sspr serve: %v\n", err)
		return exitError
	}
	if f.dev && !config.IsLoopback(cfg.Server.Listen) {
		log.Warn("dev mode on a non-loopback address, as configured and asked", "listen", cfg.Server.Listen)
	}

	var k *keys.Keys
	if f.dev {
		var created bool
		k, created, err = keys.LoadOrCreate(cfg.KeysFile())
		if created {
			log.Info("created new keys", "file", cfg.KeysFile())
		}
	} else {
		k, err = keys.Load(cfg.KeysFile())
	}
	if err != nil {
		fmt.Fprintf(stderr, "sspr serve: %v\n", err)
		return exitError
	}
	// Outside dev mode the dev outbox would swallow every code.
	if err := cfg.CheckDeliveryForServe(f.dev); err != nil {
		fmt.Fprintf(stderr, "sspr serve: %v\n", err)
		return exitError
	}

	// Listen before building the portal, so that --listen 127.0.0.1:0
	// works: the portal is given the real address to check Host against.
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "sspr serve: %v\n", err)
		return exitError
	}
	defer ln.Close()
	if f.dev && !remoteDevAllowed && !isLoopbackAddr(ln.Addr()) {
		// "localhost" resolved to something else: refuse all the same.
		fmt.Fprintf(stderr, "sspr serve: --dev refuses %s: not a loopback address\n", ln.Addr())
		return exitUsage
	}
	if _, port, _ := net.SplitHostPort(cfg.Server.Listen); port == "0" {
		// The port was the system's choice: links and Host checks (when
		// server.public_url is empty) must name the one it chose.
		cfg.Server.Listen = ln.Addr().String()
	}

	if f.dev {
		log.Warn("DEVELOPMENT MODE: demo accounts and passwords, every code shown at /dev/outbox; never use it for real accounts")
	}
	p, err := portal.New(ctx, portal.Options{
		Config:           cfg,
		Keys:             k,
		Dev:              f.dev,
		DevCaptchaAnswer: f.devCaptcha,
		Version:          buildVersion(),
		Log:              log,
	})
	if err != nil {
		log.Error("starting the portal failed", "err", err)
		fmt.Fprintf(stderr, "sspr serve: %v\n", err)
		return exitError
	}
	// The metrics ([metrics] listen) on a listener of their own, which the
	// public never reaches; it closes when serve returns.
	if h := p.MetricsHandler(); h != nil {
		mln, err := net.Listen("tcp", p.MetricsListen())
		if err != nil {
			_ = p.Close(context.WithoutCancel(ctx))
			fmt.Fprintf(stderr, "sspr serve: metrics.listen: %v\n", err)
			return exitError
		}
		defer mln.Close()
		go func() { _ = newServer(ctx, h, log).Serve(mln) }()
		log.Info("metrics listening", "addr", mln.Addr().String(), "path", portal.MetricsPath)
	}

	// SIGTERM drains, then stops; SIGHUP is only logged: the logs go to
	// standard error (systemd's journal, a container's log), so there is
	// nothing to reopen, and the configuration is read at start only.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				log.Info("SIGHUP ignored: the logs go to standard error, with nothing to reopen; restart to read the configuration again")
			case <-ctx.Done():
				return
			}
		}
	}()
	stopping := stopSignals{term: term, drain: cfg.Server.DrainPeriod.D()}
	code = serveUntilDone(ctx, ln, p.Handler(), log, shutdownTimeout, stopping,
		"addr", ln.Addr().String(), "url", cfg.PublicURL().String(), "version", buildVersion(), "dev", f.dev)

	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := p.Close(cctx); err != nil {
		log.Error("closing the portal failed", "err", err)
		code = exitError
	}
	log.Info("stopped")
	return code
}

// newServer returns the http.Server for h, with every limit set.
func newServer(ctx context.Context, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Requests keep running through a shutdown: they are finished, not
		// cancelled.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// stopSignals say when serveUntilDone drains: a value on term (SIGTERM)
// makes /readyz answer 503 and keeps serving for drain, then stops.
type stopSignals struct {
	term  <-chan os.Signal
	drain time.Duration
}

// serveUntilDone serves h on ln, logs "listening" with attrs, and stops
// when ctx ends (at once) or a signal comes on stop.term (after draining
// for stop.drain, or until ctx ends): it stops accepting, lets the
// requests in flight finish (for at most grace) and returns. It returns
// exitError if serving failed.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, grace time.Duration, stop stopSignals, attrs ...any) int {
	var draining atomic.Bool
	srv := newServer(ctx, drainable(h, &draining), log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", attrs...)

	code := exitOK
	select {
	case err := <-served:
		// Serve only returns early on a failure.
		log.Error("serving failed", "err", err)
		code = exitError
	case <-ctx.Done():
		log.Info("shutting down", "grace", grace.String())
	case sig := <-stop.term:
		draining.Store(true)
		log.Info("draining: /readyz answers 503, requests are still served", "signal", sig.String(), "for", stop.drain.String())
		select {
		case <-time.After(stop.drain):
		case <-ctx.Done():
		case err := <-served:
			log.Error("serving failed", "err", err)
			code = exitError
		}
		log.Info("shutting down", "grace", grace.String())
	}

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still running at the end of the grace time: closing them", "err", err)
		_ = srv.Close()
	}
	return code
}

// drainable is h, except that once draining is set /readyz answers 503
// "draining" (a load balancer then stops sending new requests) and every
// answer closes its connection (so that kept-alive clients open their
// next one elsewhere).
func drainable(h http.Handler, draining *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !draining.Load() {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Connection", "close")
		if r.URL.Path == api.PathReadyz {
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(api.Health{Status: "draining"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// override applies the command line's --listen and --data.
func override(cfg *config.Config, listen, data string) {
	if listen != "" {
		cfg.Server.Listen = listen
	}
	if data != "" {
		cfg.Server.DataDir = data
	}
}

func isLoopbackAddr(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

// newLogger builds the slog logger [log] asks for, writing to w.
func newLogger(c config.Log, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("config: log.level: %w", err)
	}
	o := &slog.HandlerOptions{Level: level, ReplaceAttr: logctx.ReplaceAttr}
	switch c.Format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, o)), nil
	}
	return nil, fmt.Errorf("config: log.format: %q must be \"text\" or \"json\"", c.Format)
}

// keygen creates the key file, refusing to replace one.
func keygen(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("sspr keygen", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "the configuration `file`: the key file goes to session.keys_file (default data_dir/keys.json)")
	data := fset.String("data", "", "the data `folder`, instead of server.data_dir")
	out := fset.String("out", "", "write the keys to this `file` instead")
	stage := fset.Bool("stage", false, "rotation, step 1: add a new set of keys the servers accept but don't use yet")
	promote := fset.Bool("promote", false, "rotation, step 2: use the staged set; keep accepting the old one")
	retire := fset.Bool("retire", false, "rotation, step 3: stop accepting the old set")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sspr keygen [flags]\n\nCreates a new key file (mode 0600). It never replaces one: new keys sign\nevery user out and void every code in flight.\n\n"+
			"With --stage, --promote or --retire it takes the existing file one step\nthrough a rotation that signs nobody out: after each step, copy the file to\nevery server and restart them one by one (docs/OPERATIONS.md).\n\nFlags:\n")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args, stderr); !ok {
		return code
	}
	path := *out
	if path == "" {
		cfg, err := config.Load(*cfgPath)
		if err == nil {
			override(cfg, "", *data)
			err = cfg.Validate()
		}
		if err != nil {
			fmt.Fprintf(stderr, "sspr keygen: %v\n", err)
			return exitError
		}
		path = cfg.KeysFile()
	}
	var step func(*keys.Keys) error
	var next string
	switch {
	case btoi(*stage)+btoi(*promote)+btoi(*retire) > 1:
		fmt.Fprintln(stderr, "sspr keygen: one of --stage, --promote and --retire at a time")
		return exitUsage
	case *stage:
		step, next = (*keys.Keys).Stage, "next: copy it to every server, restart them one by one, then run sspr keygen --promote"
	case *promote:
		step, next = (*keys.Keys).Promote, "next: copy it to every server, restart them one by one, and a day later run sspr keygen --retire"
	case *retire:
		step, next = (*keys.Keys).Retire, "next: copy it to every server and restart them one by one: the rotation is over"
	}
	if step != nil {
		if _, err := keys.Rewrite(path, step); err != nil {
			fmt.Fprintf(stderr, "sspr keygen: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stdout, "updated %s\n%s\n", strings.TrimSpace(path), next)
		return exitOK
	}
	if _, err := keys.Create(path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			fmt.Fprintf(stderr, "sspr keygen: %s already exists; not replacing it (new keys sign every user out)\n", path)
			return exitError
		}
		fmt.Fprintf(stderr, "sspr keygen: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "created %s\n", strings.TrimSpace(path))
	return exitOK
}
