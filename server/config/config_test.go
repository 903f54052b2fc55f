package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/sspr-portal/sspr/server/config"
)

const exampleFile = "../../sspr.example.toml"

// loadCase is a configuration file and what loading it must say.
type loadCase struct {
	name, body string
	// err is a string the error must contain; empty means no error.
	err string
}

// runLoadCases loads each case's body and checks its error, which must
// never quote any of the secrets.
func runLoadCases(t *testing.T, cases []loadCase, secrets ...string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(writeConfig(t, tc.body))
			switch {
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			for _, secret := range secrets {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Fatalf("the error quotes a secret: %v", err)
				}
			}
		})
	}
}

// writeConfig writes body to a temporary file and returns its path.
func writeConfig(tb testing.TB, body string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "sspr.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestDefaultIsValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	c, err := config.Load("")
	if err != nil {
		t.Fatalf(`Load("") = %v`, err)
	}
	if !reflect.DeepEqual(c, config.Default()) {
		t.Fatal(`Load("") differs from Default()`)
	}
}

// The example file must never drift from the defaults.
func TestExampleEqualsDefault(t *testing.T) {
	c, err := config.Load(exampleFile)
	if err != nil {
		t.Fatalf("Load(example) = %v", err)
	}
	if want := config.Default(); !reflect.DeepEqual(c, want) {
		t.Fatalf("the example file differs from Default():\n got %+v\nwant %+v", c, want)
	}
}

// Every key Config has must be written out in the example file, so that an
// operator reading it sees every setting.
func TestExampleListsEveryKey(t *testing.T) {
	var c config.Config
	md, err := toml.DecodeFile(exampleFile, &c)
	if err != nil {
		t.Fatal(err)
	}
	inFile := map[string]bool{}
	for _, k := range md.Keys() {
		inFile[k.String()] = true
	}
	text, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, k := range leafKeys(reflect.TypeOf(c), "") {
		if !inFile[k] && !inComment(string(text), reflect.TypeOf(c), k) {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("sspr.example.toml leaves out: %s", strings.Join(missing, ", "))
	}
}

// inComment reports whether the top-level key k of Config (type t) is an
// array of tables, such as [[policy]], shown in the example's comments
// with every one of its keys: there are none by default, so the example
// can't hold one and still equal the defaults.
func inComment(text string, t reflect.Type, k string) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("toml") != k || f.Type.Kind() != reflect.Slice || f.Type.Elem().Kind() != reflect.Struct {
			continue
		}
		if !strings.Contains(text, "# [["+k+"]]\n") {
			return false
		}
		for _, sub := range leafKeys(f.Type.Elem(), "") {
			if !strings.Contains(text, "# "+sub+" = ") {
				return false
			}
		}
		return true
	}
	return false
}

