// Package captcha makes and checks the CAPTCHA shown before a flow starts
// and before signing in to register.
//
// base64Captcha is used only to draw the picture and to speak the sound in
// the languages it has a voice for (English, Chinese); Welsh and Arabic
// are spoken from recordings of our own (static/captcha), mixed here the
// way the library mixes its own (speaker). The sound is in the language of
// the request (locale.Lang), English's voice for a language without one.
//
// The answer is kept in our State backend, not in the library's memory
// store: that store's Get never checks age, and it accepted an empty
// answer for an unknown id (CVE-2023-45292; its Captcha.Verify still
// does). Here the answer expires after Config.TTL, is taken (read and
// deleted) by the first Verify whatever it typed, and empty or oversized
// input is refused before the store is touched (docs/SECURITY.md#captcha).
package captcha

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mojocn/base64Captcha"
	"golang.org/x/text/unicode/norm"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/sspr"
)

// Bounds and defaults of Config.
const (
	DefaultLength = 6
	MinLength     = 4
	// MaxLength is the most digits the 240×80 picture holds legibly.
	MaxLength  = 8
	DefaultTTL = 5 * time.Minute
	// MaxAnswerLen bounds a typed answer (bytes) and Config.DevAnswer.
	MaxAnswerLen = 64
)

// Size of the picture, in pixels.
const (
	imageWidth  = 240
	imageHeight = 80
)

// keyPrefix namespaces captcha answers in the State backend.
const keyPrefix = "captcha:"

// idBytes is the entropy of an id: 128 bits, unguessable.
const idBytes = 16

// idLen is the length of an id: idBytes in unpadded base64url.
var idLen = base64.RawURLEncoding.EncodedLen(idBytes)

