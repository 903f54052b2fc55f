package captcha_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image/png"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/captcha"
	"github.com/sspr-portal/sspr/server/internal/testkit"
	"github.com/sspr-portal/sspr/server/memstate"
)

// spy is a real memstate store that remembers the answers it was given, so
// tests can answer random captchas, and counts how often it was asked.
type spy struct {
	*memstate.Store
	mu      sync.Mutex
	answers map[string]string
	takes   atomic.Int64
}

func (s *spy) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	_, answer, _ := strings.Cut(string(value), ":") // after its end
	s.answers[strings.TrimPrefix(key, "captcha:")] = answer
	s.mu.Unlock()
	return s.Store.Set(ctx, key, value, ttl)
}

func (s *spy) Take(ctx context.Context, key string) ([]byte, error) {
	s.takes.Add(1)
	return s.Store.Take(ctx, key)
}

func (s *spy) answer(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answers[id]
}

func mustService(tb testing.TB, cfg captcha.Config) (*captcha.Service, *spy, *testkit.Clock) {
	tb.Helper()
	c := testkit.NewClock(time.Time{}) // testkit.Epoch
	st := &spy{Store: memstate.New(c.Now, 1000), answers: map[string]string{}}
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	return captcha.New(st, cfg), st, c
}

func mustCreate(tb testing.TB, s *captcha.Service) (id string, image, audio string) {
	tb.Helper()
	c, err := s.Create(context.Background())
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return c.ID, c.Image, c.Audio
}

func verify(tb testing.TB, s *captcha.Service, id, answer string) bool {
	tb.Helper()
	ok, err := s.Verify(context.Background(), id, answer)
	if err != nil {
		tb.Fatalf("Verify: %v", err)
	}
	return ok
}

func TestVerify(t *testing.T) {
	t.Run("OK once", func(t *testing.T) {
		s, st, _ := mustService(t, captcha.Config{})
		id, _, _ := mustCreate(t, s)
		answer := st.answer(id)
		if len(answer) != captcha.DefaultLength || strings.Trim(answer, "0123456789") != "" {
			t.Fatalf("answer %q is not %d digits", answer, captcha.DefaultLength)
		}
		if !verify(t, s, id, answer) {
			t.Fatal("right answer refused")
		}
		if verify(t, s, id, answer) {
			t.Fatal("reused captcha accepted")
		}
	})
	t.Run("a wrong answer burns it", func(t *testing.T) {
		s, st, _ := mustService(t, captcha.Config{})
		id, _, _ := mustCreate(t, s)
		if verify(t, s, id, "x") {
			t.Fatal("wrong answer accepted")
		}
		if verify(t, s, id, st.answer(id)) {
			t.Fatal("right answer accepted after a wrong one")
		}
	})
	t.Run("expires after five minutes", func(t *testing.T) {
		s, st, c := mustService(t, captcha.Config{})
		late, _, _ := mustCreate(t, s)
		inTime, _, _ := mustCreate(t, s)
		c.Advance(captcha.DefaultTTL - time.Second)
		if !verify(t, s, inTime, st.answer(inTime)) {
			t.Fatal("refused just before expiry")
		}
		c.Advance(time.Second)
		if verify(t, s, late, st.answer(late)) {
			t.Fatal("accepted after expiry")
		}
	})
	t.Run("spaces, case and full-width digits are forgiven", func(t *testing.T) {
		s, st, _ := mustService(t, captcha.Config{})
		for _, typed := range []func(string) string{
			func(a string) string { return " " + a[:3] + " " + a[3:] + "\t" },
			func(a string) string { // full-width digits, as an IME types them
				return strings.Map(func(r rune) rune { return r - '0' + '０' }, a)
			},
		} {
			id, _, _ := mustCreate(t, s)
			if !verify(t, s, id, typed(st.answer(id))) {
				t.Errorf("answer %q refused", typed(st.answer(id)))
			}
		}
	})
	t.Run("parallel answers: exactly one succeeds", func(t *testing.T) {
		s, st, _ := mustService(t, captcha.Config{})
		id, _, _ := mustCreate(t, s)
		answer := st.answer(id)
		var wins atomic.Int64
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if ok, err := s.Verify(context.Background(), id, answer); err == nil && ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d successes, want 1", wins.Load())
		}
	})
}

