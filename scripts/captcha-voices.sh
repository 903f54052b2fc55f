#!/usr/bin/env bash
# captcha-voices.sh: record the digits the audio CAPTCHA speaks in Welsh
# and Arabic.
#
#   scripts/captcha-voices.sh
#
# What: espeak-ng says each digit 0-9 with its Welsh voice ("cy") and its
# Arabic voice ("ar"); a small Go step trims the silence around each word,
# resamples it to 8 kHz, normalises its loudness and writes it as
# static/captcha/<lang>/<digit>.wav: a plain WAV file (44-byte header) of
# 8 kHz, 8-bit unsigned, mono PCM, under a second (most about half a
# second) and a few KB.
#
# Why: the audio CAPTCHA (server/captcha) speaks the digits in the page's
# language. base64Captcha, which draws the picture, has voices for English
# and Chinese only, so for the others server/captcha mixes the sound itself
# from these recordings, embedded in the binary through static.FS. They are
# in the format of base64Captcha's own digit sounds (sounds.go: 8 kHz,
# 8-bit unsigned mono), which is what the mixing code reads and refuses
# anything else; a telephone-quality rate is plenty for digits and keeps
# each captcha's sound small.
#
# The words: Welsh says zero "dim", as when reading out a number (eSpeak
# NG's own "nwl" is rarer); the other Welsh digits are the plain number
# words. Arabic is given the digits themselves: eSpeak NG reads them as the
# standard number words (sifr, wahid, ithnan...), while the same words
# written without vowel marks are misread.
#
# Re-runnable: the output depends only on the eSpeak NG version, so a
# second run rewrites the same bytes. Files are written to a temporary
# folder and moved into place only when every digit of every language is
# done. Needs Go (the project's) and espeak-ng, a Debian package that the
# script installs with apt-get when it runs as root.
#
# How to check:
#   - `go test ./server/captcha/ -run Recordings` checks that every digit
#     of every recorded language is there and is 8 kHz 8-bit mono, short;
#   - `file static/captcha/*/*.wav` says "WAVE audio, Microsoft PCM,
#     8 bit, mono 8000 Hz";
#   - listen: `aplay static/captcha/cy/7.wav` (or any player), or a whole
#     captcha from a running portal at /captcha/audio with the page in
#     Welsh or Arabic.
set -euo pipefail
cd "$(dirname "$0")/.."

out=static/captcha
# Voice, then the text of each digit 0 to 9 (see "The words" above).
declare -A words=(
  [cy]="dim un dau tri pedwar pump chwech saith wyth naw"
  [ar]="0 1 2 3 4 5 6 7 8 9"
)
# eSpeak NG's voice for each of our languages.
declare -A voices=([cy]=cy [ar]=ar)
# Words per minute: eSpeak NG's own rate. English and Welsh digits come
# out at a third to a half of a second, Arabic ones (of two and three
# syllables) at half a second to 0.7 s; slower would only lengthen a
# sound that already leaves one to two seconds between digits.
speed=175

if ! command -v go >/dev/null 2>&1; then
  echo "captcha-voices: Go is not installed (or not on PATH)" >&2
  exit 1
fi
if ! command -v espeak-ng >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "captcha-voices: espeak-ng is missing: sudo apt-get install espeak-ng" >&2
    exit 1
  fi
  echo "captcha-voices: installing espeak-ng"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends espeak-ng
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The Go step: eSpeak NG writes 22,050 Hz 16-bit WAV and cannot write
# another rate, so the conversion to 8 kHz 8-bit is done here, with the
# standard library only.
mkdir -p "$tmp/convert"
cat >"$tmp/convert/go.mod" <<'EOF'
module convert

go 1.22
EOF
cat >"$tmp/convert/main.go" <<'EOF'
// Command convert turns eSpeak NG's WAV files into the CAPTCHA's digit
// recordings: convert IN.wav OUT.wav [IN.wav OUT.wav ...].
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
)

const (
	outRate = 8000
	// cutoff is the low-pass corner before resampling: below the 4 kHz
	// Nyquist limit of the output, so nothing folds back as hiss.
	cutoff = 3600.0
	// taps is the half-width of the resampling filter, in input samples.
	taps = 32
	// floorDB: 10 ms frames this far below the loudest are silence.
	floorDB = -40.0
	// margin is kept around the word, so that soft starts and ends
	// (the "s" of "saith") are not cut.
	margin = 0.015 // seconds
	// fade smooths the cut ends, so that they don't click.
	fade = 0.005 // seconds
	// peak is the loudest sample after normalising, as a share of full
	// scale: that of base64Captcha's own digits (about 0.55), which the
	// mixing then raises by up to 1.8 without clipping.
	peak = 0.55
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 || len(args)%2 != 0 {
		fmt.Fprintln(os.Stderr, "usage: convert IN.wav OUT.wav [IN.wav OUT.wav ...]")
		os.Exit(2)
	}
	for i := 0; i < len(args); i += 2 {
		if err := convert(args[i], args[i+1]); err != nil {
			fmt.Fprintf(os.Stderr, "convert %s: %v\n", args[i], err)
			os.Exit(1)
		}
	}
}

func convert(in, out string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	samples, rate, err := readWAV16(raw)
	if err != nil {
		return err
	}
	samples = trim(samples, rate)
	if len(samples) == 0 {
		return errors.New("nothing but silence")
	}
	pcm := quantise(normalise(resample(samples, rate, outRate)))
	return os.WriteFile(out, wav8(pcm), 0o644)
}

