// Package static embeds the files the server ships: the banned-password
// list, the security-question catalogues, the message templates, the
// catalogues of words (i18n), the CAPTCHA's voices, icons and styles.
// Only the server imports it; the wasm bundle must not.
package static

import "embed"

// FS holds the shipped files, by their path under static/.
//
//go:embed passwords questions templates web i18n captcha
var FS embed.FS