// TestVerifyMalformed covers docs/SECURITY.md#captcha-reuse and
// CVE-2023-45292: each of these is false, and none reaches the store.
func TestVerifyMalformed(t *testing.T) {
	s, st, _ := mustService(t, captcha.Config{})
	id, _, _ := mustCreate(t, s)
	answer := st.answer(id)
	unknown := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	tests := []struct {
		name, id, answer string
	}{
		{"empty id and answer", "", ""},
		{"empty answer, unknown id (the CVE)", unknown, ""},
		{"empty answer, real id", id, ""},
		{"blank answer", id, " \t\n"},
		{"empty id", "", answer},
		{"oversized answer", id, answer + strings.Repeat(" ", 100)},
		{"oversized id", id + strings.Repeat("A", 1000), answer},
		{"short id", id[:10], answer},
		{"id not base64url", id[:len(id)-1] + "!", answer},
		{"id with a store key in it", "x:" + id[2:], answer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if verify(t, s, tt.id, tt.answer) {
				t.Fatal("accepted")
			}
		})
	}
	if n := st.takes.Load(); n != 0 {
		t.Fatalf("the store was asked %d times", n)
	}
	t.Run("unknown id", func(t *testing.T) {
		if verify(t, s, unknown, answer) {
			t.Fatal("accepted")
		}
	})
	// None of the malformed calls burned the real captcha.
	if !verify(t, s, id, answer) {
		t.Fatal("the real captcha was burned by malformed calls")
	}
}

func TestCreate(t *testing.T) {
	t.Run("image is a 240x80 PNG data URI", func(t *testing.T) {
		s, _, _ := mustService(t, captcha.Config{})
		_, img, audio := mustCreate(t, s)
		const prefix = "data:image/png;base64,"
		if !strings.HasPrefix(img, prefix) {
			t.Fatalf("image starts %.40q", img)
		}
		raw, err := base64.StdEncoding.DecodeString(img[len(prefix):])
		if err != nil {
			t.Fatal(err)
		}
		pic, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if b := pic.Bounds(); b.Dx() != 240 || b.Dy() != 80 {
			t.Fatalf("image is %v", b)
		}
		if audio != "" {
			t.Fatal("audio present while disabled")
		}
	})
	t.Run("audio is a WAV file, drawn when asked for, when enabled", func(t *testing.T) {
		s, _, _ := mustService(t, captcha.Config{Audio: true})
		id, _, audio := mustCreate(t, s)
		if audio != "" {
			t.Fatal("Create spoke the captcha: its sound is drawn only when asked for")
		}
		raw, err := s.Sound(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) < 44 || string(raw[:4]) != "RIFF" || string(raw[8:12]) != "WAVE" {
			t.Fatalf("not a WAV file: % x", raw[:min(len(raw), 12)])
		}
	})
	t.Run("ids are 128-bit base64url and distinct", func(t *testing.T) {
		s, _, _ := mustService(t, captcha.Config{Length: captcha.MinLength})
		seen := map[string]bool{}
		for range 50 {
			id, _, _ := mustCreate(t, s)
			b, err := base64.RawURLEncoding.DecodeString(id)
			if err != nil || len(b) != 16 {
				t.Fatalf("id %q: %d bytes, %v", id, len(b), err)
			}
			if seen[id] {
				t.Fatalf("id %q repeated", id)
			}
			seen[id] = true
		}
	})
	t.Run("lengths", func(t *testing.T) {
		for _, n := range []int{captcha.MinLength, captcha.MaxLength} {
			s, st, _ := mustService(t, captcha.Config{Length: n, Audio: true})
			id, _, _ := mustCreate(t, s)
			if got := len(st.answer(id)); got != n {
				t.Errorf("Length %d: answer of %d digits", n, got)
			}
		}
	})
	t.Run("DevAnswer", func(t *testing.T) {
		for _, dev := range []string{"123456", "Let Me In"} {
			s, st, _ := mustService(t, captcha.Config{DevAnswer: dev})
			a, _, _ := mustCreate(t, s)
			b, _, _ := mustCreate(t, s)
			if st.answer(a) != st.answer(b) {
				t.Fatalf("DevAnswer %q: answers differ", dev)
			}
			if !verify(t, s, a, strings.ToUpper(dev)) {
				t.Errorf("DevAnswer %q refused", dev)
			}
			if verify(t, s, b, "wrong") || verify(t, s, b, dev) {
				t.Errorf("DevAnswer %q: one try only", dev)
			}
		}
	})
}

