package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/secret"
)

var rules = Rules{DefaultDomain: "example.edu", PhoneRegion: "GB", Now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}

// A hash as package secret makes it, and its password.
const (
	goodPassword = "Correct-Horse-Battery-42"
	goodHash     = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
)

// realHash is goodPassword hashed by package secret (cheap parameters).
func realHash(t testing.TB) string {
	t.Helper()
	h, err := secret.NewArgon2(secret.Params{Time: 1, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 0).Hash(context.Background(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// readAll reads every line of a file: the items and the rejections.
func readAll[T item](t *testing.T, rd *Reader[T]) ([]T, []Rejection) {
	t.Helper()
	var items []T
	var rejs []Rejection
	for {
		it, rej, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return items, rejs
		}
		if err != nil {
			t.Fatal(err)
		}
		if rej != nil {
			rejs = append(rejs, *rej)
			continue
		}
		items = append(items, it)
	}
}

// TestAccountLines: each way an accounts line is refused, with its reason,
// in CSV and the same line in JSON; and the lines that are taken, with
// their fields canonical. No message quotes a password or a hash.
func TestAccountLines(t *testing.T) {
	hash := realHash(t)
	tests := []struct {
		name   string
		fields map[string]any // the line; JSON types as given, CSV as text
		reason Reason         // "": taken
		check  func(t *testing.T, a Account)
	}{
		{"hash", map[string]any{"id": " Alice ", "name": " Alice Archer ", "mail": "Alice@Example.EDU", "password_hash": hash}, "",
			func(t *testing.T, a Account) {
				if a.ID != "alice@example.edu" || a.Name != "Alice Archer" || a.Mail != "Alice@example.edu" ||
					string(a.PasswordHash) != hash || a.InitialPassword != "" || a.Locked != nil || a.Disabled != nil || a.OU != "" {
					t.Fatalf("%+v", a)
				}
			}},
		{"initial, flags and ou", map[string]any{"id": "bob", "name": "Bob", "mail": "bob@example.edu", "initial_password": " Spaces kept ",
			"ou": "students/physics", "locked": "yes", "disabled": false}, "",
			func(t *testing.T, a Account) {
				if a.ID != "bob@example.edu" || string(a.InitialPassword) != " Spaces kept " || a.PasswordHash != "" ||
					a.Locked == nil || !*a.Locked || a.Disabled == nil || *a.Disabled || a.OU != "students/physics" {
					t.Fatalf("%+v", a)
				}
			}},
		{"no id", map[string]any{"name": "A", "mail": "a@example.edu", "initial_password": "x"}, ReasonIDMissing, nil},
		{"bad id", map[string]any{"id": "al ice", "name": "A", "mail": "a@example.edu", "initial_password": "x"}, ReasonIDInvalid, nil},
		{"bidi id", map[string]any{"id": "al\u202eice", "name": "A", "mail": "a@example.edu", "initial_password": "x"}, ReasonIDInvalid, nil},
		{"no name", map[string]any{"id": "a", "name": " ", "mail": "a@example.edu", "initial_password": "x"}, ReasonNameMissing, nil},
		{"control in name", map[string]any{"id": "a", "name": "A\x07", "mail": "a@example.edu", "initial_password": "x"}, ReasonNameInvalid, nil},
		{"long name", map[string]any{"id": "a", "name": strings.Repeat("n", 257), "mail": "a@example.edu", "initial_password": "x"}, ReasonNameInvalid, nil},
		{"no mail", map[string]any{"id": "a", "name": "A", "initial_password": "x"}, ReasonMailMissing, nil},
		{"bad mail", map[string]any{"id": "a", "name": "A", "mail": "not an address", "initial_password": "x"}, ReasonMailInvalid, nil},
		{"bad ou", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "ou": "x\u200by", "initial_password": "x"}, ReasonOUInvalid, nil},
		{"bad locked", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "locked": "maybe", "initial_password": "x"}, ReasonLockedInvalid, nil},
		{"bad disabled", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "disabled": "2", "initial_password": "x"}, ReasonDisabledInvalid, nil},
		{"no password", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu"}, ReasonPasswordMissing, nil},
		{"both", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "password_hash": hash, "initial_password": "Hunter-Two-22"}, ReasonPasswordBoth, nil},
		{"bcrypt", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "password_hash": "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"}, ReasonHashUnsupported, nil},
		{"plain text as hash", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "password_hash": "Hunter-Two-22"}, ReasonHashUnsupported, nil},
		{"argon2i", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "password_hash": strings.Replace(hash, "argon2id", "argon2i", 1)}, ReasonHashUnsupported, nil},
		{"broken argon2id", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "password_hash": hash[:len(hash)-30]}, ReasonHashInvalid, nil},
		{"control in initial", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "initial_password": "Hunter\tTwo"}, ReasonPasswordInvalid, nil},
		{"long initial", map[string]any{"id": "a", "name": "A", "mail": "a@example.edu", "initial_password": strings.Repeat("p", 4097)}, ReasonPasswordInvalid, nil},
	}
	for _, tt := range tests {
		for _, f := range []Format{CSV, JSONL} {
			t.Run(tt.name+"/"+string(f), func(t *testing.T) {
				rd, err := NewAccountReader(strings.NewReader(file(t, f, accounts.fields, tt.fields)), f, rules)
				if err != nil {
					t.Fatal(err)
				}
				items, rejs := readAll(t, rd)
				if tt.reason == "" {
					if len(rejs) != 0 || len(items) != 1 {
						t.Fatalf("refused: %v", rejs)
					}
					if items[0].Line != 2-btoi(f == JSONL) {
						t.Errorf("line %d", items[0].Line)
					}
					tt.check(t, items[0])
					return
				}
				if len(rejs) != 1 || len(items) != 0 || rejs[0].Reason != tt.reason {
					t.Fatalf("got %v, %v; want %s", items, rejs, tt.reason)
				}
				noSecrets(t, rejs[0], hash, "Hunter", "Spaces kept", "$2b$", "R9h/cIPz")
			})
		}
	}
}

