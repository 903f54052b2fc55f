// Package config reads the portal's configuration file (TOML) and checks
// every value in it.
//
// Load starts from Default, lays the file over it, refuses any key it does
// not know (a misspelt security setting must never be silently ignored) and
// then validates every value. Each error names the key, such as
// `config: flow.required_methods: must be 1, 2 or 3`, so that an operator
// can fix the file without reading the source. sspr.example.toml at the
// root of the repository lists every key with its default and why it is
// what it is; a test keeps it equal to Default.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration file, one field per [section].
type Config struct {
	Server       Server       `toml:"server"`
	Organisation Organisation `toml:"organisation"`
	Users        Users        `toml:"users"`
	HelpDesk     HelpDesk     `toml:"help_desk"`
	Flow         Flow         `toml:"flow"`
	Policies     []Policy     `toml:"policy"`
	Registration Registration `toml:"registration"`
	Codes        Codes        `toml:"codes"`
	Throttle     Throttle     `toml:"throttle"`
	Captcha      Captcha      `toml:"captcha"`
	Password     Password     `toml:"password"`
	Session      Session      `toml:"session"`
	Database     Database     `toml:"database"`
	State        State        `toml:"state"`
	Directory    Directory    `toml:"directory"`
	Email        Email        `toml:"email"`
	SMS          SMS          `toml:"sms"`
	Delivery     Delivery     `toml:"delivery"`
	Hashing      Hashing      `toml:"hashing"`
	Log          Log          `toml:"log"`
	Metrics      Metrics      `toml:"metrics"`
	Probe        Probe        `toml:"probe"`
	Audit        Audit        `toml:"audit"`
	Staff        Staff        `toml:"staff"`
	Remind       Remind       `toml:"remind"`
	Languages    Languages    `toml:"languages"`
}

// KnownLanguages are the languages the portal has catalogues for
// (static/i18n; server/locale loads them), in the order the language
// switch lists them: English first, the source.
var KnownLanguages = []string{"en", "cy", "ar", "zh-Hans"}

// Languages is [languages]: the languages of the pages and messages.
type Languages struct {
	// Offered lists the languages offered, by tag: "en", "cy" (Welsh),
	// "ar" (Arabic) and "zh-Hans" (Simplified Chinese). The first is the
	// default, for a browser that asks for none of them. Empty: all four,
	// English first.
	Offered []string `toml:"offered"`
	// Texts are the organisation's own words in a language other than the
	// one the rest of this file is written in, by language tag
	// ([languages.texts.cy]): what is left out stays as written above.
	Texts map[string]Texts `toml:"texts"`
}

// OfferedLanguages is languages.offered, or every language the portal
// has when it is empty.
func (c *Config) OfferedLanguages() []string {
	if len(c.Languages.Offered) == 0 {
		return KnownLanguages
	}
	return c.Languages.Offered
}

// Texts are the words of the configuration a person reads on the pages,
// in one language.
type Texts struct {
	OrganisationName string   `toml:"organisation_name"`
	UserIDHint       string   `toml:"user_id_hint"`
	HelpDeskName     string   `toml:"help_desk_name"`
	HelpDeskInPerson string   `toml:"help_desk_in_person"`
	HelpDeskHours    []string `toml:"help_desk_hours"`
}

