package captcha_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/captcha"
	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/memstate"
	"github.com/sspr-portal/sspr/static"
)

// recorded are the languages spoken from our recordings (static/captcha),
// not by base64Captcha.
var recorded = []string{"cy", "ar"}

// wav is a WAV file as parsed by the tests, apart from the code under
// test.
type wav struct {
	format, channels, bits int
	rate                   int
	data                   []byte
}

func (w wav) duration() time.Duration {
	return time.Duration(len(w.data)) * time.Second / time.Duration(w.rate)
}

// parseWAV checks b is a whole WAV file: RIFF/WAVE, its RIFF size that of
// the file, a fmt chunk, then a data chunk whose size fits.
func parseWAV(tb testing.TB, b []byte) wav {
	tb.Helper()
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		tb.Fatalf("not a WAV file: % x", b[:min(len(b), 12)])
	}
	if size := binary.LittleEndian.Uint32(b[4:]); int(size) != len(b)-8 {
		tb.Fatalf("RIFF size %d, file of %d bytes", size, len(b))
	}
	var w wav
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		if p+8+size > len(b) {
			tb.Fatalf("%q chunk of %d bytes at %d runs past the end (%d)", id, size, p, len(b))
		}
		body := b[p+8 : p+8+size]
		switch id {
		case "fmt ":
			w.format = int(binary.LittleEndian.Uint16(body))
			w.channels = int(binary.LittleEndian.Uint16(body[2:]))
			w.rate = int(binary.LittleEndian.Uint32(body[4:]))
			w.bits = int(binary.LittleEndian.Uint16(body[14:]))
		case "data":
			if w.rate == 0 {
				tb.Fatal("data before fmt")
			}
			if pad := size % 2; p+8+size+pad != len(b) {
				tb.Fatalf("data chunk of %d bytes ends at %d, file at %d", size, p+8+size+pad, len(b))
			}
			w.data = body
			return w
		}
		p += 8 + size + size%2
	}
	tb.Fatal("no data chunk")
	return w
}

// want8k checks w is 8 kHz, 8-bit unsigned mono PCM: base64Captcha's
// format, and the recordings'.
func want8k(tb testing.TB, w wav) {
	tb.Helper()
	if w.format != 1 || w.channels != 1 || w.rate != 8000 || w.bits != 8 {
		tb.Fatalf("format %d, %d channels, %d Hz, %d bits: want PCM mono 8 kHz 8-bit",
			w.format, w.channels, w.rate, w.bits)
	}
}

func recording(tb testing.TB, lang string, digit int) wav {
	tb.Helper()
	b, err := fs.ReadFile(static.FS, fmt.Sprintf("captcha/%s/%d.wav", lang, digit))
	if err != nil {
		tb.Fatal(err)
	}
	return parseWAV(tb, b)
}

func inLang(lang string) context.Context {
	return locale.WithLang(context.Background(), lang)
}

// TestRecordings: every digit of every recorded language is there, as
// the mixing reads it (8 kHz 8-bit mono), short, and not silent.
func TestRecordings(t *testing.T) {
	for _, lang := range recorded {
		t.Run(lang, func(t *testing.T) {
			entries, err := fs.ReadDir(static.FS, "captcha/"+lang)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			want := []string{"0.wav", "1.wav", "2.wav", "3.wav", "4.wav", "5.wav", "6.wav", "7.wav", "8.wav", "9.wav"}
			if !slices.Equal(names, want) {
				t.Fatalf("files %v, want %v", names, want)
			}
			for d := range 10 {
				w := recording(t, lang, d)
				want8k(t, w)
				if dur := w.duration(); dur < 150*time.Millisecond || dur > 800*time.Millisecond {
					t.Errorf("%d: %v long", d, dur)
				}
				lo, hi := slices.Min(w.data), slices.Max(w.data)
				if hi-128 < 30 || 128-lo < 30 {
					t.Errorf("%d: samples %d to %d: next to silent", d, lo, hi)
				}
				if hi == 255 || lo == 0 {
					t.Errorf("%d: samples %d to %d: clipped", d, lo, hi)
				}
			}
		})
	}
}

