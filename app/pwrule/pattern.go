package pwrule

import "unicode"

// MinEffectiveLength is the effective length (see EffectiveLength) below
// which a password that has a pattern in it is refused (rule not_pattern).
//
// Why 10: NIST SP 800-63B-4 never allows fewer than 8 characters, and a
// pattern is worth about 2 (where it starts, which way it goes), so 10 is
// NIST's 8 characters and one pattern: "qwerty" padded with 8 random
// characters passes, with 7 it doesn't. The margin of 2 over NIST's 8 is
// also needed because the estimator has no dictionary: it counts
// "password" as 8 characters where an attacker needs one guess, so
// "passwordpassword" (9) and "letmeinletmein" (8) must fall below the
// line. And the default minimum of 12 still leaves room for the small
// patterns good passwords have by chance: 12 random characters with "abc"
// in them are worth 11; with "1234", 10.
const MinEffectiveLength = 10

// Patterned reports whether s is built from patterns: it has at least one
// (EffectiveLength(s) is less than its length) and what is left is worth
// less than MinEffectiveLength. A password without any pattern is never
// refused here, however short: that is min_length's job.
func Patterned(s string) bool {
	n := 0
	for range s {
		n++
	}
	e := EffectiveLength(s)
	return e < n && e < MinEffectiveLength
}

// The costs, in characters, of what EffectiveLength finds. A stretch of
// pattern costs about as much as the choices an attacker makes to produce
// it, in the manner of zxcvbn's guess estimates but rounded to whole
// characters.
const (
	// A repeat of earlier text: which earlier text.
	costRepeat = 1
	// A sequence or a straight keyboard walk: where it starts and which
	// way it goes.
	costSequence = 2
	// A zig-zag walk ("1q2w3e4r"): where, and two directions.
	costZigzag = 3

	// The shortest stretches that count. Ordinary words are full of
	// short ones: "were" and "tree" hold 3-key walks and "ace" is a step-2
	// sequence, so those count from 4. 3-letter sequences ("first",
	// "upon") are common too, but as a sequence costs 2, one of 3 saves a
	// single character.
	minRepeat, minSequence, minSequence2, minWalk, minZigzag = 3, 3, 4, 4, 6

	// refWindow is how far back a repeat may look: a password repeating
	// text from more than 64 characters back is long enough anyway, and
	// the window keeps the work linear in the length.
	refWindow = 64
	// spanScan bounds the work per position for long stretches: of a
	// stretch's possible ends, only the spanScan shortest and the spanScan
	// longest are tried. Other ends matter only when another pattern
	// starts in the middle of a long one, and then the estimate errs a
	// little towards accepting.
	spanScan = 8
	// stackRunes is the length up to which EffectiveLength allocates
	// nothing: the default maximum length.
	stackRunes = 256
)

// EffectiveLength estimates how many characters s is worth once its
// patterns are set aside: the cheapest reading of s, left to right, as
// characters that cost 1 each and stretches of pattern that cost a little:
//
//   - a repeat of earlier text, of at least 3 code points, possibly
//     overlapping what it repeats, costs 1: "aaaaaaaa" is "a" and a repeat,
//     2; "passwordpassword" is 9. One separator (anything but a letter or
//     a digit) just before a repeat is free, so "password password" is 9
//     too;
//   - a sequence of letters or digits in code-point order, up or down,
//     stepping by 1 (at least 3: "abc", "987", "αβγ") or by 2 (at least 4:
//     "2468", "あいうえ"), costs 2. ASCII digits wrap: "7890123" is one;
//   - a walk along the keys of a US QWERTY keyboard in one direction, at
//     least 4 keys long, costs 2: rows ("qwerty", "!@#$%^"), columns
//     ("1qaz", "zaq1") and the other diagonal ("xdr5"). Shifted and plain
//     keys are one key. A zig-zag between two directions ("1q2w3e"), at
//     least 6 keys long, costs 3.
//
// Letters are compared lower-cased, and full-width ASCII as ASCII. The
// cheapest reading is found by dynamic programming from the end. The work
// is linear in the length of s (at most about 150 simple steps a code
// point: refWindow comparisons, and spanScan ends for each kind of
// stretch), some 30µs for 256 code points, and up to 256 code points
// nothing is allocated.
func EffectiveLength(s string) int {
	var rbuf [stackRunes]rune
	var bbuf [stackRunes + 1]int
	rs := rbuf[:0]
	for _, r := range s {
		rs = append(rs, normalise(r))
	}
	n := len(rs)
	best := bbuf[:]
	if n+1 > len(best) {
		best = make([]int, n+1)
	}
	// best[i] is the cost of the cheapest reading of rs[i:].
	best[n] = 0

	var (
		// runs[d] is how far rs[i:] matches rs[i-d:].
		runs [refWindow + 1]int
		// What was found at i+1, for the position before it.
		nextRef, nextSeq, nextStraight, nextZig int
		nextKind, nextStep, nextDir, nextDir2   int8
	)
	for i := n - 1; i >= 0; i-- {
		kind := kindOf(rs[i])

		// Repeats of earlier text.
		ref := 0
		for d := 1; d <= min(refWindow, i); d++ {
			if rs[i] == rs[i-d] {
				runs[d]++
			} else {
				runs[d] = 0
			}
			ref = max(ref, runs[d])
		}
		sepRef := 0
		if kind == other {
			sepRef = nextRef
		}

		// Sequences and walks: the step from i to i+1, and the longest
		// stretch from i that keeps to it.
		seq, straight, zig := 1, 1, 1
		var step, dir int8
		if i+1 < n {
			step, dir = seqStep(rs[i], rs[i+1], kind, nextKind), keyDir(rs[i], rs[i+1])
		}
		minSeq := minSequence
		if step == 2 || step == -2 {
			minSeq = minSequence2
		}
		if step != 0 {
			seq = 2
			if step == nextStep {
				seq = nextSeq + 1
			}
		}
		if dir != 0 {
			straight, zig = 2, 2
			if dir == nextDir {
				straight = nextStraight + 1
			}
			if nextDir != 0 {
				zig = 3
				if dir == nextDir2 {
					zig = nextZig + 1
				}
			}
		}

		// The cheapest reading from i: one character, or a stretch of
		// pattern from i (from i+1 for a repeat after a separator), of
		// from lo to hi code points.
		b := 1 + best[i+1]
		for _, sp := range [...]struct{ from, lo, hi, cost int }{
			{i, minRepeat, ref, costRepeat},
			{i + 1, minRepeat, sepRef, costRepeat},
			{i, minSeq, seq, costSequence},
			{i, minWalk, straight, costSequence},
			{i, minZigzag, zig, costZigzag},
		} {
			from, to := sp.from+sp.lo, sp.from+sp.hi
			for e := from; e <= to; e++ {
				if e == from+spanScan && to-spanScan > e {
					e = to - spanScan
				}
				b = min(b, sp.cost+best[e])
			}
		}
		best[i] = b

		nextRef, nextSeq, nextStraight, nextZig = ref, seq, straight, zig
		nextKind, nextStep, nextDir, nextDir2 = kind, step, dir, nextDir
	}
	return best[0]
}

