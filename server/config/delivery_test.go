package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/config"
)

func TestDeliveryConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("x"), 0o600)
	smtp := "[email]\nkind = \"smtp\"\nhost = \"smtp.example.edu\"\nfrom = \"reset@example.edu\"\n"
	twilio := "[sms]\nkind = \"gateway\"\nurl = \"https://api.twilio.com/x\"\nusername = \"AC1\"\ntoken_env = \"TW\"\nfrom = \"+15005550006\"\n"
	tests := []loadCase{
		{"OK smtp", smtp + "username = \"u\"\npassword_env = \"SMTP_PW\"\nca_file = \"" + filepath.ToSlash(ca) + "\"\n", ""},
		{"OK plain to loopback", "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nsecurity = \"plain\"\nfrom = \"r@example.edu\"\n", ""},
		{"OK twilio", twilio, ""},
		{"OK custom json", "[sms]\nkind = \"gateway\"\npreset = \"custom\"\nformat = \"json\"\nurl = \"http://127.0.0.1:9000/send\"\nbody = { to = \"{{.To}}\", msg = \"{{.Text}}\" }\nheaders = { X-Key = \"{{.Token}}\" }\ntoken_file = \"" + filepath.ToSlash(ca) + "\"\n", ""},
		{"ErrPlainOverTheNetwork", smtp + "security = \"plain\"\n", "email.security"},
		{"ErrNoHost", "[email]\nkind = \"smtp\"\nfrom = \"r@example.edu\"\n", "email.host"},
		{"ErrBadFrom", smtp + "from = \"nope\"\n", "email.from"},
		{"ErrBothSecrets", smtp + "username = \"u\"\npassword_file = \"/x\"\npassword_env = \"X\"\n", "email.password_file: set email.password_file or email.password_env, not both"},
		{"ErrUserWithoutPassword", smtp + "username = \"u\"\n", "email.password_file"},
		{"ErrAuthWithoutUser", smtp + "auth = \"cram-md5\"\n", "email.username"},
		{"ErrSecurity", "[email]\nsecurity = \"ssl\"\n", "email.security"},
		{"ErrMissingCA", "[email]\nca_file = \"/no/such/ca.pem\"\n", "email.ca_file"},
		{"ErrSMSHTTP", "[sms]\nkind = \"gateway\"\npreset = \"json\"\nurl = \"http://sms.example.net/send\"\n", "sms.url"},
		{"ErrSMSURLWithPassword", "[sms]\nkind = \"gateway\"\npreset = \"json\"\nurl = \"https://u:p@sms.example.net/\"\n", "sms.url"},
		{"ErrTwilioNoSID", strings.Replace(twilio, "username = \"AC1\"\n", "", 1), "sms.username"},
		{"ErrTwilioNoToken", strings.Replace(twilio, "token_env = \"TW\"\n", "", 1), "sms.token_file"},
		{"ErrBodyTemplate", "[sms]\nbody = { to = \"{{.To\" }\n", "sms.body.to"},
		{"ErrHeaderName", "[sms]\nheaders = { \"Bad Header\" = \"x\" }\n", "sms.headers"},
		{"ErrStatus", "[sms]\nsuccess_statuses = [200, 99]\n", "sms.success_statuses[1]"},
		{"Retired", "[delivery]\nmax_tries = 0\nqueue_size = 1000\n", ""},
		{"ErrNoticeLifetime", "[delivery]\nnotice_lifetime = \"10s\"\n", "delivery.notice_lifetime"},
		{"ErrBackoffOrder", "[delivery]\nbackoff = \"10m\"\nmax_backoff = \"1m\"\n", "delivery.max_backoff"},
		{"ErrLanguage", "[delivery]\nlanguage = \"../en\"\n", "delivery.language"},
		{"ErrTemplatesDir", "[delivery]\ntemplates_dir = \"/no/such/folder\"\n", "delivery.templates_dir"},
	}
	runLoadCases(t, tests)
}

func TestCheckDeliveryForServe(t *testing.T) {
	c := config.Default()
	if err := c.CheckDeliveryForServe(true); err != nil {
		t.Fatalf("dev: %v", err)
	}
	err := c.CheckDeliveryForServe(false)
	if err == nil || !strings.Contains(err.Error(), "email.kind") || !strings.Contains(err.Error(), "sms.kind") {
		t.Fatalf("err %v", err)
	}
	c.Email.Kind = "smtp"
	c.Flow.Methods = []string{"email", "questions"}
	if err := c.CheckDeliveryForServe(false); err != nil {
		t.Fatalf("no SMS offered: %v", err)
	}
}

func TestReadSecret(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(f, []byte("hunter2-secret\n"), 0o600)
	if s, err := config.ReadSecret("email.password_file", "email.password_env", f, ""); err != nil || s != "hunter2-secret" {
		t.Fatalf("%q %v", s, err)
	}
	t.Setenv("SSPR_TEST_SECRET", "from-env")
	if s, err := config.ReadSecret("k.file", "k.env", "", "SSPR_TEST_SECRET"); err != nil || s != "from-env" {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := config.ReadSecret("k.file", "k.env", "", "SSPR_TEST_UNSET_VAR"); err == nil || !strings.Contains(err.Error(), "k.env") {
		t.Fatalf("err %v", err)
	}
	if _, err := config.ReadSecret("k.file", "k.env", "/no/such/file", ""); err == nil || !strings.Contains(err.Error(), "k.file") {
		t.Fatalf("err %v", err)
	}
}
