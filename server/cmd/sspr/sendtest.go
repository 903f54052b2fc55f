package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/config"
	"github.com/sspr-portal/sspr/server/notify"
	"github.com/sspr-portal/sspr/server/portal"
)

// sendTest sends one test message now, through the real sender that the
// configuration names (no queue, no retry), and prints the sender's answer:
// the way for an operator to check [email] and [sms] before going live.
// Secrets are read as the server reads them and never printed.
func sendTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("sspr send-test", flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "the configuration `file` whose [email] or [sms] to test")
	to := fset.String("to", "", "the email `address` or mobile number to send to")
	channel := fset.String("channel", "", "\"email\" or \"sms\"; empty: email when --to has an @, else sms")
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sspr send-test --config FILE --to ADDRESS|NUMBER [--channel email|sms]\n\n"+
			"Sends one test message now, without the queue, and prints what the mail server or SMS\ngateway answered.\n\nFlags:\n")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args, stderr); !ok {
		return code
	}
	if strings.TrimSpace(*to) == "" {
		fmt.Fprintln(stderr, "sspr send-test: --to is required: an email address, or a mobile number such as +447700900123")
		return exitUsage
	}
	ch := notify.Channel(*channel)
	switch {
	case ch == "" && strings.Contains(*to, "@"):
		ch = notify.Email
	case ch == "":
		// "07700 900123" as much as "+447700900123": a number as people
		// write it, which users.phone_region completes.
		ch = notify.SMS
	case ch != notify.Email && ch != notify.SMS:
		fmt.Fprintf(stderr, "sspr send-test: --channel %q: use \"email\" or \"sms\"\n", *channel)
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "sspr send-test: %v\n", err)
		return exitError
	}
	addr := strings.TrimSpace(*to)
	via := ""
	if ch == notify.SMS {
		if addr, err = canon.Phone(addr, cfg.Users.PhoneRegion); err != nil {
			fmt.Fprintf(stderr, "sspr send-test: %q is not a mobile number: %v\n", *to, err)
			return exitUsage
		}
		via = cfg.SMS.URL
	} else {
		via = net.JoinHostPort(cfg.Email.Host, strconv.Itoa(cfg.Email.SMTPPort())) + " (" + cfg.Email.Security + ")"
	}
	timeout := cfg.Email.Timeout.D()
	if ch == notify.SMS {
		timeout = cfg.SMS.Timeout.D()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	start := time.Now()
	if err := portal.SendTest(ctx, cfg, ch, addr); err != nil {
		fmt.Fprintf(stderr, "sspr send-test: the %s to %s failed: %v\n", what(ch), addr, err)
		return exitError
	}
	fmt.Fprintf(stdout, "sent a test %s to %s through %s in %v\n", what(ch), addr, via, time.Since(start).Round(time.Millisecond))
	return exitOK
}

func what(ch notify.Channel) string {
	if ch == notify.SMS {
		return "text message"
	}
	return "email"
}
