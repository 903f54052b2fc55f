// Package e2e holds the portal's end-to-end browser tests: the real portal,
// started in process in dev mode behind a loopback http.Server, driven
// through the wizard (app/ui, compiled to app.wasm) by a real headless
// Chromium (chromedp).
//
// The tests find the page's parts by the element IDs the wizard promises
// (main#main, form#start-form, input#user, button#next, div#error-summary
// and the rest; see pages_test.go), wait for the text or element they
// expect rather than for a fixed time, read the codes from the dev outbox,
// and check the result in the embedded directory itself.
//
// They need /usr/bin/chromium (scripts/deps.sh installs it for make test).
// Without it they are skipped, except under CI=true, where they fail.
// Screenshots of every step, at 390x844 and 1280x800, go to
// $SSPR_ARTEFACTS, or else to bin/screenshots/ in the repository.
package e2e
