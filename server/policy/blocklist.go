package policy

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sspr-portal/sspr/app/pwrule"
)

// Blocklist is a set of common and breached passwords (NIST SP 800-63B-4
// §3.1.1.2: refuse "commonly-used, expected, or compromised" values). It is
// built once at start-up and only read afterwards, so one Blocklist is safe
// for use by many goroutines.
//
// The entries are kept sorted in one string, found by binary search, not
// in a map of strings: the garbage collector marks the server's heap at
// every cycle, and a map of tens of thousands of strings was half of what
// it had to mark, where one string and its offsets hold no pointer to
// follow. argon2id allocates its memory afresh for every password hashed
// or checked, so cycles are many.
type Blocklist struct {
	words string   // the entries, sorted, end to end
	ends  []uint32 // entry i is words[ends[i-1]:ends[i]] (ends[-1] is 0)
	// maxLen is the longest entry in bytes: a candidate longer than that
	// cannot be in the set, so it is not looked up.
	maxLen int
}

// LoadBlocklist reads a list of passwords from path in fsys, one a line
// (static/passwords/common.txt ships one: static.FS, "passwords/common.txt").
// Entries are put in the same canonical form as the passwords they are
// compared with (Unicode NFKC, case-folded); blank lines and lines starting
// with "#" are skipped. An empty list is an error, because a portal that
// silently checks against nothing is worse than one that fails to start.
func LoadBlocklist(fsys fs.FS, path string) (*Blocklist, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: open blocklist: %w", err)
	}
	defer f.Close()

	set := make(map[string]struct{}, 1<<16)
	b := &Blocklist{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, fmt.Errorf("policy: blocklist %s: line %q is not UTF-8", path, line)
		}
		w := fold(line)
		set[w] = struct{}{}
		b.maxLen = max(b.maxLen, len(w))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("policy: read blocklist %s: %w", path, err)
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("policy: blocklist %s: %w", path, errEmptyList)
	}
	var words strings.Builder
	for _, w := range slices.Sorted(maps.Keys(set)) {
		words.WriteString(w)
		if words.Len() > math.MaxUint32 {
			return nil, fmt.Errorf("policy: blocklist %s: over 4 GiB", path)
		}
		b.ends = append(b.ends, uint32(words.Len()))
	}
	b.words = words.String()
	return b, nil
}

var errEmptyList = errors.New("no entries")

// Len returns the number of distinct entries. A nil Blocklist has none.
func (b *Blocklist) Len() int {
	if b == nil {
		return 0
	}
	return len(b.ends)
}

// word returns entry i.
func (b *Blocklist) word(i int) string {
	start := uint32(0)
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.words[start:b.ends[i]]
}

// Contains reports whether pw is on the list, or is an entry dressed up in
// the ways people commonly dress one up. pw is first put in canonical form
// (NFKC, case-folded), so "PASSWORD" and full-width "ｐａｓｓｗｏｒｄ" match
// "password". Then each of these is looked up:
//
//   - the whole password;
//   - the password with a run of digits, symbols, punctuation and spaces
//     cut off the end, off the start, and off both ("password123!",
//     "2024password", "!password!" all match "password");
//   - each of those with common l33t substitutions undone: 4 @ → a, 8 → b,
//     3 → e, 6 9 → g, 0 → o, $ 5 → s, 7 + → t, and ! | 1 → i or, in a second
//     try, → l ("P@ssw0rd!" and "p455w0rd" match "password").
//
// A password that is one character repeated ("aaaaaaaaaaaa",
// "111111111111") counts as listed too: nothing is easier to guess, and such
// strings are too many to list.
//
// That is at most twelve binary searches for strings no longer than pw
// (about 16 comparisons each in a list of 47,000), with no hashing of the
// password in the cryptographic sense and no backtracking. A nil Blocklist contains nothing.
func (b *Blocklist) Contains(pw string) bool {
	if b.Len() == 0 || pw == "" {
		return false
	}
	s := fold(pw)
	if oneRuneRepeated(s) {
		return true
	}
	for _, c := range [...]string{
		s,
		strings.TrimRightFunc(s, isDecoration),
		strings.TrimLeftFunc(s, isDecoration),
		strings.TrimFunc(s, isDecoration),
	} {
		if c == "" {
			continue
		}
		if b.has(c) || b.has(pwrule.UnleetI.Replace(c)) || b.has(pwrule.UnleetL.Replace(c)) {
			return true
		}
	}
	return false
}

func (b *Blocklist) has(s string) bool {
	if len(s) > b.maxLen {
		return false
	}
	i := sort.Search(len(b.ends), func(i int) bool { return b.word(i) >= s })
	return i < len(b.ends) && b.word(i) == s
}

// isDecoration reports whether r is the kind of character people pad a
// common password with to get it past composition rules.
func isDecoration(r rune) bool {
	return unicode.IsNumber(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
}

// oneRuneRepeated reports whether s is one character, at least twice.
func oneRuneRepeated(s string) bool {
	first, size := utf8.DecodeRuneInString(s)
	if size == len(s) {
		return false
	}
	for _, r := range s[size:] {
		if r != first {
			return false
		}
	}
	return true
}
