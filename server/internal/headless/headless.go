// Package headless holds how this project starts Chromium for the browser
// tests (server/e2e) and the page benchmark (server/cmd/pagebench): the
// flags known to work on these machines, and no others, so that what is
// measured is what is tested.
package headless

import "github.com/chromedp/chromedp"

// Options start the Chromium at path, headless, with a profile of its own
// in profileDir (which should be fresh: a cold browser).
func Options(path, profileDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profileDir),
	}
}