// TestRegistrationLines: each way a registrations line is refused, and
// what a taken one holds.
func TestRegistrationLines(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		reason Reason
		check  func(t *testing.T, r Registration)
	}{
		{"both", map[string]any{"id": "Carol", "email": " carol.alt@BÜCHER.de ", "mobile": "07700 900123"}, "",
			func(t *testing.T, r Registration) {
				if r.ID != "carol@example.edu" || r.Email != "carol.alt@xn--bcher-kva.de" || r.Phone != "+447700900123" || !r.ConfirmedAt.IsZero() {
					t.Fatalf("%+v", r)
				}
			}},
		{"email and a time", map[string]any{"id": "dave", "email": "dave.alt@example.net", "confirmed_at": "2026-09-01T10:00:00.1234567+01:00"}, "",
			func(t *testing.T, r Registration) {
				if r.Phone != "" || !r.ConfirmedAt.Equal(time.Date(2026, 9, 1, 9, 0, 0, 123456000, time.UTC)) {
					t.Fatalf("%+v", r)
				}
			}},
		{"no id", map[string]any{"email": "x@example.net"}, ReasonIDMissing, nil},
		{"bad id", map[string]any{"id": "@", "email": "x@example.net"}, ReasonIDInvalid, nil},
		{"nothing", map[string]any{"id": "carol", "email": "", "confirmed_at": "2026-09-01T09:00:00Z"}, ReasonNothingToRegister, nil},
		{"bad email", map[string]any{"id": "carol", "email": "carol.alt"}, ReasonEmailInvalid, nil},
		{"look-alike email", map[string]any{"id": "carol", "email": "carol\u202e@evil.com"}, ReasonEmailInvalid, nil},
		{"bad mobile", map[string]any{"id": "carol", "mobile": "12"}, ReasonMobileInvalid, nil},
		{"landline", map[string]any{"id": "carol", "mobile": "020 7946 0000"}, ReasonMobileNotMobile, nil},
		{"foreign", map[string]any{"id": "carol", "mobile": "+33 6 12 34 56 78"}, ReasonMobileCountry, nil},
		{"bad time", map[string]any{"id": "carol", "email": "c@example.net", "confirmed_at": "yesterday"}, ReasonConfirmedAtInvalid, nil},
		{"future", map[string]any{"id": "carol", "email": "c@example.net", "confirmed_at": "2027-01-01T00:00:00Z"}, ReasonConfirmedAtFuture, nil},
	}
	for _, tt := range tests {
		for _, f := range []Format{CSV, JSONL} {
			t.Run(tt.name+"/"+string(f), func(t *testing.T) {
				rd, err := NewRegistrationReader(strings.NewReader(file(t, f, registrations.fields, tt.fields)), f, rules)
				if err != nil {
					t.Fatal(err)
				}
				items, rejs := readAll(t, rd)
				if tt.reason == "" {
					if len(rejs) != 0 || len(items) != 1 {
						t.Fatalf("refused: %v", rejs)
					}
					tt.check(t, items[0])
					return
				}
				if len(rejs) != 1 || len(items) != 0 || rejs[0].Reason != tt.reason {
					t.Fatalf("got %+v, %v; want %s", items, rejs, tt.reason)
				}
			})
		}
	}
}