// Catalogue is t as catalogue keys (the pages' "site." words): the keys
// the pages read in place of the configuration's own words.
func (t Texts) Catalogue() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{
		"site.organisation_name": t.OrganisationName, "site.user_id_hint": t.UserIDHint,
		"site.help_desk_name": t.HelpDeskName, "site.help_desk_in_person": t.HelpDeskInPerson,
		"site.help_desk_hours": strings.Join(t.HelpDeskHours, "\n"),
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// Server is [server]: where the portal listens and where it keeps its files.
type Server struct {
	// Listen is the TCP address to listen on, host:port.
	Listen string `toml:"listen"`
	// PublicURL is the address users reach the portal at, such as
	// "https://password.example.edu". Every link and every Host check uses
	// it, never the request's Host (docs/SECURITY.md#public-url). Empty
	// means "http://" + Listen, which only suits a loopback address.
	PublicURL string `toml:"public_url"`
	// DataDir holds the keys, the SQLite database and other state.
	DataDir string `toml:"data_dir"`
	// WebDir holds app.wasm and the other files served under /web/. Empty
	// means the folder "web" next to the executable.
	WebDir string `toml:"web_dir"`
	// TrustedProxies are the networks (CIDRs, or single addresses) whose
	// X-Forwarded-For and X-Forwarded-Proto are believed.
	TrustedProxies []string `toml:"trusted_proxies"`
	// AllowRemoteDev lets --dev listen on a non-loopback address, together
	// with the flag --dev-allow-remote.
	AllowRemoteDev bool `toml:"allow_remote_dev"`
	// Monitoring are the networks (CIDRs, or single addresses) that may
	// read /readyz's per-backend details; loopback always may. Anyone else
	// gets the status alone.
	Monitoring []string `toml:"monitoring"`
	// DrainPeriod is how long `sspr serve` keeps serving after SIGTERM,
	// with /readyz answering 503, so that a load balancer stops sending it
	// new requests before it stops.
	DrainPeriod Duration `toml:"drain_period"`
}

// Organisation is [organisation]: who runs the portal.
type Organisation struct {
	Name            string `toml:"name"`
	ShortName       string `toml:"short_name"`
	Logo            string `toml:"logo"`
	ThemeColour     string `toml:"theme_colour"`
	AccentColour    string `toml:"accent_colour"`
	PasswordHelpURL string `toml:"password_help_url"`
}

// Users is [users]: how users name themselves.
type Users struct {
	// DefaultDomain is added to a user id typed without "@domain".
	DefaultDomain string `toml:"default_domain"`
	// IDHint is shown in the user id box, such as "username@example.edu".
	IDHint string `toml:"id_hint"`
	// PhoneRegion is the ISO 3166-1 region a number typed without a
	// country code belongs to, such as "GB".
	PhoneRegion string `toml:"phone_region"`
	// PhoneCountries are the ISO 3166-1 regions whose mobile numbers may be
	// registered and texted; empty means PhoneRegion alone.
	PhoneCountries []string `toml:"phone_countries"`
}

// HelpDesk is [help_desk]: where users go when self-service is not enough.
type HelpDesk struct {
	Name         string   `toml:"name"`
	InPerson     string   `toml:"in_person"`
	TicketPortal string   `toml:"ticket_portal"`
	Phone        string   `toml:"phone"`
	Email        string   `toml:"email"`
	Hours        []string `toml:"hours"`
}

// Flow is [flow]: the reset and unlock flows.
type Flow struct {
	// Lifetime is a flow's, from its start or from the last "Continue";
	// MaxLifetime the most it may have, however often it is continued.
	Lifetime           Duration `toml:"lifetime"`
	MaxLifetime        Duration `toml:"max_lifetime"`
	Methods            []string `toml:"methods"`
	RequiredMethods    int      `toml:"required_methods"`
	QuestionsAsked     int      `toml:"questions_asked"`
	RevealUnregistered bool     `toml:"reveal_unregistered"`
	// QuestionsRedraw is how long the questions drawn for an account stay
	// the same while nobody answers them.
	QuestionsRedraw Duration `toml:"questions_redraw"`
	// DecoyRefresh is how often the proportions decoys copy are read again
	// from the registrations.
	DecoyRefresh Duration `toml:"decoy_refresh"`
}

// Policy is one [[policy]]: the methods, how many, and how many strong,
// for the people of one directory group. The first listed whose group an
// account is in applies; everyone else has [flow]'s.
type Policy struct {
	// Name says who it is for ("Staff with administrative rights").
	Name string `toml:"name"`
	// Group is the directory group: a DN with an LDAP directory, a name
	// with the embedded one (as [staff]'s groups).
	Group string `toml:"group"`
	// Methods are those offered, of flow.methods (default: all of them).
	Methods []string `toml:"methods"`
	// RequiredMethods is how many a reset needs (default:
	// flow.required_methods), and StrongRequired how many of them must be
	// of StrongMethods (default ["totp", "passkey"]).
	RequiredMethods int      `toml:"required_methods"`
	StrongRequired  int      `toml:"strong_required"`
	StrongMethods   []string `toml:"strong_methods"`
}

// DefaultStrongMethods are a policy's strong_methods when it names none.
var DefaultStrongMethods = []string{MethodTOTP, MethodPasskey}

// Resolved is p with its defaults filled in from [flow]: the methods
// offered, how many a reset needs, the strong methods, and its name (the
// group's, when it has none). Validation and the engine read it alike.
func (p Policy) Resolved(f Flow) Policy {
	if p.Methods == nil {
		p.Methods = f.Methods
	}
	if p.RequiredMethods == 0 {
		p.RequiredMethods = f.RequiredMethods
	}
	if p.StrongMethods == nil {
		p.StrongMethods = DefaultStrongMethods
	}
	if p.Name == "" {
		p.Name = p.Group
	}
	return p
}

// Registration is [registration]: signing in to register methods.
type Registration struct {
	SessionIdle Duration `toml:"session_idle"`
	// SessionMax ends a session this long after sign-in, however busy.
	SessionMax Duration `toml:"session_max"`
	// ReauthAfter is how long after the password was last typed a method
	// may be added, changed or removed without typing it again.
	ReauthAfter    Duration `toml:"reauth_after"`
	QuestionsCount int      `toml:"questions_count"`
	ReconfirmAfter Duration `toml:"reconfirm_after"`
}

// Codes is [codes]: the one-time codes sent by email and SMS.
type Codes struct {
	Digits          int      `toml:"digits"`
	Lifetime        Duration `toml:"lifetime"`
	MaxTries        int      `toml:"max_tries"`
	EmailCooldown   Duration `toml:"email_cooldown"`
	SMSCooldown     Duration `toml:"sms_cooldown"`
	MaxSendsPerHour int      `toml:"max_sends_per_hour"`
}

// Throttle is [throttle]: limits per account and per client address.
type Throttle struct {
	AccountFailures         int      `toml:"account_failures"`
	AccountFailuresWindow   Duration `toml:"account_failures_window"`
	AccountIdentityFailures int      `toml:"account_identity_failures"`
	AccountIdentityWindow   Duration `toml:"account_identity_window"`
	AccountBlock            Duration `toml:"account_block"`
	AccountStarts           int      `toml:"account_starts"`
	AccountStartsWindow     Duration `toml:"account_starts_window"`
	AddressStarts           int      `toml:"address_starts"`
	AddressStartsWindow     Duration `toml:"address_starts_window"`
	AddressFailures         int      `toml:"address_failures"`
	AddressFailuresWindow   Duration `toml:"address_failures_window"`
	AddressCaptchas         int      `toml:"address_captchas"`
	AddressCaptchasWindow   Duration `toml:"address_captchas_window"`
	SignInFailures          int      `toml:"signin_failures"`
	SignInFailuresWindow    Duration `toml:"signin_failures_window"`
	// AccountConsecutiveFailures is how many failures in a row, however
	// slow, close self-service for an account until the service desk
	// reopens it (NIST SP 800-63B-4 allows at most 100).
	AccountConsecutiveFailures int `toml:"account_consecutive_failures"`
	// IPv6Prefix is the prefix length an IPv6 client is counted by: one
	// subscriber gets a whole /64, so counting single addresses counts
	// nothing.
	IPv6Prefix int `toml:"ipv6_prefix"`
	// SMSPerCountry caps the texts sent to the numbers of each country in
	// an hour (0: no cap).
	SMSPerCountry int `toml:"sms_per_country"`
}

// Captcha is [captcha].
type Captcha struct {
	Length   int      `toml:"length"`
	Lifetime Duration `toml:"lifetime"`
	// MaxLifetime is the most a CAPTCHA may have, however often its page's
	// "Continue" extends it.
	MaxLifetime Duration `toml:"max_lifetime"`
	Audio       bool     `toml:"audio"`
}

// The bounds of captcha.length: server/captcha's MinLength and MaxLength
// (the digits its picture holds legibly), which a test in server/portal
// keeps equal to these.
const (
	CaptchaMinLength = 4
	CaptchaMaxLength = 8
)

// Password is [password]: the policy for new passwords.
type Password struct {
	MinLength     int  `toml:"min_length"`
	MaxLength     int  `toml:"max_length"`
	RequireLower  bool `toml:"require_lower"`
	RequireUpper  bool `toml:"require_upper"`
	RequireDigit  bool `toml:"require_digit"`
	RequireSymbol bool `toml:"require_symbol"`
	MinClasses    int  `toml:"min_classes"`
	// BannedWords may not appear in a password. The organisation's names
	// are always added by the policy code, whatever this list says.
	BannedWords []string `toml:"banned_words"`
	// History is how many previous passwords the embedded directory
	// refuses to reuse.
	History int `toml:"history"`
}

// Session is [session].
type Session struct {
	CookieName string `toml:"cookie_name"`
	// KeysFile holds the session and code keys. Empty means
	// DataDir/keys.json.
	KeysFile string `toml:"keys_file"`
}

// Hashing is [hashing]: argon2id's cost and how many hashes run at once.
type Hashing struct {
	Argon2MemoryKiB int `toml:"argon2_memory_kib"`
	Argon2Time      int `toml:"argon2_time"`
	Argon2Threads   int `toml:"argon2_threads"`
	// Concurrency bounds the hashes computed at once; 0 means the number
	// of CPUs.
	Concurrency int `toml:"concurrency"`
}

// Staff is [staff]: who the service desk's staff are, by directory group.
type Staff struct {
	// ServiceDeskGroup and AuditorGroup are directory groups: a DN with
	// LDAP (nested groups count), a name in the embedded directory.
	// Empty: nobody has that role, except that the embedded directory's
	// demo staff count (portal.StaffGroups).
	ServiceDeskGroup string `toml:"service_desk_group"`
	AuditorGroup     string `toml:"auditor_group"`
	// SessionIdle ends a staff session nobody used for this long, and
	// SessionMax one this long after its sign-in.
	SessionIdle Duration `toml:"session_idle"`
	SessionMax  Duration `toml:"session_max"`
	// RecoveryPassLifetime is how long a recovery pass the service desk
	// issues lasts.
	RecoveryPassLifetime Duration `toml:"recovery_pass_lifetime"`
}

// Remind is [remind]: `sspr remind unregistered` (docs/COVERAGE.md).
type Remind struct {
	// UnregisteredEvery is the least time between two reminders to the
	// same person, however often the command runs.
	UnregisteredEvery Duration `toml:"unregistered_every"`
}

// Audit is [audit].
type Audit struct {
	// Retention is how long audit events are kept: older ones are
	// deleted, every hour, by every server.
	Retention Duration `toml:"retention"`
}

// Log is [log].
type Log struct {
	Level  string `toml:"level"`  // debug, info, warn or error
	Format string `toml:"format"` // text or json
}

// The verification methods a flow may offer.
const (
	MethodEmail     = "email"
	MethodSMS       = "sms"
	MethodQuestions = "questions"
	MethodTOTP      = "totp"
	MethodPasskey   = "passkey"
)

// Default returns the configuration used for every key the file leaves out.
// It is valid as it stands: `sspr serve --dev` needs no file at all.
func Default() *Config {
	return &Config{
		Server: Server{
			Listen:         "127.0.0.1:8080",
			DataDir:        "data",
			TrustedProxies: []string{},
			Monitoring:     []string{},
			DrainPeriod:    Duration{Duration: 10 * time.Second},
		},
		Organisation: Organisation{
			Name:         "Example University",
			ShortName:    "Example",
			ThemeColour:  "#1d3f72",
			AccentColour: "#ffd200",
		},
		Users: Users{
			DefaultDomain:  "example.edu",
			IDHint:         "username@example.edu",
			PhoneRegion:    "GB",
			PhoneCountries: []string{},
		},
		HelpDesk: HelpDesk{
			Name:         "IT Service Desk",
			InPerson:     "At the IT Service Desk, ground floor of the Library",
			TicketPortal: "https://help.example.edu/",
			Phone:        "01234 567890",
			Email:        "servicedesk@example.edu",
			Hours: []string{
				"Monday to Thursday: 8am to 5pm",
				"Friday: 8am to 9am and then 10am to 5pm",
			},
		},
		Flow: Flow{
			Lifetime:        minutes(15),
			MaxLifetime:     hours(1),
			Methods:         []string{MethodEmail, MethodSMS, MethodQuestions},
			RequiredMethods: 2,
			QuestionsAsked:  3,
			QuestionsRedraw: hours(30 * 24),
			DecoyRefresh:    hours(1),
		},
		Registration: Registration{
			SessionIdle:    minutes(15),
			SessionMax:     hours(1),
			ReauthAfter:    minutes(5),
			QuestionsCount: 5,
			ReconfirmAfter: hours(180 * 24),
		},
		Codes: Codes{
			Digits:          8,
			Lifetime:        minutes(10),
			MaxTries:        5,
			EmailCooldown:   minutes(1),
			SMSCooldown:     minutes(2),
			MaxSendsPerHour: 5,
		},
		Throttle: Throttle{
			AccountFailures:         5,
			AccountFailuresWindow:   hours(1),
			AccountIdentityFailures: 5,
			AccountIdentityWindow:   hours(24),
			AccountBlock:            hours(24),
			AccountStarts:           20,
			AccountStartsWindow:     hours(1),
			AddressStarts:           300,
			AddressStartsWindow:     minutes(10),
			AddressFailures:         1000,
			AddressFailuresWindow:   hours(1),
			AddressCaptchas:         600,
			AddressCaptchasWindow:   minutes(10),
			SignInFailures:          5,
			SignInFailuresWindow:    hours(24),

			AccountConsecutiveFailures: 100,
			IPv6Prefix:                 64,
			SMSPerCountry:              500,
		},
		Captcha: Captcha{
			Length:      6,
			Lifetime:    minutes(5),
			MaxLifetime: minutes(15),
			Audio:       true,
		},
		Password: Password{
			MinLength:   12,
			MaxLength:   256,
			BannedWords: []string{},
			History:     5,
		},
		Session: Session{
			CookieName: "sspr_session",
		},
		Database:  defaultDatabase(),
		State:     defaultState(),
		Directory: defaultDirectory(),
		Email:     defaultEmail(),
		SMS:       defaultSMS(),
		Delivery:  defaultDelivery(),
		Hashing: Hashing{
			Argon2MemoryKiB: 19456,
			Argon2Time:      2,
			Argon2Threads:   1,
		},
		Log: Log{
			Level:  "info",
			Format: "text",
		},
		Audit: Audit{Retention: Duration{400 * 24 * time.Hour}},
		Staff: Staff{SessionIdle: Duration{10 * time.Minute}, SessionMax: Duration{8 * time.Hour},
			RecoveryPassLifetime: Duration{time.Hour}},
		Remind:    Remind{UnregisteredEvery: Duration{30 * 24 * time.Hour}},
		Languages: Languages{Offered: []string{"en", "cy", "ar", "zh-Hans"}, Texts: map[string]Texts{}},
	}
}

// retired are keys of earlier versions that no longer set anything:
// accepted and ignored. [delivery] queue_size and max_tries bounded the
// in-memory queue, before messages were stored (server/dispatch) and
// retried until they expire.
var retired = map[string]bool{"delivery.queue_size": true, "delivery.max_tries": true}

// Load returns Default with the file at path laid over it, validated. An
// empty path means no file: the defaults alone. Every error names the key
// at fault.
func Load(path string) (*Config, error) {
	c := Default()
	if path == "" {
		return c, c.Validate()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(b, path)
}

// Parse is Load for a document already read: Default with the TOML
// document b laid over it, validated. name is used in errors.
func Parse(b []byte, name string) (*Config, error) {
	c := Default()
	if err := c.decode(b, name); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// tomlError matches the decoder's own errors, which name the key in a
// different way from its ParseError.
var tomlError = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// decode lays the TOML document b over c, refusing keys c doesn't have.
func (c *Config) decode(b []byte, name string) error {
	md, err := toml.NewDecoder(bytes.NewReader(b)).Decode(c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			if pe.LastKey != "" {
				return fmt.Errorf("config: %s: %s (%s line %d)", pe.LastKey, pe.Message, name, pe.Position.Line)
			}
			return fmt.Errorf("config: %s line %d: %s", name, pe.Position.Line, pe.Message)
		}
		if m := tomlError.FindStringSubmatch(err.Error()); m != nil && m[2] != "" {
			return fmt.Errorf("config: %s: %s (%s line %s)", m[2], m[3], name, m[1])
		}
		return fmt.Errorf("config: %s: %s", name, strings.TrimPrefix(err.Error(), "toml: "))
	}
	// A misspelt key would otherwise leave its default in force without a
	// word: for a security setting that is the worst outcome. A retired
	// key is no setting at all: skipped, so that older files still load.
	// A file written before the absolute limits may set a lifetime above
	// the default limit: the limit is then raised to it, rather than the
	// file refused.
	if md.IsDefined("flow", "lifetime") && !md.IsDefined("flow", "max_lifetime") {
		c.Flow.MaxLifetime = Duration{max(c.Flow.MaxLifetime.D(), c.Flow.Lifetime.D())}
	}
	if md.IsDefined("captcha", "lifetime") && !md.IsDefined("captcha", "max_lifetime") {
		c.Captcha.MaxLifetime = Duration{max(c.Captcha.MaxLifetime.D(), c.Captcha.Lifetime.D())}
	}
	if und := md.Undecoded(); len(und) > 0 {
		var errs []error
		reported := map[string]bool{}
	keys:
		for _, k := range und {
			if retired[k.String()] {
				continue
			}
			// An unknown [section] is reported once, not once per key.
			for i := 1; i < len(k); i++ {
				if reported[k[:i].String()] {
					continue keys
				}
			}
			reported[k.String()] = true
			errs = append(errs, fmt.Errorf("config: unknown key %q (%s)", k.String(), name))
		}
		return errors.Join(errs...)
	}
	return nil
}

// PublicURL is the address users reach the portal at: server.public_url,
// or "http://" + server.listen when that is empty. Links and Host checks use
// it, never the request's Host.
func (c *Config) PublicURL() *url.URL {
	s := c.Server.PublicURL
	if s == "" {
		return &url.URL{Scheme: "http", Host: c.Server.Listen, Path: "/"}
	}
	u, err := url.Parse(s)
	if err != nil {
		// Validate refuses this; fall back to something harmless.
		return &url.URL{Scheme: "http", Host: c.Server.Listen, Path: "/"}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u
}

// KeysFile is session.keys_file, or keys.json in the data folder.
func (c *Config) KeysFile() string {
	if c.Session.KeysFile != "" {
		return c.Session.KeysFile
	}
	return filepath.Join(c.Server.DataDir, "keys.json")
}

// DatabasePath is database.path, or sspr.db in the data folder.
func (c *Config) DatabasePath() string {
	if c.Database.Path != "" {
		return c.Database.Path
	}
	return filepath.Join(c.Server.DataDir, "sspr.db")
}

// KeepsSQLite reports whether the portal keeps a SQLite file (at
// DatabasePath): for the embedded directory's accounts, or for the store
// and the outbox unless PostgreSQL holds them. A replica with LDAP and
// PostgreSQL keeps none.
func (c *Config) KeepsSQLite() bool {
	return c.Directory.Kind == DirectoryEmbedded || c.Database.Kind != DatabasePostgres
}

// WebDir is server.web_dir, or the folder "web" next to the executable
// (bin/web beside bin/sspr, where `make build` puts app.wasm).
func (c *Config) WebDir() string {
	if c.Server.WebDir != "" {
		return c.Server.WebDir
	}
	exe, err := os.Executable()
	if err != nil {
		return "web"
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Join(filepath.Dir(exe), "web")
}

// IsLoopback reports whether the host:port addr can only be reached from
// this machine: "localhost" or a loopback IP. An empty host (every
// interface) is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkHostPort checks a listen address.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("must be host:port, such as \"127.0.0.1:8080\" (%v)", err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q must be a number from 0 to 65535", port)
	}
	return nil
}
