package notify

import (
	"strings"
	"unicode/utf16"
)

// The GSM 03.38 default alphabet, and its extension table (each extension
// character takes two septets: an escape and itself).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt = "^{}\\[~]|€\f"
)

// SMSUnits counts s the way a phone network does. For a text in the GSM-7
// alphabet it returns the septets (extension characters count two) and
// true; otherwise the UTF-16 code units of the UCS-2 encoding and false.
func SMSUnits(s string) (int, bool) {
	n := 0
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			n++
		case strings.ContainsRune(gsmExt, r):
			n += 2
		default:
			return len(utf16.Encode([]rune(s))), false
		}
	}
	return n, true
}
