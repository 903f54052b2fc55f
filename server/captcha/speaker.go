package captcha

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"path"
)

// A speaker says digits from recordings of our own, for the languages
// base64Captcha has no voice for. It mixes them as base64Captcha's
// ItemAudio does, so that a machine has as hard a time telling the digits
// apart: each digit at its own random speed and volume, random gaps
// between them, all over a background of quiet white noise and of the
// same voice's digits played backwards, which sound like speech to a
// recogniser but are no digit to a person.
//
// Samples are worked on as float32 in the units of 8-bit PCM, 0 being
// silence (the stored byte less 128), and written out as 8 kHz, 8-bit
// unsigned mono PCM in a WAV file, the format of base64Captcha's sounds.
type speaker struct {
	digits   [10][]float32
	reversed [10][]float32 // digits backwards, for the background
}

// The sound's format: that of the recordings and of base64Captcha's.
const (
	sampleRate = 8000 // Hz
	silence    = 128  // the unsigned 8-bit sample of silence
)

// The mixing's randomness, as base64Captcha's ItemAudio (v1.3.8) draws
// it, but for the backward digits' stretch, which it leaves out: varying
// their speed too makes the babble less like a repeated recording.
const (
	// Each digit is stretched by a random factor in this range: its
	// speed, and so its pitch, changes.
	minStretch, maxStretch = 0.95, 1.1
	// Each digit's loudness is voiceGain times a random factor in this
	// range; the recordings peak at 0.55 of full scale
	// (scripts/captcha-voices.sh), so even the loudest digit stays
	// within 8 bits but for the odd peak of noise on top of it, which
	// wavFile clips.
	voiceGain              = 1.5
	minVolume, maxVolume   = 0.85, 1.2
	minGap, maxGap         = sampleRate, 2 * sampleRate // samples, before each digit and after the last
	noiseLevel             = 2                          // white noise, ± this
	babbleEvery            = sampleRate / 10            // one backward digit per this many samples of sound
	minBabble, maxBabble   = 0.04, 0.08                 // a backward digit's loudness
	minBabbleS, maxBabbleS = 0.8, 1.2                   // and its stretch
)

// The beeps that frame the digits, so that a listener knows when to
// listen: three short high ones before, a longer lower one after.
var (
	beep       = tone(1000, sampleRate/10, 45)
	endingBeep = tone(700, sampleRate*14/100, 45)
	beepGap    = make([]float32, sampleRate/5)
)

// loadSpeaker reads the recordings of digits 0 to 9 from dir of fsys, each
// <digit>.wav, 8 kHz 8-bit mono PCM.
func loadSpeaker(fsys fs.FS, dir string) (*speaker, error) {
	sp := new(speaker)
	for d := range sp.digits {
		name := path.Join(dir, fmt.Sprintf("%d.wav", d))
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read recording: %w", err)
		}
		pcm, err := readPCM(b)
		if err != nil {
			return nil, fmt.Errorf("recording %s: %w", name, err)
		}
		if len(pcm) == 0 {
			return nil, fmt.Errorf("recording %s is empty", name)
		}
		sp.digits[d] = make([]float32, len(pcm))
		sp.reversed[d] = make([]float32, len(pcm))
		for i, v := range pcm {
			sp.digits[d][i] = float32(v) - silence
			sp.reversed[d][len(pcm)-1-i] = float32(v) - silence
		}
	}
	return sp, nil
}

// speak says digits ('0' to '9') as a WAV file, mixed afresh each time.
func (sp *speaker) speak(digits string) ([]byte, error) {
	// Draw each digit's speed and loudness and each gap first: they
	// make the length of the track.
	type said struct {
		sound         []float32
		stretch, gain float64
		gapBefore     int
	}
	says := make([]said, len(digits))
	length := 0
	for i := range len(digits) {
		c := digits[i]
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("speak %q: not a digit", c)
		}
		d := said{
			sound:     sp.digits[c-'0'],
			stretch:   between(minStretch, maxStretch),
			gain:      voiceGain * between(minVolume, maxVolume),
			gapBefore: gap(),
		}
		says[i] = d
		length += d.gapBefore + stretchedLen(d.sound, d.stretch)
	}
	length += gap() // after the last digit
	track := sp.background(length)
	at := 0
	for _, d := range says {
		at += d.gapBefore
		at += add(track[at:], d.sound, d.stretch, d.gain)
	}
	return wavFile(beep, beepGap, beep, beepGap, beep, track, endingBeep), nil
}

// gap is a random gap before a digit or after the last, in samples.
func gap() int { return minGap + rand.IntN(maxGap-minGap+1) }

