package captcha

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/mojocn/base64Captcha"

	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/static"
)

// A voice says digits ('0' to '9') as a WAV file, drawn afresh, noise and
// speed random, at each call.
type voice interface {
	speak(digits string) ([]byte, error)
}

// fallbackLang is the language whose voice speaks for a language that has
// none: English, as base64Captcha falls back on, and the portal's source
// language.
const fallbackLang = "en"

// newVoices returns the voice of each of the portal's languages
// (locale.Known) that has one: base64Captcha's where it has one, our
// recordings (static/captcha) where it hasn't.
func newVoices() map[string]voice {
	return map[string]voice{
		"en":      libraryVoice{base64Captcha.NewDriverAudio(0, "en")},
		"zh-Hans": libraryVoice{base64Captcha.NewDriverAudio(0, "zh")},
		"cy":      welsh,
		"ar":      arabic,
	}
}

// voice returns the voice of ctx's language (locale.Lang), English's when
// it has none or is unknown, and nil when the sound is turned off.
func (s *Service) voice(ctx context.Context) voice {
	if s.voices == nil {
		return nil
	}
	if v, ok := s.voices[locale.Lang(ctx)]; ok {
		return v
	}
	return s.voices[fallbackLang]
}

// libraryVoice is one of base64Captcha's voices. The driver's Length is
// not used: it only matters to the library's own answer generator.
type libraryVoice struct{ driver *base64Captcha.DriverAudio }

func (v libraryVoice) speak(digits string) (wav []byte, err error) {
	// The library indexes its sounds by digit and panics on anything
	// else; callers pass digits only, but a panic must not take the
	// request down with it.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("speak %s: %v", v.driver.Language, r)
		}
	}()
	item, err := v.driver.DrawCaptcha(digits)
	if err != nil {
		return nil, fmt.Errorf("speak %s: %w", v.driver.Language, err)
	}
	var b bytes.Buffer
	if _, err := item.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("speak %s: %w", v.driver.Language, err)
	}
	return b.Bytes(), nil
}

// The voices made from our recordings, one per process: each reads and
// decodes its ten files the first time it speaks, not at start, so that a
// portal whose people never ask for Welsh or Arabic sound never pays for
// it, and so that a broken recording is an error of that sound, not a
// portal that won't start.
var (
	welsh  = newRecordedVoice("cy")
	arabic = newRecordedVoice("ar")
)

// recordedVoice speaks with the recordings of static/captcha/<lang>.
type recordedVoice struct {
	lang string
	load func() (*speaker, error)
}

func newRecordedVoice(lang string) *recordedVoice {
	return &recordedVoice{lang: lang, load: sync.OnceValues(func() (*speaker, error) {
		return loadSpeaker(static.FS, "captcha/"+lang)
	})}
}

func (v *recordedVoice) speak(digits string) ([]byte, error) {
	sp, err := v.load()
	if err != nil {
		return nil, fmt.Errorf("load %s voice: %w", v.lang, err)
	}
	wav, err := sp.speak(digits)
	if err != nil {
		return nil, fmt.Errorf("speak %s: %w", v.lang, err)
	}
	return wav, nil
}
