package keys_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sspr-portal/sspr/server/keys"
)

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "dev")
	path := filepath.Join(dir, "keys.json")

	k, created, err := keys.LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreate = %v, %v", created, err)
	}
	if err := k.Validate(); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(k.SessionAuth[:32], k.SessionEnc) || bytes.Equal(k.SessionEnc, k.Code) {
		t.Fatal("keys are not independent")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", di.Mode().Perm())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".keys-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %q", leftovers)
	}

	// The second run loads the same keys.
	k2, created, err := keys.LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreate = %v, %v", created, err)
	}
	if !bytes.Equal(k.SessionAuth, k2.SessionAuth) || !bytes.Equal(k.SessionEnc, k2.SessionEnc) || !bytes.Equal(k.Code, k2.Code) {
		t.Fatal("second run got different keys")
	}
	k3, err := keys.Load(path)
	if err != nil || !bytes.Equal(k.Code, k3.Code) {
		t.Fatalf("Load = %v", err)
	}
}

// Several dev servers starting at once end up with one set of keys.
func TestLoadOrCreateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	const n = 8
	var wg sync.WaitGroup
	got := make([]*keys.Keys, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { got[i], _, errs[i] = keys.LoadOrCreate(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreate %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i].Code, got[0].Code) {
			t.Fatalf("LoadOrCreate %d got other keys", i)
		}
	}
}

func TestCreateNeverReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	if _, err := keys.Create(path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if _, err := keys.Create(path); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Create = %v, want fs.ErrExist", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("the key file was replaced")
	}
}

func TestLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	_, err := keys.Load(path)
	if !errors.Is(err, keys.ErrMissing) {
		t.Fatalf("Load = %v, want ErrMissing", err)
	}
	for _, want := range []string{path, "sspr keygen", "--dev"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Load created a file")
	}
}

func TestLoad(t *testing.T) {
	hexKey := func(n int) string { return hex.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	b64Key := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	doc := func(a, e, c string) string {
		return fmt.Sprintf(`{"session_auth": %q, "session_enc": %q, "code": %q}`, a, e, c)
	}
	tests := []struct {
		name string
		body string
		err  string // empty: no error
	}{
		{name: "OK hex", body: doc(hexKey(64), hexKey(32), hexKey(32))},
		{name: "OK base64", body: doc(b64Key(64), b64Key(32), b64Key(32))},
		{name: "OK raw URL base64", body: doc(base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 64)), hexKey(32), hexKey(32))},
		{name: "ErrShortAuth", body: doc(hexKey(32), hexKey(32), hexKey(32)), err: "session_auth: must be 64 bytes, not 32"},
		{name: "ErrLongEnc", body: doc(hexKey(64), hexKey(64), hexKey(32)), err: "session_enc: must be 32 bytes, not 64"},
		{name: "ErrShortBase64Code", body: doc(hexKey(64), hexKey(32), b64Key(16)), err: "code: must be 32 bytes, not 16"},
		{name: "ErrMissingCode", body: `{"session_auth": "` + hexKey(64) + `", "session_enc": "` + hexKey(32) + `"}`, err: "code: missing"},
		{name: "ErrGarbage", body: doc(hexKey(64), hexKey(32), "not a key!"), err: "code: must be 32 bytes"},
		{name: "ErrNotJSON", body: "session_auth=1", err: "not a key file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.json")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			k, err := keys.Load(path)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if err := k.Validate(); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Load = %v, want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	k, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.Encode()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	k2, err := keys.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.SessionAuth, k2.SessionAuth) || !bytes.Equal(k.SessionEnc, k2.SessionEnc) || !bytes.Equal(k.Code, k2.Code) {
		t.Fatal("round trip changed the keys")
	}
	if _, err := (&keys.Keys{}).Encode(); err == nil {
		t.Fatal("Encode of empty keys: no error")
	}
}

// The keys never show up in formatted output, so a careless log line can't
// leak them.
func TestKeysNeverPrinted(t *testing.T) {
	k, err := keys.Generate()
	if err != nil {
		t.Fatal(err)
	}
	secret := hex.EncodeToString(k.Code)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, secret) || strings.Contains(s, fmt.Sprint(k.Code)) {
			t.Fatalf("keys printed: %s", s)
		}
	}
}

// FuzzParse: no key file, however odd, makes Parse panic, and whatever it
// accepts has the right lengths.
func FuzzParse(f *testing.F) {
	f.Add(`{"session_auth": "00", "session_enc": "", "code": "AAAA"}`)
	f.Add(`{"session_auth": 1}`)
	if k, err := keys.Generate(); err == nil {
		if b, err := k.Encode(); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		k, err := keys.Parse([]byte(body))
		if err != nil {
			return
		}
		if err := k.Validate(); err != nil {
			t.Fatalf("Parse accepted bad keys: %v", err)
		}
	})
}
