package client_test

import (
	"testing"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

func TestAccountCalls(t *testing.T) {
	reg := func(f func() (api.Registration, error)) func() error {
		return func() error { _, err := f(); return err }
	}
	tests := []struct {
		name         string
		call         func() error
		method, path string
		body         string
	}{
		{"sign in", func() error {
			_, err := client.SignIn("carol", "pw", api.CaptchaRef{ID: "c1", Answer: "424242"})
			return err
		}, "POST", api.PathSession, `{"user":"carol","password":"pw","captcha":{"id":"c1","answer":"424242"}}`},
		{"session", func() error { _, err := client.CurrentSession(); return err }, "GET", api.PathSession, ""},
		{"sign out", client.SignOut, "DELETE", api.PathSession, ""},
		{"registration", reg(client.Registration), "GET", api.PathRegistration, ""},
		{"email", reg(func() (api.Registration, error) { return client.RegisterEmail("c@example.net") }),
			"POST", api.PathRegEmail, `{"email":"c@example.net"}`},
		{"email code", reg(func() (api.Registration, error) { return client.ConfirmEmail("123") }),
			"POST", api.PathRegEmailConfirm, `{"code":"123"}`},
		{"sms", reg(func() (api.Registration, error) { return client.RegisterSMS("07700 900321") }),
			"POST", api.PathRegSMS, `{"phone":"07700 900321"}`},
		{"sms code", reg(func() (api.Registration, error) { return client.ConfirmSMS("456") }),
			"POST", api.PathRegSMSConfirm, `{"code":"456"}`},
		{"catalog", func() error { _, err := client.Catalog(); return err }, "GET", api.PathRegQuestionsCatalog, ""},
		{"questions are PUT", reg(func() (api.Registration, error) {
			return client.SetQuestions([]api.AnswerInput{{ID: "first_pet", Answer: "Pickles"}})
		}), "PUT", api.PathRegQuestions, `{"answers":[{"id":"first_pet","answer":"Pickles"}]}`},
		{"remove", reg(func() (api.Registration, error) { return client.RemoveMethod(api.KindSMS) }),
			"DELETE", "/api/v1/registration/sms", ""},
		{"change password", func() error { return client.ChangePassword("old", "new") },
			"POST", api.PathSessionPassword, `{"current":"old","new":"new"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fake(t, client.Response{Status: 200, Body: []byte(`{"registration":{"required":2}}`)}, nil)
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if got.Method != tt.method || got.Path != tt.path || string(got.Body) != tt.body {
				t.Errorf("sent %s %s %q, want %s %s %q", got.Method, got.Path, got.Body, tt.method, tt.path, tt.body)
			}
		})
	}
}

func TestRegistrationDecoded(t *testing.T) {
	fake(t, client.Response{Status: 200, Body: []byte(`{"registration":{"email":{"registered":true,"enabled":true,
		"hint":"c••••@example.net","confirmed_at":"2026-11-23T12:00:00Z"},"sms":{"enabled":true},
		"questions":{"enabled":true},"required":2,"complete":false,"pending":"sms"}}`)}, nil)
	r, err := client.Registration()
	if err != nil {
		t.Fatal(err)
	}
	if !r.Email.Registered || r.Email.ConfirmedAt == nil || r.SMS.Registered || r.Required != 2 || r.Pending != api.KindSMS {
		t.Errorf("registration %+v", r)
	}
}
