package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
	"github.com/sspr-portal/sspr/server/ldapdir/ldapspec"
)

// Validate checks every value and returns one error per bad value, each
// naming its key.
func (c *Config) Validate() error {
	v := &validator{}

	// [server]
	if err := checkHostPort(c.Server.Listen); err != nil {
		v.add("server.listen", "%v", err)
	}
	if c.Server.PublicURL != "" {
		if err := checkPublicURL(c.Server.PublicURL, c.Server.AllowRemoteDev); err != nil {
			v.add("server.public_url", "%v", err)
		}
	} else if c.Server.Listen != "" && !IsLoopback(c.Server.Listen) {
		// "http://0.0.0.0:8080" is no address a browser can use, and every
		// Host check would refuse the real one.
		v.add("server.public_url", "must be set when server.listen (%q) is not a loopback address: links and Host checks use it", c.Server.Listen)
	}
	v.nonEmpty("server.data_dir", c.Server.DataDir)
	v.duration("server.drain_period", c.Server.DrainPeriod, 0, 5*time.Minute)
	for i, p := range c.Server.Monitoring {
		if _, err := ParseNetwork(p); err != nil {
			v.add(fmt.Sprintf("server.monitoring[%d]", i), "%q is not a network such as \"10.0.0.0/8\" or an address", p)
		}
	}
	for i, p := range c.Server.TrustedProxies {
		if _, err := ParseNetwork(p); err != nil {
			v.add(fmt.Sprintf("server.trusted_proxies[%d]", i), "%q is not a network such as \"10.0.0.0/8\" or an address", p)
		}
	}

	// [organisation]
	v.nonEmpty("organisation.name", c.Organisation.Name)
	v.nonEmpty("organisation.short_name", c.Organisation.ShortName)
	if l := c.Organisation.Logo; l != "" && (!strings.HasPrefix(l, "/") || strings.HasPrefix(l, "//")) {
		// The Content-Security-Policy allows images from the portal only,
		// and a third-party logo would tell that party who resets.
		v.add("organisation.logo", "must be a path on the portal such as \"/web/logo.svg\", not %q", l)
	}
	v.colour("organisation.theme_colour", c.Organisation.ThemeColour)
	v.colour("organisation.accent_colour", c.Organisation.AccentColour)
	v.optionalURL("organisation.password_help_url", c.Organisation.PasswordHelpURL)

	// [users]
	if d := c.Users.DefaultDomain; d != "" && !domainName.MatchString(d) {
		v.add("users.default_domain", "%q is not a domain name such as \"example.edu\"", d)
	}
	v.nonEmpty("users.id_hint", c.Users.IDHint)
	if r := c.Users.PhoneRegion; !phonenumbers.GetSupportedRegions()[r] {
		v.add("users.phone_region", "%q is not a supported ISO 3166-1 region code such as \"GB\" or \"US\"", r)
	}
	for i, r := range c.Users.PhoneCountries {
		if !phonenumbers.GetSupportedRegions()[r] {
			v.add(fmt.Sprintf("users.phone_countries[%d]", i), "%q is not a supported ISO 3166-1 region code such as \"GB\" or \"US\"", r)
		}
	}

	// [help_desk]
	v.nonEmpty("help_desk.name", c.HelpDesk.Name)
	v.optionalURL("help_desk.ticket_portal", c.HelpDesk.TicketPortal)
	if e := c.HelpDesk.Email; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			v.add("help_desk.email", "%q is not an email address such as \"servicedesk@example.edu\"", e)
		}
	}
	for i, h := range c.HelpDesk.Hours {
		v.nonEmpty(fmt.Sprintf("help_desk.hours[%d]", i), h)
	}

	// [flow]
	v.duration("flow.lifetime", c.Flow.Lifetime, time.Minute, 24*time.Hour)
	v.duration("flow.max_lifetime", c.Flow.MaxLifetime, c.Flow.Lifetime.D(), 24*time.Hour)
	v.duration("audit.retention", c.Audit.Retention, 24*time.Hour, 10*366*24*time.Hour)
	v.duration("staff.session_idle", c.Staff.SessionIdle, time.Minute, time.Hour)
	v.duration("staff.session_max", c.Staff.SessionMax, c.Staff.SessionIdle.Duration, 24*time.Hour)
	v.duration("staff.recovery_pass_lifetime", c.Staff.RecoveryPassLifetime, 5*time.Minute, 72*time.Hour)
	// At least a day: a reminder is a nudge, and one a day is already a
	// lot of email; at most a year.
	v.duration("remind.unregistered_every", c.Remind.UnregisteredEvery, 24*time.Hour, 366*24*time.Hour)
	seen := map[string]bool{}
	for _, l := range c.Languages.Offered {
		switch {
		case !slices.Contains(KnownLanguages, l):
			v.add("languages.offered", "%q is not a language the portal has (it has %s)", l, strings.Join(KnownLanguages, ", "))
		case seen[l]:
			v.add("languages.offered", "%q is listed twice", l)
		}
		seen[l] = true
	}
	for l, tx := range c.Languages.Texts {
		key := "languages.texts." + l
		if !slices.Contains(c.OfferedLanguages(), l) {
			v.add(key, "%q is not a language offered (languages.offered)", l)
		}
		for i, h := range tx.HelpDeskHours {
			if strings.TrimSpace(h) == "" || strings.Contains(h, "\n") {
				v.add(key, "help_desk_hours[%d] must be one line of text", i)
			}
		}
	}
	if c.Directory.Kind != DirectoryEmbedded {
		for _, g := range [...]struct{ key, dn string }{
			{"staff.service_desk_group", c.Staff.ServiceDeskGroup}, {"staff.auditor_group", c.Staff.AuditorGroup},
		} {
			if g.dn == "" {
				continue
			}
			if err := ldapspec.CheckDN(g.dn); err != nil {
				v.add(g.key, "with an LDAP directory, a group's DN such as \"cn=service-desk,ou=groups,dc=example,dc=edu\": %v", err)
			}
		}
	}
	v.methods(c.Flow.Methods, c.Flow.RequiredMethods)
	if slices.Contains(c.Flow.Methods, MethodPasskey) {
		// A passkey is bound to a host name, the relying party id.
		if h := c.PublicURL().Hostname(); net.ParseIP(h) != nil {
			v.add("flow.methods", "\"passkey\" needs server.public_url with a host name, not the address %s: browsers refuse passkeys for an IP address (in development, http://localhost:8080)", h)
		}
	}
	v.policies(c)
	v.between("flow.questions_asked", c.Flow.QuestionsAsked, 1, 10)
	v.duration("flow.questions_redraw", c.Flow.QuestionsRedraw, time.Hour, 365*24*time.Hour)
	v.duration("flow.decoy_refresh", c.Flow.DecoyRefresh, time.Minute, 7*24*time.Hour)

	// [codes]
	v.between("codes.digits", c.Codes.Digits, 6, 10)
	v.duration("codes.lifetime", c.Codes.Lifetime, time.Minute, time.Hour)
	v.between("codes.max_tries", c.Codes.MaxTries, 1, 20)
	v.duration("codes.email_cooldown", c.Codes.EmailCooldown, 0, time.Hour)
	v.duration("codes.sms_cooldown", c.Codes.SMSCooldown, 0, time.Hour)
	v.between("codes.max_sends_per_hour", c.Codes.MaxSendsPerHour, 1, 100)

	// [throttle]
	t := c.Throttle
	v.between("throttle.account_failures", t.AccountFailures, 1, 1000)
	v.duration("throttle.account_failures_window", t.AccountFailuresWindow, time.Minute, 30*24*time.Hour)
	v.between("throttle.account_identity_failures", t.AccountIdentityFailures, 1, 1000)
	v.duration("throttle.account_identity_window", t.AccountIdentityWindow, time.Minute, 30*24*time.Hour)
	v.duration("throttle.account_block", t.AccountBlock, time.Minute, 30*24*time.Hour)
	v.between("throttle.account_starts", t.AccountStarts, 1, 10000)
	v.duration("throttle.account_starts_window", t.AccountStartsWindow, time.Minute, 30*24*time.Hour)
	v.between("throttle.address_starts", t.AddressStarts, 1, 10_000_000)
	v.duration("throttle.address_starts_window", t.AddressStartsWindow, time.Second, 24*time.Hour)
	v.between("throttle.address_failures", t.AddressFailures, 1, 10_000_000)
	v.duration("throttle.address_failures_window", t.AddressFailuresWindow, time.Second, 24*time.Hour)
	v.between("throttle.address_captchas", t.AddressCaptchas, 1, 10_000_000)
	v.duration("throttle.address_captchas_window", t.AddressCaptchasWindow, time.Second, 24*time.Hour)

	v.between("throttle.signin_failures", t.SignInFailures, 1, 1000)
	v.duration("throttle.signin_failures_window", t.SignInFailuresWindow, time.Minute, 30*24*time.Hour)
	// NIST SP 800-63B-4 §3.2.2: no more than 100 consecutive failures.
	v.between("throttle.account_consecutive_failures", t.AccountConsecutiveFailures, 1, 100)
	v.between("throttle.ipv6_prefix", t.IPv6Prefix, 32, 128)
	v.between("throttle.sms_per_country", t.SMSPerCountry, 0, 10_000_000)

	// [registration]
	r := c.Registration
	v.duration("registration.session_idle", r.SessionIdle, time.Minute, 24*time.Hour)
	v.duration("registration.session_max", r.SessionMax, r.SessionIdle.D(), 7*24*time.Hour)
	v.duration("registration.reauth_after", r.ReauthAfter, 0, r.SessionMax.D())
	v.between("registration.questions_count", r.QuestionsCount, c.Flow.QuestionsAsked, 10)
	v.duration("registration.reconfirm_after", r.ReconfirmAfter, 0, 10*365*24*time.Hour)

	// [captcha]
	v.between("captcha.length", c.Captcha.Length, CaptchaMinLength, CaptchaMaxLength)
	v.duration("captcha.lifetime", c.Captcha.Lifetime, 30*time.Second, time.Hour)
	v.duration("captcha.max_lifetime", c.Captcha.MaxLifetime, c.Captcha.Lifetime.D(), 24*time.Hour)

	// [password]
	p := c.Password
	// NIST SP 800-63B-4: at least 8 characters, and a maximum of at least 64.
	v.between("password.min_length", p.MinLength, 8, 256)
	v.between("password.max_length", p.MaxLength, 64, 4096)
	if p.MaxLength < p.MinLength {
		v.add("password.max_length", "must not be less than password.min_length (%d)", p.MinLength)
	}
	// Five kinds: lower, upper, digits, symbols, and letters without case.
	v.between("password.min_classes", p.MinClasses, 0, 5)
	for i, w := range p.BannedWords {
		v.nonEmpty(fmt.Sprintf("password.banned_words[%d]", i), strings.TrimSpace(w))
	}
	v.between("password.history", p.History, 0, 100)

	// [session]
	if !cookieName.MatchString(c.Session.CookieName) {
		v.add("session.cookie_name", "%q must be letters, digits, '_' or '-'", c.Session.CookieName)
	}

	c.validateDatabase(v)
	c.validateState(v)
	c.validateDirectory(v)
	c.validateDelivery(v)

	// [hashing]
	h := c.Hashing
	v.between("hashing.argon2_memory_kib", h.Argon2MemoryKiB, 1024, 4<<20)
	v.between("hashing.argon2_time", h.Argon2Time, 1, 100)
	v.between("hashing.argon2_threads", h.Argon2Threads, 1, 255)
	v.between("hashing.concurrency", h.Concurrency, 0, 1024)

	// [log]
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")

	// [metrics]
	c.validateMetrics(v)
	// [probe]
	c.validateProbe(v)

	return v.err()
}