// TestMalformedLines: lines that are not records of the file refuse
// themselves alone, with their line numbers; the lines around them are
// read.
func TestMalformedLines(t *testing.T) {
	const ok = `{"id":"a","email":"a@example.net"}`
	tests := []struct {
		name   string
		f      Format
		body   string
		reason Reason
		line   int
	}{
		{"csv field count", CSV, "id,email\na,a@example.net,extra\nb,b@example.net\n", ReasonMalformed, 2},
		{"csv bare quote", CSV, "id,email\na\"b,a@example.net\nb,b@example.net\n", ReasonMalformed, 2},
		{"json syntax", JSONL, "{\"id\":\"a\",\"email\":\"a@ex\\qample.net\"}\n" + ok + "\n", ReasonMalformed, 1},
		{"json not an object", JSONL, "[1,2]\n" + ok + "\n", ReasonMalformed, 1},
		{"json null", JSONL, "null\n" + ok + "\n", ReasonMalformed, 1},
		{"json number", JSONL, "{\"id\":7}\n" + ok + "\n", ReasonMalformed, 1},
		{"json unknown field", JSONL, "\n" + ok + "\n{\"id\":\"b\",\"emial\":\"b@example.net\"}\n", ReasonUnknownField, 3},
		{"json line too long", JSONL, ok + "\n{\"id\":\"" + strings.Repeat("x", MaxLineBytes) + "\"}\n", ReasonLineTooLong, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := NewRegistrationReader(strings.NewReader(tt.body), tt.f, rules)
			if err != nil {
				t.Fatal(err)
			}
			items, rejs := readAll(t, rd)
			if len(rejs) != 1 || rejs[0].Reason != tt.reason || rejs[0].Line != tt.line || len(items) != 1 {
				t.Fatalf("items %+v, rejections %v; want one %s at line %d", items, rejs, tt.reason, tt.line)
			}
			if strings.Contains(rejs[0].Text, "qample") || strings.Contains(rejs[0].Text, "xxxx") {
				t.Fatalf("the message quotes the line: %s", rejs[0].Text)
			}
		})
	}
}

// TestHeaders: a CSV header the kind can't read is an error, before any
// line; one that can is read whatever its case, spaces, order and BOM.
func TestHeaders(t *testing.T) {
	tests := []struct {
		name string
		acct bool
		body string
		err  string // "": taken
	}{
		{"ok", true, "\ufeffID, Name ,MAIL,initial_password\na,A,a@example.edu,pw\n", ""},
		{"reordered", false, "mobile,confirmed_at,id\n07700900123,,a\n", ""},
		{"empty", false, "", "the file is empty"},
		{"unknown column", true, "id,name,mail,initial_password,emial\n", `column 5, "emial", is not one of`},
		{"no header", true, "alice@example.edu,Alice,alice@example.edu,Hunter-Two\n", "(not a field name)"},
		{"twice", false, "id,email,email\n", `column "email" twice`},
		{"no id", false, "email\n", `no "id" column`},
		{"no password column", true, "id,name,mail\n", `no "password_hash" or "initial_password" column`},
		{"nothing to register", false, "id,confirmed_at\n", `no "email" or "mobile" column`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.acct {
				_, err = NewAccountReader(strings.NewReader(tt.body), CSV, rules)
			} else {
				_, err = NewRegistrationReader(strings.NewReader(tt.body), CSV, rules)
			}
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want %q", err, tt.err)
			case err != nil && strings.Contains(err.Error(), "Hunter"):
				t.Fatalf("the error quotes a password: %v", err)
			}
		})
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		named, path string
		want        Format
		err         bool
	}{
		{"", "people.CSV", CSV, false},
		{"", "people.jsonl", JSONL, false},
		{"", "people.ndjson", JSONL, false},
		{"jsonl", "people.csv", JSONL, false},
		{"csv", "-", CSV, false},
		{"", "-", "", true},
		{"", "people.txt", "", true},
		{"xml", "people.csv", "", true},
	}
	for _, tt := range tests {
		got, err := FormatOf(tt.named, tt.path)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("FormatOf(%q, %q) = %q, %v", tt.named, tt.path, got, err)
		}
	}
}