// background makes length samples of quiet white noise strewn with
// backward digits at random places, speeds and volumes: babble in the
// same voice, so that a recogniser can't pick the digits out by the
// voice alone.
func (sp *speaker) background(length int) []float32 {
	b := make([]float32, length)
	for i := range b {
		b[i] = float32(rand.IntN(2*noiseLevel+1) - noiseLevel)
	}
	for range length / babbleEvery {
		s := sp.reversed[rand.IntN(len(sp.reversed))]
		factor := between(minBabbleS, maxBabbleS)
		n := stretchedLen(s, factor)
		if n >= length {
			continue
		}
		add(b[rand.IntN(length-n):], s, factor, between(minBabble, maxBabble))
	}
	return b
}

// between returns a random number in [lo, hi). The mixing needs no
// unpredictability beyond math/rand's: the digits themselves come from
// crypto/rand.
func between(lo, hi float64) float64 { return lo + rand.Float64()*(hi-lo) }

// stretchedLen is the length of s stretched by factor.
func stretchedLen(s []float32, factor float64) int { return int(float64(len(s)) * factor) }

// add mixes s into dst stretched by factor (played that much slower, and
// lower, by linear interpolation) and scaled by gain, in one pass so that
// the hundred-odd sounds of a track cost no copies. dst must hold
// stretchedLen(s, factor) samples, which add returns.
func add(dst, s []float32, factor, gain float64) int {
	n := stretchedLen(s, factor)
	g := float32(gain)
	for i := range dst[:n] {
		t := float64(i) / factor
		j := int(t)
		v := s[len(s)-1]
		if j+1 < len(s) {
			f := float32(t - float64(j))
			v = s[j]*(1-f) + s[j+1]*f
		}
		dst[i] += v * g
	}
	return n
}

// tone is a sine of freq Hz, n samples long, of the given peak, faded in
// and out over 5 ms so that it doesn't click.
func tone(freq float64, n int, peak float64) []float32 {
	fade := sampleRate / 200
	s := make([]float32, n)
	for i := range s {
		g := min(1, float64(i)/float64(fade), float64(n-1-i)/float64(fade))
		s[i] = float32(peak * g * math.Sin(2*math.Pi*freq*float64(i)/sampleRate))
	}
	return s
}

// wavFile writes the parts one after the other as a WAV file of 8 kHz,
// 8-bit unsigned mono PCM, as base64Captcha's ItemAudio.WriteTo does, so
// that browsers play either the same way. Samples beyond 8 bits are
// clipped.
func wavFile(parts ...[]float32) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	pad := n % 2 // RIFF chunks are of even length
	le := binary.LittleEndian
	b := make([]byte, 0, wavHeaderLen+n+pad)
	b = append(b, "RIFF"...)
	b = le.AppendUint32(b, uint32(wavHeaderLen-8+n+pad))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)         // fmt chunk size
	b = le.AppendUint16(b, 1)          // PCM
	b = le.AppendUint16(b, 1)          // mono
	b = le.AppendUint32(b, sampleRate) // frames per second
	b = le.AppendUint32(b, sampleRate) // bytes per second
	b = le.AppendUint16(b, 1)          // bytes per frame
	b = le.AppendUint16(b, 8)          // bits per sample
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(n))
	for _, p := range parts {
		for _, v := range p {
			b = append(b, byte(min(255, max(0, math.Round(float64(v))+silence))))
		}
	}
	if pad == 1 {
		b = append(b, 0)
	}
	return b
}

// wavHeaderLen is the length of the header wavFile writes.
const wavHeaderLen = 44

// readPCM returns the samples of a WAV file of 8 kHz, 8-bit unsigned mono
// PCM, the only format the speaker mixes; any other is an error, not
// converted: the recordings are made in it (scripts/captcha-voices.sh).
func readPCM(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file")
	}
	haveFormat := false
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		if size > len(b)-p-8 {
			return nil, fmt.Errorf("%q chunk runs past the end", id)
		}
		body := b[p+8 : p+8+size]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, errors.New("short fmt chunk")
			}
			le := binary.LittleEndian
			format, channels := le.Uint16(body), le.Uint16(body[2:])
			rate, bits := le.Uint32(body[4:]), le.Uint16(body[14:])
			if format != 1 || channels != 1 || rate != sampleRate || bits != 8 {
				return nil, fmt.Errorf("format %d, %d channels, %d Hz, %d bits: want PCM (1), 1 channel, %d Hz, 8 bits",
					format, channels, rate, bits, sampleRate)
			}
			haveFormat = true
		case "data":
			if !haveFormat {
				return nil, errors.New("data before its format")
			}
			return body, nil
		}
		p += 8 + size + size%2
	}
	return nil, errors.New("no data chunk")
}
