package ui_test

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/sspr-portal/sspr/app/ui"
)

func TestStartPage(t *testing.T) {
	e := app.NewTestEngine()
	p := &ui.StartPage{}
	if err := e.Load(p); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	// page > main > h1
	if err := app.Match(app.H1().Text("Get back into your account"), p, 0, 1, 0); err != nil {
		t.Error(err)
	}
	html := app.HTMLString(p)
	for _, want := range []string{
		"Get back into your account",
		`href="/register"`,
		"Register for self-service password reset",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("start page lacks %q:\n%s", want, html)
		}
	}
}

func TestRegisterPage(t *testing.T) {
	e := app.NewTestEngine()
	p := &ui.RegisterPage{}
	if err := e.Load(p); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	if err := app.Match(app.H1().Text("Register for self-service password reset"), p, 0, 1, 0); err != nil {
		t.Error(err)
	}
}

func TestDevBanner(t *testing.T) {
	t.Setenv(ui.EnvDev, "")
	if html := app.HTMLString(&ui.DevBanner{}); strings.Contains(html, "Development mode") {
		t.Errorf("banner shown outside dev mode: %s", html)
	}
	t.Setenv(ui.EnvDev, "1")
	html := app.HTMLString(&ui.DevBanner{})
	if !strings.Contains(html, "Development mode") || !strings.Contains(html, `href="/dev/outbox"`) {
		t.Errorf("dev banner: %s", html)
	}
}