// leafKeys lists the dotted TOML keys of the struct type t.
func leafKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("toml")
		if name == "" || name == "-" {
			continue
		}
		if prefix != "" {
			name = prefix + "." + name
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(config.Duration{}) {
			out = append(out, leafKeys(f.Type, name)...)
			continue
		}
		out = append(out, name)
	}
	return out
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		body string
		// check looks at the loaded config when err is empty.
		check func(t *testing.T, c *config.Config)
		// err is a string the error must contain; empty means no error.
		err string
	}{
		{
			name: "OK a policy for a group, one of two strong",
			body: "[flow]\nmethods = [\"email\", \"sms\", \"questions\", \"totp\"]\n" +
				"[[policy]]\nname = \"Admins\"\ngroup = \"admins\"\nmethods = [\"email\", \"totp\"]\nstrong_required = 1\n",
			check: func(t *testing.T, c *config.Config) {
				if len(c.Policies) != 1 || c.Policies[0].StrongRequired != 1 || c.Policies[0].Group != "admins" {
					t.Errorf("policies %+v", c.Policies)
				}
			},
		},
		{
			name: "policy without a group",
			body: "[flow]\nmethods = [\"email\", \"sms\", \"totp\"]\n[[policy]]\nmethods = [\"email\", \"totp\"]\n",
			err:  "policy[1].group",
		},
		{
			name: "policy asks for more strong methods than it offers",
			body: "[[policy]]\ngroup = \"admins\"\nstrong_required = 1\n",
			err:  "policy[1].strong_required",
		},
		{
			name: "policy offers a method flow.methods doesn't",
			body: "[[policy]]\ngroup = \"admins\"\nmethods = [\"email\", \"totp\"]\n",
			err:  "policy[1].methods",
		},
		{
			name: "policy with one method of SMS and questions",
			body: "[[policy]]\ngroup = \"admins\"\nmethods = [\"email\", \"sms\"]\nrequired_methods = 1\n",
			err:  "policy[1].required_methods",
		},
		{
			name: "OK partial file keeps the other defaults",
			body: "[flow]\nlifetime = \"20m\"\n[codes]\ndigits = 6\n",
			check: func(t *testing.T, c *config.Config) {
				if c.Flow.Lifetime.D() != 20*time.Minute || c.Codes.Digits != 6 {
					t.Errorf("got lifetime %v digits %d", c.Flow.Lifetime, c.Codes.Digits)
				}
				if c.Codes.Lifetime.D() != 10*time.Minute || c.Flow.RequiredMethods != 2 {
					t.Error("defaults not kept")
				}
			},
		},
		{
			name: "OK empty file",
			body: "",
			check: func(t *testing.T, c *config.Config) {
				if !reflect.DeepEqual(c, config.Default()) {
					t.Error("an empty file differs from Default()")
				}
			},
		},
		{
			name: "OK lists replace the default",
			body: "[flow]\nmethods = [\"email\", \"questions\"]\n[help_desk]\nhours = []\n",
			check: func(t *testing.T, c *config.Config) {
				if !reflect.DeepEqual(c.Flow.Methods, []string{"email", "questions"}) || len(c.HelpDesk.Hours) != 0 {
					t.Errorf("methods %q hours %q", c.Flow.Methods, c.HelpDesk.Hours)
				}
			},
		},
		{
			name: "OK durations",
			body: "[throttle]\naccount_block = \"1h30m\"\naddress_starts_window = \"90s\"\n",
			check: func(t *testing.T, c *config.Config) {
				if c.Throttle.AccountBlock.D() != 90*time.Minute || c.Throttle.AddressStartsWindow.D() != 90*time.Second {
					t.Errorf("got %v and %v", c.Throttle.AccountBlock, c.Throttle.AddressStartsWindow)
				}
			},
		},
		{
			name: "OK public URL on every interface",
			body: "[server]\nlisten = \":8080\"\npublic_url = \"https://password.example.edu\"\ntrusted_proxies = [\"10.0.0.0/8\", \"192.0.2.7\", \"2001:db8::/32\"]\n",
			check: func(t *testing.T, c *config.Config) {
				if got := c.PublicURL().String(); got != "https://password.example.edu/" {
					t.Errorf("PublicURL = %q", got)
				}
				if got := len(c.TrustedProxies()); got != 3 {
					t.Errorf("TrustedProxies: %d networks", got)
				}
			},
		},
		{
			name: "OK email alone with one method",
			body: "[flow]\nmethods = [\"email\"]\nrequired_methods = 1\n",
		},

		{name: "ErrUnknownKey", body: "[flow]\nlifetme = \"15m\"\n", err: `config: unknown key "flow.lifetme"`},
		{name: "ErrUnknownSection", body: "[flwo]\nlifetime = \"15m\"\n", err: `unknown key "flwo`},
		{name: "ErrUnknownTopLevelKey", body: "listen = \"127.0.0.1:80\"\n", err: `unknown key "listen"`},
		{name: "ErrSyntax", body: "[flow\n", err: "config:"},
		{name: "ErrDuplicateKey", body: "[codes]\ndigits = 6\ndigits = 7\n", err: "codes.digits"},
		{name: "ErrWrongType", body: "[codes]\ndigits = \"eight\"\n", err: "config: codes.digits: incompatible types"},
		{name: "ErrListForString", body: "[server]\nlisten = [\"a\", \"b\"]\n", err: "config: server.listen:"},
		{name: "ErrDurationWithoutUnit", body: "[flow]\nlifetime = 15\n", err: `config: flow.lifetime: invalid duration "15"`},
		{name: "ErrDurationWords", body: "[codes]\nlifetime = \"ten minutes\"\n", err: "config: codes.lifetime: invalid duration"},
		{name: "ErrDurationNegative", body: "[codes]\nsms_cooldown = \"-1m\"\n", err: "config: codes.sms_cooldown: must be from 0s to 1h"},
		{name: "ErrDurationTooShort", body: "[flow]\nlifetime = \"10s\"\n", err: "config: flow.lifetime: must be from 1m to 24h, not 10s"},

		{name: "ErrListen", body: "[server]\nlisten = \"8080\"\n", err: "config: server.listen:"},
		{name: "ErrListenPort", body: "[server]\nlisten = \"127.0.0.1:99999\"\n", err: "config: server.listen:"},
		{name: "ErrPublicURLNeededOffLoopback", body: "[server]\nlisten = \"0.0.0.0:8080\"\n", err: "config: server.public_url: must be set"},
		{name: "ErrPublicURLScheme", body: "[server]\npublic_url = \"ftp://example.edu\"\n", err: "config: server.public_url:"},
		{name: "ErrPublicURLPath", body: "[server]\npublic_url = \"https://example.edu/sspr\"\n", err: "config: server.public_url:"},
		{name: "ErrPublicURLNoHost", body: "[server]\npublic_url = \"https://\"\n", err: "config: server.public_url:"},
		{name: "ErrPublicURLPlainHTTPOffLoopback", body: "[server]\npublic_url = \"http://password.example.edu\"\n", err: "must start with https://"},
		{name: "ErrDataDir", body: "[server]\ndata_dir = \"\"\n", err: "config: server.data_dir: must not be empty"},
		{name: "ErrTrustedProxy", body: "[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n", err: "config: server.trusted_proxies[0]:"},
		{name: "ErrOrganisationName", body: "[organisation]\nname = \" \"\n", err: "config: organisation.name:"},
		{name: "ErrShortName", body: "[organisation]\nshort_name = \"\"\n", err: "config: organisation.short_name:"},
		{name: "ErrLogoRemote", body: "[organisation]\nlogo = \"https://cdn.example.com/logo.png\"\n", err: "config: organisation.logo:"},
		{name: "ErrThemeColour", body: "[organisation]\ntheme_colour = \"blue\"\n", err: "config: organisation.theme_colour:"},
		{name: "ErrAccentColour", body: "[organisation]\naccent_colour = \"#12345\"\n", err: "config: organisation.accent_colour:"},
		{name: "ErrPasswordHelpURL", body: "[organisation]\npassword_help_url = \"javascript:alert(1)\"\n", err: "config: organisation.password_help_url:"},
		{name: "ErrDefaultDomain", body: "[users]\ndefault_domain = \"exa mple\"\n", err: "config: users.default_domain:"},
		{name: "ErrIDHint", body: "[users]\nid_hint = \"\"\n", err: "config: users.id_hint:"},
		{name: "ErrPhoneRegion", body: "[users]\nphone_region = \"UK\"\n", err: "config: users.phone_region:"},
		{name: "ErrHelpDeskName", body: "[help_desk]\nname = \"\"\n", err: "config: help_desk.name:"},
		{name: "ErrTicketPortal", body: "[help_desk]\nticket_portal = \"help.example.edu\"\n", err: "config: help_desk.ticket_portal:"},
		{name: "ErrHelpDeskEmail", body: "[help_desk]\nemail = \"service desk\"\n", err: "config: help_desk.email:"},
		{name: "ErrHelpDeskHours", body: "[help_desk]\nhours = [\"Monday\", \"\"]\n", err: "config: help_desk.hours[1]:"},
		{name: "ErrMethodsEmpty", body: "[flow]\nmethods = []\n", err: "config: flow.methods:"},
		{name: "ErrMethodUnknown", body: "[flow]\nmethods = [\"email\", \"carrier-pigeon\"]\n", err: `config: flow.methods: "carrier-pigeon"`},
		{name: "ErrMethodTwice", body: "[flow]\nmethods = [\"email\", \"email\"]\n", err: `config: flow.methods: "email" is listed twice`},
		{name: "ErrRequiredMethodsTooMany", body: "[flow]\nrequired_methods = 4\n", err: "config: flow.required_methods: must be 1, 2 or 3"},
		{name: "ErrRequiredMethodsZero", body: "[flow]\nrequired_methods = 0\n", err: "config: flow.required_methods: must be 1, 2 or 3"},
		{name: "ErrRequiredMethodsMoreThanListed", body: "[flow]\nmethods = [\"email\", \"sms\"]\nrequired_methods = 3\n", err: "config: flow.required_methods: must be 1 or 2"},
		{name: "ErrSMSAlone", body: "[flow]\nrequired_methods = 1\n", err: "config: flow.required_methods: 1 method is only allowed"},
		{name: "ErrQuestionsAsked", body: "[flow]\nquestions_asked = 0\n", err: "config: flow.questions_asked:"},
		{name: "ErrDigitsShort", body: "[codes]\ndigits = 5\n", err: "config: codes.digits: must be from 6 to 10, not 5"},
		{name: "ErrDigitsLong", body: "[codes]\ndigits = 11\n", err: "config: codes.digits:"},
		{name: "ErrMaxTries", body: "[codes]\nmax_tries = 0\n", err: "config: codes.max_tries:"},
		{name: "ErrMaxSends", body: "[codes]\nmax_sends_per_hour = 0\n", err: "config: codes.max_sends_per_hour:"},
		{name: "ErrAccountFailures", body: "[throttle]\naccount_failures = 0\n", err: "config: throttle.account_failures:"},
		{name: "ErrAccountBlock", body: "[throttle]\naccount_block = \"0s\"\n", err: "config: throttle.account_block:"},
		{name: "ErrAddressStarts", body: "[throttle]\naddress_starts = -1\n", err: "config: throttle.address_starts:"},
		{name: "ErrAddressCaptchasWindow", body: "[throttle]\naddress_captchas_window = \"0s\"\n", err: "config: throttle.address_captchas_window:"},
		{name: "ErrCaptchaLength", body: "[captcha]\nlength = 2\n", err: "config: captcha.length:"},
		{name: "ErrCaptchaLifetime", body: "[captcha]\nlifetime = \"2h\"\n", err: "config: captcha.lifetime:"},
		{name: "ErrMinLength", body: "[password]\nmin_length = 6\n", err: "config: password.min_length:"},
		{name: "ErrMaxLengthUnder64", body: "[password]\nmax_length = 32\n", err: "config: password.max_length:"},
		{name: "ErrMaxUnderMin", body: "[password]\nmin_length = 100\nmax_length = 80\n", err: "config: password.max_length: must not be less than password.min_length"},
		{name: "ErrMinClasses", body: "[password]\nmin_classes = 6\n", err: "config: password.min_classes:"},
		{name: "ErrBannedWord", body: "[password]\nbanned_words = [\"\"]\n", err: "config: password.banned_words[0]:"},
		{name: "ErrHistory", body: "[password]\nhistory = -1\n", err: "config: password.history:"},
		{name: "ErrCookieName", body: "[session]\ncookie_name = \"a;b\"\n", err: "config: session.cookie_name:"},
		{name: "ErrArgon2Memory", body: "[hashing]\nargon2_memory_kib = 0\n", err: "config: hashing.argon2_memory_kib:"},
		{name: "ErrArgon2Time", body: "[hashing]\nargon2_time = 0\n", err: "config: hashing.argon2_time:"},
		{name: "ErrArgon2Threads", body: "[hashing]\nargon2_threads = 0\n", err: "config: hashing.argon2_threads:"},
		{name: "ErrConcurrency", body: "[hashing]\nconcurrency = -1\n", err: "config: hashing.concurrency:"},
		{name: "ErrLogLevel", body: "[log]\nlevel = \"verbose\"\n", err: "config: log.level:"},
		{name: "ErrLogFormat", body: "[log]\nformat = \"xml\"\n", err: "config: log.format:"},
		{name: "ErrRemindTooOften", body: "[remind]\nunregistered_every = \"1h\"\n", err: "config: remind.unregistered_every:"},
		{name: "ErrLanguageUnknown", body: "[languages]\noffered = [\"en\", \"fr\"]\n", err: "config: languages.offered: \"fr\" is not a language"},
		{name: "ErrLanguageTwice", body: "[languages]\noffered = [\"cy\", \"en\", \"cy\"]\n", err: "config: languages.offered: \"cy\" is listed twice"},
		{name: "ErrRemindNotADuration", body: "[remind]\nunregistered_every = \"monthly\"\n", err: "config: remind.unregistered_every: invalid duration"},
		{
			name: "OK remind.unregistered_every",
			body: "[remind]\nunregistered_every = \"168h\"\n",
			check: func(t *testing.T, c *config.Config) {
				if c.Remind.UnregisteredEvery.D() != 7*24*time.Hour {
					t.Errorf("got %v", c.Remind.UnregisteredEvery)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(writeConfig(t, tt.body))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load: no error, want one containing %q", tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Load: %v\nwant an error containing %q", err, tt.err)
			}
			if c != nil {
				t.Error("Load returned a config with its error")
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.toml"))
	if err == nil || !strings.Contains(err.Error(), "nope.toml") {
		t.Fatalf("Load(missing) = %v", err)
	}
}

// Several bad values are all reported at once, each naming its key.
func TestValidateReportsEveryKey(t *testing.T) {
	c := config.Default()
	c.Codes.Digits = 3
	c.Log.Format = "xml"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, k := range []string{"codes.digits", "log.format"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not name %s", err, k)
		}
	}
}

func TestHelpers(t *testing.T) {
	c := config.Default()
	c.Server.DataDir = "/var/lib/sspr"
	if got := c.KeysFile(); got != "/var/lib/sspr/keys.json" {
		t.Errorf("KeysFile = %q", got)
	}
	if got := c.DatabasePath(); got != "/var/lib/sspr/sspr.db" {
		t.Errorf("DatabasePath = %q", got)
	}
	if got := c.PublicURL().String(); got != "http://127.0.0.1:8080/" {
		t.Errorf("PublicURL = %q", got)
	}
	c.Session.KeysFile = "/etc/sspr/keys.json"
	c.Database.Path = "/srv/sspr.db"
	c.Server.PublicURL = "https://password.example.edu"
	c.Server.WebDir = "/srv/web"
	if c.KeysFile() != "/etc/sspr/keys.json" || c.DatabasePath() != "/srv/sspr.db" || c.WebDir() != "/srv/web" {
		t.Error("explicit paths not used")
	}
	if got := c.PublicURL(); got.Host != "password.example.edu" || got.Scheme != "https" {
		t.Errorf("PublicURL = %v", got)
	}
	c.Server.WebDir = ""
	if got := c.WebDir(); filepath.Base(got) != "web" || !filepath.IsAbs(got) {
		t.Errorf("default WebDir = %q", got)
	}
}

func TestIsLoopback(t *testing.T) {
	tests := map[string]bool{
		"127.0.0.1:8080": true,
		"127.0.0.2:0":    true,
		"[::1]:8080":     true,
		"localhost:80":   true,
		":8080":          false,
		"0.0.0.0:8080":   false,
		"[::]:8080":      false,
		"192.0.2.1:8080": false,
		"example.edu:80": false,
		"garbage":        false,
	}
	for addr, want := range tests {
		if got := config.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		text string
		err  bool
	}{
		{in: "15m", want: 15 * time.Minute, text: "15m"},
		{in: "1h30m", want: 90 * time.Minute, text: "1h30m"},
		{in: "24h", want: 24 * time.Hour, text: "24h"},
		{in: "90s", want: 90 * time.Second, text: "1m30s"},
		{in: " 2m ", want: 2 * time.Minute, text: "2m"},
		{in: "1500ms", want: 1500 * time.Millisecond, text: "1.5s"},
		{in: "0s", want: 0, text: "0s"},
		{in: "15", err: true},
		{in: "", err: true},
		{in: "fifteen minutes", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d config.Duration
			err := d.UnmarshalText([]byte(tt.in))
			if tt.err {
				if err == nil {
					t.Fatalf("UnmarshalText(%q): no error", tt.in)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.D() != tt.want {
				t.Errorf("got %v, want %v", d.D(), tt.want)
			}
			b, _ := d.MarshalText()
			if string(b) != tt.text {
				t.Errorf("MarshalText = %q, want %q", b, tt.text)
			}
		})
	}
}

// FuzzParse: no file, however odd, makes Parse panic, and whatever Parse
// accepts is valid.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(exampleFile); err == nil {
		f.Add(string(b))
	}
	f.Add("[flow]\nlifetime = \"15m\"\n")
	f.Add("[codes]\ndigits = 99999999999999999999\n")
	f.Fuzz(func(t *testing.T, body string) {
		c, err := config.Parse([]byte(body), "fuzz.toml")
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid config: %v", err)
		}
	})
}