// TestCheckHash: the hashes package secret makes are taken; everything it
// can't verify is refused, as unsupported (another scheme) or invalid.
func TestCheckHash(t *testing.T) {
	h := realHash(t)
	salt := "c2FsdHNhbHRzYWx0c2FsdA"
	key := "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	tests := []struct {
		hash string
		want Reason
	}{
		{h, ""},
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key, ""},
		{"$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + key, ""},
		{"", ReasonHashUnsupported},
		{"{SSHA}abcdef", ReasonHashUnsupported},
		{"$6$rounds=5000$salt$hash", ReasonHashUnsupported},
		{"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", ReasonHashUnsupported},
		{"$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key, ReasonHashUnsupported},
		{"$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$m=19456,t=2,p=1$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$v=19$m=19456,t=2$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$v=19$m=19456,t=+2,p=1$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$v=19$m=4,t=2,p=1$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$v=19$m=2097152,t=2,p=1$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$v=19$m=19456,t=17,p=1$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key, ReasonHashInvalid},
		{"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + key, ReasonHashInvalid},             // a 4-byte salt
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "=$" + key, ReasonHashInvalid},      // padded
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$a2V5", ReasonHashInvalid},         // a 3-byte hash
		{"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$", ReasonHashInvalid}, // 6 parts
	}
	for _, tt := range tests {
		got, why := CheckHash(tt.hash)
		if got != tt.want {
			t.Errorf("CheckHash(%q) = %q (%s), want %q", tt.hash, got, why, tt.want)
		}
		if tt.hash != "" && strings.Contains(why, tt.hash) {
			t.Errorf("CheckHash's reason quotes the hash: %s", why)
		}
	}
	// What is taken is what package secret verifies.
	ok, err := secret.NewArgon2(secret.DefaultParams, 1).Verify(context.Background(), h, goodPassword)
	if err != nil || !ok {
		t.Fatalf("secret.Verify = %v, %v", ok, err)
	}
}

// TestSecretIsRedacted: a Secret prints as [secret] whichever way it is
// formatted, in an Account too.
func TestSecretIsRedacted(t *testing.T) {
	a := Account{ID: "alice@example.edu", InitialPassword: "Hunter-Two-22", PasswordHash: Secret(goodHash)}
	var sb strings.Builder
	log := slog.New(slog.NewJSONHandler(&sb, nil))
	log.Info("account", "account", a, "password", a.InitialPassword)
	js, _ := json.Marshal(a)
	out := fmt.Sprintf("%v %+v %#v %s %q %x %d", a, a, a, a.InitialPassword, a.InitialPassword, a.InitialPassword, a.InitialPassword) + sb.String() + string(js)
	for _, s := range []string{"Hunter", "c2FsdHNh"} {
		if strings.Contains(out, s) {
			t.Fatalf("a secret printed: %s", out)
		}
	}
	if !strings.Contains(out, "[secret]") {
		t.Fatalf("no [secret] in %s", out)
	}
}

// file is a file of one line, fields, in format f: CSV with a header of
// every field named, or one JSON line.
func file(t *testing.T, f Format, names []string, fields map[string]any) string {
	t.Helper()
	if f == JSONL {
		b, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	var head, row []string
	for _, n := range names {
		v, ok := fields[n]
		head = append(head, n)
		if !ok {
			row = append(row, "")
			continue
		}
		s := fmt.Sprint(v)
		if strings.ContainsAny(s, ",\"\n ") {
			s = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		row = append(row, s)
	}
	return strings.Join(head, ",") + "\n" + strings.Join(row, ",") + "\n"
}

// noSecrets fails if the rejection says any of secrets.
func noSecrets(t *testing.T, r Rejection, secrets ...string) {
	t.Helper()
	js, _ := json.Marshal(r)
	for _, s := range secrets {
		if strings.Contains(r.String(), s) || strings.Contains(string(js), s) {
			t.Fatalf("the rejection says %q: %s", s, js)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