var errDown = errors.New("store down")

type downStore struct{}

func (downStore) Set(context.Context, string, []byte, time.Duration) error { return errDown }
func (downStore) Take(context.Context, string) ([]byte, error)             { return nil, errDown }
func (downStore) Get(context.Context, string) ([]byte, error)              { return nil, errDown }
func (downStore) Delete(context.Context, string) error                     { return errDown }
func (downStore) Incr(context.Context, string, time.Duration) (int64, error) {
	return 0, errDown
}
func (downStore) Update(context.Context, string, func([]byte) ([]byte, time.Duration, error)) error {
	return errDown
}

func TestStoreDown(t *testing.T) {
	s := captcha.New(downStore{}, captcha.Config{})
	if _, err := s.Create(context.Background()); !errors.Is(err, errDown) {
		t.Errorf("Create: err %v, want the store's", err)
	}
	id := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	ok, err := s.Verify(context.Background(), id, "123456")
	if ok || !errors.Is(err, errDown) {
		t.Errorf("Verify = %v, %v; want false and the store's error", ok, err)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  captcha.Config
		ok   bool
	}{
		{"zero is the defaults", captcha.Config{}, true},
		{"shortest", captcha.Config{Length: captcha.MinLength}, true},
		{"longest", captcha.Config{Length: captcha.MaxLength}, true},
		{"ErrTooShort", captcha.Config{Length: captcha.MinLength - 1}, false},
		{"ErrTooLong", captcha.Config{Length: captcha.MaxLength + 1}, false},
		{"ErrNegativeTTL", captcha.Config{TTL: -time.Second}, false},
		{"ErrMaxBelowTTL", captcha.Config{TTL: time.Minute, MaxTTL: time.Second}, false},
		{"ErrBlankDevAnswer", captcha.Config{DevAnswer: "  "}, false},
		{"ErrLongDevAnswer", captcha.Config{DevAnswer: strings.Repeat("1", 65)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v", err)
			}
			defer func() {
				if r := recover(); (r == nil) != tt.ok {
					t.Fatalf("New panicked: %v", r)
				}
			}()
			captcha.New(downStore{}, tt.cfg)
		})
	}
}

