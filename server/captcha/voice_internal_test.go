package captcha

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/static"
)

// TestVoiceChoice: each of the portal's languages has its own voice, and
// any other language, or none, gets English's.
func TestVoiceChoice(t *testing.T) {
	s := New(nil, Config{Audio: true})
	en := s.voices["en"]
	tests := []struct {
		lang string
		want voice
	}{
		{"en", en},
		{"cy", welsh},
		{"ar", arabic},
		{"zh-Hans", s.voices["zh-Hans"]},
		{"", en},
		{"fr", en},
		{"zh-Hant", en},
		{"CY", en}, // the middleware gives the offered spelling only
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			if got := s.voice(locale.WithLang(t.Context(), tt.lang)); got != tt.want {
				t.Fatalf("voice %#v, want %#v", got, tt.want)
			}
		})
	}
	if v := s.voices["zh-Hans"].(libraryVoice); v.driver.Language != "zh" {
		t.Errorf("zh-Hans is spoken in %q", v.driver.Language)
	}
	for _, lang := range locale.Known {
		if s.voices[lang] == nil {
			t.Errorf("no voice for %s, one of the portal's languages", lang)
		}
	}
	if v := New(nil, Config{}).voice(t.Context()); v != nil {
		t.Fatalf("a voice while the sound is off: %#v", v)
	}
}

// wavOf is a WAV file with the given format, as a header and data.
func wavOf(format, channels, rate, bits int, data []byte) []byte {
	le := binary.LittleEndian
	b := []byte("RIFF")
	b = le.AppendUint32(b, uint32(36+len(data)))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, uint16(format))
	b = le.AppendUint16(b, uint16(channels))
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(rate*channels*bits/8))
	b = le.AppendUint16(b, uint16(channels*bits/8))
	b = le.AppendUint16(b, uint16(bits))
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// TestReadPCM: the speaker reads 8 kHz 8-bit mono PCM and refuses
// anything else rather than play it wrong.
func TestReadPCM(t *testing.T) {
	pcm := []byte{128, 200, 60, 128}
	good := wavOf(1, 1, 8000, 8, pcm)
	tests := []struct {
		name string
		file []byte
		err  string // "" for none
	}{
		{"8 kHz 8-bit mono", good, ""},
		{"ours", wavFile([]float32{0, 72, -68, 0}), ""},
		{"16-bit", wavOf(1, 1, 8000, 16, pcm), "16 bits"},
		{"stereo", wavOf(1, 2, 8000, 8, pcm), "2 channels"},
		{"22 kHz", wavOf(1, 1, 22050, 8, pcm), "22050 Hz"},
		{"float", wavOf(3, 1, 8000, 8, pcm), "format 3"},
		{"truncated", good[:len(good)-2], "past the end"},
		{"no data", good[:36], "no data chunk"},
		{"not RIFF", append([]byte("RIFX"), good[4:]...), "not a WAV"},
		{"empty", nil, "not a WAV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPCM(tt.file)
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err == "" && !bytes.Equal(got, pcm):
				t.Fatalf("samples %v, want %v", got, pcm)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one about %q", err, tt.err)
			}
		})
	}
}

// TestSpeaker: the mixing says every digit at least once over its noise,
// refuses what isn't a digit, and a broken recording is an error, not a
// panic.
func TestSpeaker(t *testing.T) {
	sp, err := loadSpeaker(static.FS, "captcha/cy")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.speak("12a4"); err == nil {
		t.Error("spoke a letter")
	}
	// The digits stand out of the background.
	wav, err := sp.speak("0123456789")
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := readPCM(wav)
	if err != nil {
		t.Fatal(err)
	}
	loud := 0
	for _, v := range pcm {
		if v > 128+40 || v < 128-40 {
			loud++
		}
	}
	if loud == 0 {
		t.Error("no digit stands out of the noise")
	}

	broken := fstest.MapFS{}
	for d := range 10 {
		broken[string(rune('0'+d))+".wav"] = &fstest.MapFile{Data: wavOf(1, 1, 8000, 8, []byte{128, 130})}
	}
	broken["7.wav"] = &fstest.MapFile{Data: wavOf(1, 1, 22050, 16, []byte{0, 0})}
	if _, err := loadSpeaker(broken, "."); err == nil || !strings.Contains(err.Error(), "7.wav") {
		t.Errorf("broken recording: %v", err)
	}
	delete(broken, "3.wav")
	if _, err := loadSpeaker(broken, "."); err == nil || !strings.Contains(err.Error(), "3.wav") {
		t.Errorf("missing recording: %v", err)
	}
}