// normalise puts r in the form patterns are compared in: full-width ASCII
// as ASCII (so "ｑｗｅｒｔｙ" is a walk), then lower-case.
func normalise(r rune) rune {
	if r >= 0xff01 && r <= 0xff5e {
		r -= 0xff01 - '!'
	}
	return unicode.ToLower(r)
}

// The kinds of code point, for sequences and separators.
const (
	other int8 = iota // a separator, for repeats
	letter
	digit
)

// kindOf returns the kind of r: letter, digit or other.
func kindOf(r rune) int8 {
	switch {
	case unicode.IsLetter(r):
		return letter
	case unicode.IsDigit(r):
		return digit
	}
	return other
}

// seqStep returns b-a if a and b, of kinds ka and kb, can be neighbours in
// a sequence (both letters or both digits, one or two code points apart),
// else 0. ASCII digits count round: 9 then 0 is a step of 1.
func seqStep(a, b rune, ka, kb int8) int8 {
	if ka != kb || ka == other {
		return 0
	}
	d := b - a
	if ka == digit && a < 0x80 && b < 0x80 {
		d = (d+15)%10 - 5 // -5..4: 9→0 is 1, 0→9 is -1
	}
	if d < -2 || d > 2 {
		return 0
	}
	return int8(d)
}

// keyboard is a US QWERTY keyboard: the plain keys, then the same keys
// shifted, row by row, from the leftmost key that is part of a walk ("`"
// and "~" are left out, so that key c of each row sits between keys c and
// c+1 of the row above). Letters are lower-case only: normalise has
// lower-cased them.
var keyboard = [...]string{
	"1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
	"!@#$%^&*()_+", "qwertyuiop{}|", "asdfghjkl:\"", "zxcvbnm<>?",
}

// keyAt maps an ASCII character to its key: row<<4 | column, plus 1 so
// that 0 means no key. 128 bytes, built from keyboard at start-up.
var keyAt = func() (t [128]uint8) {
	for row, keys := range keyboard {
		for col := range len(keys) {
			t[keys[col]] = uint8(row%4<<4|col) + 1
		}
	}
	return t
}()

// keyDir returns the direction from the key of a to that of b, 1 to 9, if
// they are neighbours, else 0. As the rows are staggered, the neighbours
// of (r, c) are (r, c±1), (r-1, c), (r-1, c+1), (r+1, c-1) and (r+1, c).
func keyDir(a, b rune) int8 {
	if a >= 128 || b >= 128 || keyAt[a] == 0 || keyAt[b] == 0 {
		return 0
	}
	ka, kb := int8(keyAt[a]-1), int8(keyAt[b]-1)
	dr, dc := kb>>4-ka>>4, kb&15-ka&15
	switch {
	case dr == 0 && (dc == 1 || dc == -1), (dr == 1 || dr == -1) && (dc == 0 || dc == -dr):
		return (dr+1)*3 + dc + 2
	}
	return 0
}