// TestSoundLanguages: each language's sound is a whole WAV file, long
// enough to hold its digits, drawn afresh at each call.
func TestSoundLanguages(t *testing.T) {
	tests := []struct {
		lang string
		// recorded: spoken from static/captcha/<lang>, whose lengths
		// bound the sound's.
		recorded bool
	}{
		{"en", false},
		{"cy", true},
		{"ar", true},
		{"zh-Hans", false},
		{"fr", false}, // no voice: English's
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			ctx := inLang(tt.lang)
			s, st, _ := mustService(t, captcha.Config{Audio: true, Length: captcha.MaxLength})
			c, _, err := s.Picture(ctx)
			if err != nil {
				t.Fatal(err)
			}
			answer := st.answer(c.ID)
			// At least a second's gap before each digit and after the
			// last; and, where we know them, the digits themselves,
			// sped up by at most 0.95.
			least := time.Duration(len(answer)+1) * time.Second
			if tt.recorded {
				var digits time.Duration
				for _, d := range answer {
					digits += recording(t, tt.lang, int(d-'0')).duration()
				}
				least += digits * 95 / 100
			}
			// At most two seconds of gap each, a second a digit and
			// a second for the beeps.
			most := time.Duration(2*(len(answer)+1)+len(answer)+1) * time.Second
			var prev []byte
			for range 2 {
				b, err := s.Sound(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				w := parseWAV(t, b)
				want8k(t, w)
				if dur := w.duration(); dur < least || dur > most {
					t.Errorf("%d digits in %v, want %v to %v", len(answer), dur, least, most)
				}
				if bytes.Equal(b, prev) {
					t.Error("the same sound twice")
				}
				prev = b
			}
		})
	}
}

// preludeLen is the length of the beeps before the digits in
// base64Captcha's sounds (three beeps of 896 samples and two silences of
// 1600), which are always the same: what tells its voices from ours.
const preludeLen = 3*896 + 2*1600

func prelude(tb testing.TB, b []byte) []byte {
	tb.Helper()
	return parseWAV(tb, b).data[:preludeLen]
}

// TestSoundFallback: a language without a voice is spoken by English's,
// base64Captcha's, not by our recordings'.
func TestSoundFallback(t *testing.T) {
	s, _, _ := mustService(t, captcha.Config{Audio: true, DevAnswer: "424242"})
	c, _, err := s.Picture(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sound := func(lang string) []byte {
		t.Helper()
		b, err := s.Sound(inLang(lang), c.ID)
		if err != nil || b == nil {
			t.Fatalf("Sound in %q: %d bytes, %v", lang, len(b), err)
		}
		return b
	}
	en := prelude(t, sound("en"))
	for _, lang := range []string{"", "fr", "cy-x-unknown", "zh-Hant"} {
		if !bytes.Equal(prelude(t, sound(lang)), en) {
			t.Errorf("%q is not spoken by English's voice", lang)
		}
	}
	for _, lang := range recorded {
		if bytes.Equal(prelude(t, sound(lang)), en) {
			t.Errorf("%q is spoken by base64Captcha's voice", lang)
		}
	}
}

// TestSoundInLanguage: a captcha carries no sound (it is drawn only when
// asked for), and its sound is in the language of the request that asks.
func TestSoundInLanguage(t *testing.T) {
	s, _, _ := mustService(t, captcha.Config{Audio: true})
	c, err := s.Create(inLang("cy"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Audio != "" {
		t.Fatal("Create spoke the captcha")
	}
	raw, err := s.Sound(inLang("cy"), c.ID)
	if err != nil || raw == nil {
		t.Fatalf("Sound = %d bytes, %v", len(raw), err)
	}
	w := parseWAV(t, raw)
	want8k(t, w)
	if w.duration() < time.Duration(captcha.DefaultLength+1)*time.Second {
		t.Fatalf("%v long", w.duration())
	}
	enRaw, err := s.Sound(inLang("en"), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(w.data[:preludeLen], prelude(t, enRaw)) {
		t.Fatal("Welsh captcha spoken by English's voice")
	}
}

// TestSoundNotDigits: a dev answer that isn't digits has no sound in any
// language, as it was never shown.
func TestSoundNotDigits(t *testing.T) {
	s, _, _ := mustService(t, captcha.Config{Audio: true, DevAnswer: "let me in"})
	for _, lang := range []string{"en", "cy", "ar", "zh-Hans"} {
		ctx := inLang(lang)
		c, err := s.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := s.Sound(ctx, c.ID); b != nil || err != nil {
			t.Errorf("%s: %d bytes, %v", lang, len(b), err)
		}
	}
}

// BenchmarkSound draws one captcha's sound in each voice: base64Captcha's
// and our mixing of our recordings should cost about the same.
func BenchmarkSound(b *testing.B) {
	for _, lang := range []string{"en", "cy", "ar", "zh-Hans"} {
		b.Run(lang, func(b *testing.B) {
			s := captcha.New(memstate.New(nil, 1<<20), captcha.Config{Audio: true, DevAnswer: "314159"})
			ctx := inLang(lang)
			c, _, err := s.Picture(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if wav, err := s.Sound(ctx, c.ID); err != nil || wav == nil {
					b.Fatal(err)
				}
			}
		})
	}
}