// readWAV16 reads a mono 16-bit PCM WAV file as samples in [-1, 1].
func readWAV16(b []byte) ([]float64, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	var rate int
	var fmtSeen bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8 : min(p+8+size, len(b))]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, 0, errors.New("short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:])
			channels := binary.LittleEndian.Uint16(body[2:])
			bits := binary.LittleEndian.Uint16(body[14:])
			if format != 1 || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("format %d, %d channels, %d bits: want 16-bit mono PCM", format, channels, bits)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			fmtSeen = true
		case "data":
			if !fmtSeen {
				return nil, 0, errors.New("data before fmt")
			}
			s := make([]float64, len(body)/2)
			for i := range s {
				s[i] = float64(int16(binary.LittleEndian.Uint16(body[2*i:]))) / 32768
			}
			return s, rate, nil
		}
		p += 8 + size + size%2
	}
	return nil, 0, errors.New("no data chunk")
}

// trim cuts the silence before and after the word, by the energy of
// 10 ms frames, and fades the new ends in and out.
func trim(s []float64, rate int) []float64 {
	frame := rate / 100
	var energy []float64
	loudest := 0.0
	for i := 0; i+frame <= len(s); i += frame {
		e := 0.0
		for _, v := range s[i : i+frame] {
			e += v * v
		}
		energy = append(energy, e)
		loudest = max(loudest, e)
	}
	if loudest == 0 {
		return nil
	}
	floor := loudest * math.Pow(10, floorDB/10)
	first, last := -1, -1
	for i, e := range energy {
		if e >= floor {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	pad := int(margin * float64(rate))
	start := max(0, first*frame-pad)
	end := min(len(s), (last+1)*frame+pad)
	s = append([]float64(nil), s[start:end]...)
	n := min(int(fade*float64(rate)), len(s)/2)
	for i := range n {
		g := float64(i) / float64(n)
		s[i] *= g
		s[len(s)-1-i] *= g
	}
	return s
}

// resample converts s from rate from to rate to with a Blackman-windowed
// sinc filter, low-passed at cutoff.
func resample(s []float64, from, to int) []float64 {
	ratio := float64(from) / float64(to)
	fc := cutoff / float64(from) // cycles per input sample
	out := make([]float64, int(float64(len(s))/ratio))
	for n := range out {
		t := float64(n) * ratio
		centre := int(math.Floor(t))
		sum := 0.0
		for k := centre - taps + 1; k <= centre+taps; k++ {
			if k < 0 || k >= len(s) {
				continue
			}
			x := t - float64(k)
			sum += s[k] * 2 * fc * sinc(2*fc*x) * blackman(x/float64(taps))
		}
		out[n] = sum
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// blackman is the Blackman window over [-1, 1].
func blackman(x float64) float64 {
	if x <= -1 || x >= 1 {
		return 0
	}
	a := math.Pi * (x + 1)
	return 0.42 - 0.5*math.Cos(a) + 0.08*math.Cos(2*a)
}

func normalise(s []float64) []float64 {
	top := 0.0
	for _, v := range s {
		top = max(top, math.Abs(v))
	}
	if top == 0 {
		return s
	}
	for i := range s {
		s[i] *= peak / top
	}
	return s
}

// quantise makes 8-bit unsigned PCM, 128 being silence.
func quantise(s []float64) []byte {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = byte(max(0, min(255, math.Round(v*127)+128)))
	}
	return b
}

// wav8 wraps 8 kHz 8-bit mono PCM in a 44-byte WAV header.
func wav8(pcm []byte) []byte {
	var b bytes.Buffer
	pad := len(pcm) % 2
	le := binary.LittleEndian
	b.WriteString("RIFF")
	b.Write(le.AppendUint32(nil, uint32(36+len(pcm)+pad)))
	b.WriteString("WAVEfmt ")
	b.Write(le.AppendUint32(nil, 16))
	b.Write(le.AppendUint16(nil, 1)) // PCM
	b.Write(le.AppendUint16(nil, 1)) // mono
	b.Write(le.AppendUint32(nil, outRate))
	b.Write(le.AppendUint32(nil, outRate)) // bytes per second
	b.Write(le.AppendUint16(nil, 1))       // bytes per frame
	b.Write(le.AppendUint16(nil, 8))       // bits per sample
	b.WriteString("data")
	b.Write(le.AppendUint32(nil, uint32(len(pcm))))
	b.Write(pcm)
	if pad == 1 {
		b.WriteByte(0)
	}
	return b.Bytes()
}
EOF
(cd "$tmp/convert" && GOWORK=off GOFLAGS= go build -o ../convert-bin .)

pairs=()
for lang in "${!voices[@]}"; do
  read -r -a w <<<"${words[$lang]}"
  if ((${#w[@]} != 10)); then
    echo "captcha-voices: $lang: ${#w[@]} words, want 10" >&2
    exit 1
  fi
  mkdir -p "$tmp/out/$lang"
  for d in 0 1 2 3 4 5 6 7 8 9; do
    # -z: no pause after the "sentence"; trimming would cut it anyway.
    espeak-ng -v "${voices[$lang]}" -s "$speed" -z -w "$tmp/$lang-$d.wav" "${w[$d]}"
    pairs+=("$tmp/$lang-$d.wav" "$tmp/out/$lang/$d.wav")
  done
done
"$tmp/convert-bin" "${pairs[@]}"

for lang in "${!voices[@]}"; do
  rm -rf "${out:?}/$lang"
  mkdir -p "$out"
  mv "$tmp/out/$lang" "$out/$lang"
  chmod 755 "$out/$lang"
done

total=0
for f in "$out"/*/*.wav; do
  total=$((total + $(stat -c %s "$f")))
done
echo "captcha-voices: wrote $(ls "$out"/*/*.wav | wc -l) recordings, $total bytes, in $out/"