// Config configures the service. Zero values take the defaults.
type Config struct {
	// Length is the number of digits (default 6, MinLength to MaxLength).
	Length int
	// TTL is how long a captcha can be answered (default 5 minutes), from
	// when it is made or extended (Extend: the page's "Continue"); MaxTTL
	// the most it may have from when it is made (default 3×TTL).
	TTL, MaxTTL time.Duration
	// Audio adds a spoken version of the same digits, for people who can't
	// read the picture, in the language of the request.
	Audio bool
	// DevAnswer, when set, is the answer to every captcha, so that
	// automated tests can get past it. Never set it in production.
	DevAnswer string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Validate reports whether the configuration is usable, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Length < MinLength || c.Length > MaxLength {
		return fmt.Errorf("captcha length %d: must be %d to %d", c.Length, MinLength, MaxLength)
	}
	if c.TTL < 0 || c.MaxTTL < c.TTL {
		return errors.New("captcha ttl must be positive, and its max at least that")
	}
	if len(c.DevAnswer) > MaxAnswerLen || c.DevAnswer != "" && normalise(c.DevAnswer) == "" {
		return errors.New("captcha dev answer must be 1 to 64 characters and not only spaces")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Length == 0 {
		c.Length = DefaultLength
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.MaxTTL == 0 {
		c.MaxTTL = 3 * c.TTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Service creates and verifies captchas. It is safe for concurrent use.
type Service struct {
	store sspr.State
	cfg   Config
	image *base64Captcha.DriverDigit
	// voices are the voices by language (newVoices); nil when the sound
	// is turned off.
	voices map[string]voice
	// devAnswer is cfg.DevAnswer normalised, as stored.
	devAnswer string
}

// New returns a service keeping answers in store. It panics if cfg is not
// valid: check it with Validate when loading the configuration.
func New(store sspr.State, cfg Config) *Service {
	if err := cfg.Validate(); err != nil {
		panic("captcha.New: " + err.Error())
	}
	cfg = cfg.withDefaults()
	s := &Service{
		store:     store,
		cfg:       cfg,
		image:     base64Captcha.NewDriverDigit(imageHeight, imageWidth, cfg.Length, 0.7, 80),
		devAnswer: normalise(cfg.DevAnswer),
	}
	if cfg.Audio {
		s.voices = newVoices()
	}
	return s
}

// Create makes a new captcha: random digits from crypto/rand, kept in the
// store under a fresh 128-bit id for the configured TTL, drawn as a PNG data
// URI. Its sound, when audio is enabled, is at api.CaptchaAudioPath
// (Sound). Errors come from the store or from drawing.
func (s *Service) Create(ctx context.Context) (api.Captcha, error) {
	c, _, err := s.create(ctx)
	return c, err
}

// Picture makes a new captcha as Create does, for a prerendered page, and
// also returns when it expires.
func (s *Service) Picture(ctx context.Context) (api.Captcha, time.Time, error) {
	return s.create(ctx)
}

// Sound speaks the digits of captcha id, as a WAV file in the language of
// ctx (English for one without a voice), without using the captcha up; nil for an unknown, expired or
// malformed id, and nil when the sound is turned off. Each call draws the
// sound afresh, noise and speed random: the language is
// the one the page is in when the person asks, which may not be the one
// it was in when the captcha was made.
func (s *Service) Sound(ctx context.Context, id string) ([]byte, error) {
	v := s.voice(ctx)
	if v == nil || !validID(id) {
		return nil, nil
	}
	kept, err := s.store.Get(ctx, keyPrefix+id)
	if err != nil {
		return nil, fmt.Errorf("read captcha: %w", err)
	}
	answer, _ := decode(kept)
	if !isDigits(answer) {
		return nil, nil // none, or a dev answer that isn't digits, never shown
	}
	wav, err := v.speak(answer)
	if err != nil {
		return nil, fmt.Errorf("speak captcha: %w", err)
	}
	return wav, nil
}

// create makes a captcha: its picture, and its answer kept. It carries
// no sound: the sound is drawn only when someone asks for it (Sound, at
// api.CaptchaAudioPath), which few do, and speaking every captcha cost
// as much again as drawing it (about 3.5 ms each).
func (s *Service) create(ctx context.Context) (api.Captcha, time.Time, error) {
	digits := randomDigits(s.cfg.Length)
	answer := digits
	if s.devAnswer != "" {
		answer = s.devAnswer
		if isDigits(s.devAnswer) && len(s.devAnswer) >= MinLength && len(s.devAnswer) <= MaxLength {
			digits = s.devAnswer // show what the tests will type
		}
	}
	var c api.Captcha
	var err error
	if c.Image, err = draw(s.image, digits); err != nil {
		return api.Captcha{}, time.Time{}, err
	}
	c.ID = newID()
	now := s.cfg.Now()
	c.ExpiresAt, c.EndsBy = now.Add(s.cfg.TTL), now.Add(s.cfg.MaxTTL)
	if err := s.store.Set(ctx, keyPrefix+c.ID, encode(answer, c.EndsBy), s.cfg.TTL); err != nil {
		return api.Captcha{}, time.Time{}, fmt.Errorf("keep captcha: %w", err)
	}
	return c, c.ExpiresAt, nil
}

// ErrGone is Extend's answer for a captcha that is unknown, used or
// expired.
var ErrGone = &sspr.Error{Code: sspr.CodeNotFound, Message: "That picture has expired. Choose New picture."}

// Extend gives captcha id TTL more from now, never past its absolute end:
// the page's "Continue" when it warns that the picture is about to expire
// (WCAG 2.2.1), so that an answer typed slowly is not thrown away. It
// returns when the captcha now expires, and its end; ErrGone for one that
// is unknown, used or expired (a new picture is the way on).
func (s *Service) Extend(ctx context.Context, id string) (expires, ends time.Time, err error) {
	if !validID(id) {
		return time.Time{}, time.Time{}, ErrGone
	}
	err = s.store.Update(ctx, keyPrefix+id, func(cur []byte) ([]byte, time.Duration, error) {
		if cur == nil {
			return nil, 0, ErrGone
		}
		_, ends = decode(cur)
		now := s.cfg.Now()
		expires = now.Add(s.cfg.TTL)
		if expires.After(ends) {
			expires = ends
		}
		// Never shorter than it was: it was last given at most TTL from
		// an earlier now, or its end.
		if !expires.After(now) {
			return nil, 0, ErrGone
		}
		return cur, expires.Sub(now), nil
	})
	if errors.Is(err, ErrGone) {
		return time.Time{}, time.Time{}, ErrGone
	}
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("extend captcha: %w", err)
	}
	return expires, ends, nil
}

// encode is what the store keeps of a captcha: its absolute end, in Unix
// seconds, a colon, and the answer.
func encode(answer string, ends time.Time) []byte {
	return []byte(strconv.FormatInt(ends.Unix(), 10) + ":" + answer)
}

// decode reads what encode kept. A value kept before captchas had an end
// is the answer alone, and ends now: it can't be extended.
func decode(b []byte) (answer string, ends time.Time) {
	v := string(b)
	if sec, a, ok := strings.Cut(v, ":"); ok && isDigits(sec) {
		if n, err := strconv.ParseInt(sec, 10, 64); err == nil {
			return a, time.Unix(n, 0)
		}
	}
	return v, time.Time{}
}

// Verify reports whether answer is the answer to captcha id. Each captcha
// gets one try: the answer is taken from the store before it is compared,
// so a wrong answer burns it as surely as a right one. Unknown, expired,
// reused, empty and oversized ids and answers are false, never an error;
// the error is for a store failure only.
func (s *Service) Verify(ctx context.Context, id, answer string) (bool, error) {
	// Refuse malformed input before touching the store: an empty answer
	// for an unknown id must never match an empty "nothing stored"
	// (CVE-2023-45292), and junk ids never become store keys.
	typed := ""
	if len(answer) <= MaxAnswerLen {
		typed = normalise(answer)
	}
	if typed == "" || !validID(id) {
		return false, nil
	}
	kept, err := s.store.Take(ctx, keyPrefix+id)
	if err != nil {
		return false, fmt.Errorf("take captcha: %w", err)
	}
	want, _ := decode(kept)
	if want == "" {
		return false, nil
	}
	return subtle.ConstantTimeCompare([]byte(typed), []byte(want)) == 1, nil
}

// normalise puts a typed answer into the form answers are stored in:
// compatibility-normalised (so full-width digits from an East Asian input
// method count), lower-cased, with every space removed.
func normalise(s string) string {
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil && len(b) == idBytes
}

func newID() string {
	b := make([]byte, idBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomDigits returns n decimal digits from crypto/rand. Bytes of 250 and
// over are skipped so that every digit is equally likely.
func randomDigits(n int) string {
	out := make([]byte, 0, n)
	var buf [16]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:])
		for _, b := range buf {
			if b < 250 && len(out) < n {
				out = append(out, '0'+b%10)
			}
		}
	}
	return string(out)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// draw renders digits with a base64Captcha driver as a data URI (the
// picture; the sound is a voice's). The library panics on an encoding
// failure; that becomes an error here.
func draw(d base64Captcha.Driver, digits string) (uri string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("draw captcha: %v", r)
		}
	}()
	item, err := d.DrawCaptcha(digits)
	if err != nil {
		return "", fmt.Errorf("draw captcha: %w", err)
	}
	if img, ok := item.(*base64Captcha.ItemDigit); ok {
		return encodePNG(img.Paletted)
	}
	return item.EncodeB64string(), nil
}

// pngEncoder encodes pictures faster and with far less garbage than the
// library's png.Encode, which allocates a fresh ~600 KB compressor for
// every picture: that was 85% of the memory and 60% of the time of Create,
// and captcha creation is what a flood hits
// (docs/SECURITY.md#captcha-flood). Noise compresses badly anyway, so
// BestSpeed costs little in size.
//
// The buffers wait in a list of their own, not a sync.Pool: a pool is
// emptied by every second garbage collection, and argon2id's memory sets
// one off every flow or two, so half the pictures of whole resets got a
// new compressor anyway (flowbench -pprof: 0.3 MB a picture).
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: make(pngBuffers, 2*runtime.GOMAXPROCS(0))}

// pngBuffers keeps at most cap() encoder buffers: as many as pictures are
// drawn at once (drawing takes a CPU), more are dropped.
type pngBuffers chan *png.EncoderBuffer

func (p pngBuffers) Get() *png.EncoderBuffer {
	select {
	case b := <-p:
		return b
	default:
		return nil
	}
}

func (p pngBuffers) Put(b *png.EncoderBuffer) {
	select {
	case p <- b:
	default:
	}
}

func encodePNG(img image.Image) (string, error) {
	var buf bytes.Buffer
	buf.WriteString("data:image/png;base64,")
	enc := base64.NewEncoder(base64.StdEncoding, &buf)
	if err := pngEncoder.Encode(enc, img); err != nil {
		return "", fmt.Errorf("draw captcha: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("draw captcha: %w", err)
	}
	return buf.String(), nil
}