// ParseNetwork parses a trusted-proxy entry: a CIDR such as "10.0.0.0/8",
// or a single address, which stands for itself alone.
func ParseNetwork(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// TrustedProxies returns server.trusted_proxies parsed. Validate has
// checked them; an entry that still fails to parse is left out.
func (c *Config) TrustedProxies() []netip.Prefix { return networks(c.Server.TrustedProxies) }

// Monitoring is server.monitoring as networks: who may read /readyz's
// details, besides loopback.
func (c *Config) Monitoring() []netip.Prefix { return networks(c.Server.Monitoring) }

// networks parses a list Validate has checked.
func networks(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := ParseNetwork(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

var (
	colour     = regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	domainName = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	cookieName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

func checkPublicURL(s string, remoteDev bool) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL such as \"https://password.example.edu\"", s)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must start with https:// (or http:// on a loopback address)", s)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host", s)
	case u.Scheme == "http" && !IsLoopback(net.JoinHostPort(u.Hostname(), "0")) && !remoteDev:
		// Passwords, codes and cookies would cross the network in the
		// clear, and browsers refuse Secure cookies and service workers
		// on it. Behind a proxy that ends TLS, the public address is still
		// the proxy's https:// one. A development server others may reach
		// (allow_remote_dev, never in production) may do without.
		return fmt.Errorf("%q must start with https://: http:// is for a loopback address only", s)
	case u.User != nil:
		return fmt.Errorf("%q must not hold a user name or password", s)
	case u.Path != "" && u.Path != "/":
		// The portal's pages, API and service worker all live at the root.
		return fmt.Errorf("%q must not have a path: the portal is served at the root of its host", s)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Errorf("%q must not have a query or a fragment", s)
	}
	return nil
}

// validator collects errors, each naming its key.
type validator struct{ errs []error }

func (v *validator) add(key, format string, a ...any) {
	v.errs = append(v.errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, a...)))
}