// BenchmarkCreate: a CAPTCHA without and with its sound (drawn only when
// asked for), and with two garbage collections before each, as argon2id's
// allocations bring about in whole resets: B/op shows whether the PNG
// encoder's buffers (~300 KB) outlive them.
func BenchmarkCreate(b *testing.B) {
	for _, tc := range []struct {
		name      string
		audio, gc bool
	}{{"image", false, false}, {"image+audio", true, false}, {"image/after-GC", false, true}} {
		b.Run(tc.name, func(b *testing.B) {
			s := captcha.New(memstate.New(nil, 1<<20), captcha.Config{Audio: tc.audio})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if tc.gc {
					b.StopTimer()
					runtime.GC()
					runtime.GC()
					b.StartTimer()
				}
				if _, err := s.Create(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPictureAndSound: a page's captcha carries its picture and no sound;
// the sound of the same digits is drawn when asked for, any number of
// times, without using the captcha up, and only while it lives.
func TestPictureAndSound(t *testing.T) {
	ctx := context.Background()
	st := memstate.New(nil, 0)
	s := captcha.New(st, captcha.Config{Audio: true, DevAnswer: "424242"})
	c, expires, err := s.Picture(ctx)
	if err != nil || c.Audio != "" || !strings.HasPrefix(c.Image, "data:image/png;base64,") {
		t.Fatalf("Picture: %+v, %v", c, err)
	}
	if left := time.Until(expires); left < 4*time.Minute || left > 5*time.Minute {
		t.Fatalf("expires in %v", left)
	}
	for range 2 {
		wav, err := s.Sound(ctx, c.ID)
		if err != nil || len(wav) < 1000 || string(wav[:4]) != "RIFF" {
			t.Fatalf("Sound: %d bytes, %v", len(wav), err)
		}
	}
	if wav, err := s.Sound(ctx, "not-an-id"); wav != nil || err != nil {
		t.Fatalf("Sound of a bad id: %d bytes, %v", len(wav), err)
	}
	if ok, _ := s.Verify(ctx, c.ID, "424242"); !ok {
		t.Fatal("listening used the captcha up")
	}
	if wav, _ := s.Sound(ctx, c.ID); wav != nil {
		t.Fatal("a used captcha still speaks")
	}
	silent := captcha.New(st, captcha.Config{})
	c, _, _ = silent.Picture(ctx)
	if wav, _ := silent.Sound(ctx, c.ID); wav != nil {
		t.Fatal("sound while audio is off")
	}
}

// "Continue" (Extend) gives a captcha TTL more from now, never past its
// end, and the same picture keeps its answer; a used, expired or unknown
// one is gone.
func TestExtend(t *testing.T) {
	ctx := context.Background()
	s, st, clock := mustService(t, captcha.Config{TTL: 5 * time.Minute, MaxTTL: 12 * time.Minute})
	made := clock.Now()
	c, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ExpiresAt.Equal(made.Add(5*time.Minute)) || !c.EndsBy.Equal(made.Add(12*time.Minute)) {
		t.Fatalf("a new captcha expires %v and ends %v after it is made", c.ExpiresAt.Sub(made), c.EndsBy.Sub(made))
	}
	for _, tt := range []struct{ at, want time.Duration }{
		{4 * time.Minute, 9 * time.Minute},
		{8 * time.Minute, 12 * time.Minute}, // its end, not 13 minutes
		{11 * time.Minute, 12 * time.Minute},
	} {
		clock.Set(made.Add(tt.at))
		exp, ends, err := s.Extend(ctx, c.ID)
		if err != nil || exp.Sub(made) != tt.want || !ends.Equal(c.EndsBy) {
			t.Errorf("extended at %v: expires %v after it was made, ends %v, %v; want %v", tt.at, exp.Sub(made), ends.Sub(made), err, tt.want)
		}
	}
	// Still there past its first five minutes, with the same answer.
	if !verify(t, s, c.ID, st.answer(c.ID)) {
		t.Error("the extended captcha's answer no longer matches")
	}
	// Used: gone.
	if _, _, err := s.Extend(ctx, c.ID); err != captcha.ErrGone {
		t.Errorf("a used captcha extended: %v", err)
	}
	// Expired at its end: gone.
	c, _ = s.Create(ctx)
	clock.Advance(5 * time.Minute)
	if _, _, err := s.Extend(ctx, c.ID); err != captcha.ErrGone {
		t.Errorf("an expired captcha extended: %v", err)
	}
	for _, id := range []string{"", "junk", strings.Repeat("A", 22)} {
		if _, _, err := s.Extend(ctx, id); err != captcha.ErrGone {
			t.Errorf("Extend(%q) = %v, want ErrGone", id, err)
		}
	}
}