func (v *validator) err() error { return errors.Join(v.errs...) }

func (v *validator) nonEmpty(key, s string) {
	if strings.TrimSpace(s) == "" {
		v.add(key, "must not be empty")
	}
}

func (v *validator) between(key string, n, lo, hi int) {
	if n < lo || n > hi {
		v.add(key, "must be %s, not %d", rangeText(lo, hi), n)
	}
}

// rangeText says "1, 2 or 3" for a short range and "from 8 to 256" for a
// long one.
func rangeText(lo, hi int) string {
	if hi < lo {
		return "impossible (no value fits)"
	}
	if hi-lo > 3 {
		return fmt.Sprintf("from %d to %d", lo, hi)
	}
	var s []string
	for i := lo; i <= hi; i++ {
		s = append(s, strconv.Itoa(i))
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func (v *validator) duration(key string, d Duration, lo, hi time.Duration) {
	if d.Duration < lo || d.Duration > hi {
		v.add(key, "must be from %s to %s, not %s", Duration{lo}, Duration{hi}, d)
	}
}

func (v *validator) colour(key, s string) {
	if !colour.MatchString(s) {
		v.add(key, "%q is not a colour such as \"#1d3f72\"", s)
	}
}

func (v *validator) optionalURL(key, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add(key, "%q is not a web address such as \"https://help.example.edu/\"", s)
	}
}

func (v *validator) oneOf(key, s string, allowed ...string) {
	if !slices.Contains(allowed, s) {
		v.add(key, "%q must be %s", s, quotedList(allowed))
	}
}

func quotedList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = strconv.Quote(x)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// policies checks each [[policy]]: a group named once, methods of
// flow.methods, a number required that they can meet, as many strong ones
// as it asks for, and the rule that SMS and questions are never enough
// alone.
func (v *validator) policies(c *Config) {
	groups := map[string]bool{}
	for i, p := range c.Policies {
		key := fmt.Sprintf("policy[%d]", i+1)
		if p.Group == "" {
			v.add(key+".group", "must name the directory group the policy is for")
		} else if groups[p.Group] {
			v.add(key+".group", "%q has a policy already: the first would always apply", p.Group)
		}
		groups[p.Group] = true
		if c.Directory.Kind != DirectoryEmbedded && p.Group != "" {
			if err := ldapspec.CheckDN(p.Group); err != nil {
				v.add(key+".group", "with an LDAP directory, a group's DN such as \"cn=staff-admins,ou=groups,dc=example,dc=edu\": %v", err)
			}
		}
		r := p.Resolved(c.Flow)
		methods, required, strong := r.Methods, r.RequiredMethods, r.StrongMethods
		for _, m := range methods {
			if !slices.Contains(c.Flow.Methods, m) {
				v.add(key+".methods", "%q is not one of flow.methods, %s", m, quotedList(c.Flow.Methods))
			}
		}
		strongOffered := 0
		for _, m := range methods {
			if slices.Contains(strong, m) {
				strongOffered++
			}
		}
		switch {
		case len(methods) == 0 || required < 1 || required > len(methods):
			v.add(key+".required_methods", "must be %s (its methods list %d), not %d", rangeText(1, max(len(methods), 1)), len(methods), required)
		case p.StrongRequired < 0 || p.StrongRequired > required:
			v.add(key+".strong_required", "must be %s", rangeText(0, required))
		case p.StrongRequired > strongOffered:
			v.add(key+".strong_required", "asks for %d strong methods, and its methods offer %d of strong_methods %s",
				p.StrongRequired, strongOffered, quotedList(strong))
		case required == 1 && p.StrongRequired == 0 && (slices.Contains(methods, MethodSMS) || slices.Contains(methods, MethodQuestions)):
			v.add(key+".required_methods", "1 method is only allowed when SMS and security questions aren't offered, or the one must be strong (NIST SP 800-63B-4)")
		}
	}
}

// methods checks flow.methods and flow.required_methods together.
func (v *validator) methods(methods []string, required int) {
	known := []string{MethodEmail, MethodSMS, MethodQuestions, MethodTOTP, MethodPasskey}
	seen := map[string]bool{}
	ok := len(methods) > 0
	if len(methods) == 0 {
		v.add("flow.methods", "must name at least one of %s", quotedList(known))
	}
	for _, m := range methods {
		switch {
		case !slices.Contains(known, m):
			v.add("flow.methods", "%q is not a method: use %s", m, quotedList(known))
			ok = false
		case seen[m]:
			v.add("flow.methods", "%q is listed twice", m)
			ok = false
		}
		seen[m] = true
	}
	if !ok {
		if required < 1 || required > len(known) {
			v.add("flow.required_methods", "must be %s", rangeText(1, len(known)))
		}
		return
	}
	if required < 1 || required > len(methods) {
		v.add("flow.required_methods", "must be %s (flow.methods lists %d), not %d", rangeText(1, len(methods)), len(methods), required)
		return
	}
	// docs/SECURITY.md#questions and #sms: security questions are never
	// enough alone, and SMS is a restricted authenticator that is never the
	// only way.
	if required == 1 && (seen[MethodSMS] || seen[MethodQuestions]) {
		v.add("flow.required_methods", "1 method is only allowed when flow.methods lists only \"email\" and \"totp\": SMS and security questions are never enough alone (NIST SP 800-63B-4)")
	}
}
