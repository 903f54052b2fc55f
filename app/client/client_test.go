package client_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
)

// fake installs a transport that records the request and answers res.
func fake(t *testing.T, res client.Response, err error) *client.Request {
	t.Helper()
	var got client.Request
	old := client.Transport
	client.Transport = func(r client.Request) (client.Response, error) {
		got = r
		return res, err
	}
	t.Cleanup(func() { client.Transport = old })
	return &got
}

func TestBodies(t *testing.T) {
	tests := []struct {
		name         string
		call         func() error
		method, path string
		body         string
	}{
		{"POST without input sends {}", func() error { _, err := client.SendEmail(); return err },
			"POST", api.PathFlowEmailSend, "{}"},
		{"captcha", func() error { _, err := client.NewCaptcha(); return err }, "POST", api.PathCaptcha, "{}"},
		{"extend flow", func() error { _, err := client.ExtendFlow(); return err }, "POST", api.PathFlowExtend, "{}"},
		{"extend captcha", func() error { _, err := client.ExtendCaptcha("c1"); return err },
			"POST", api.PathCaptchaExtend, `{"id":"c1"}`},
		{"GET has no body", func() error { _, err := client.CurrentFlow(); return err }, "GET", api.PathFlow, ""},
		{"DELETE has no body", func() error { return client.EndFlow() }, "DELETE", api.PathFlow, ""},
		{"start", func() error {
			_, err := client.StartFlow("alice", api.CaptchaRef{ID: "c1", Answer: "424242"})
			return err
		}, "POST", api.PathFlows, `{"user":"alice","captcha":{"id":"c1","answer":"424242"}}`},
		{"intent", func() error { _, err := client.ChooseIntent(api.IntentUnlock); return err },
			"POST", api.PathFlowIntent, `{"intent":"unlock"}`},
		{"answers", func() error { _, err := client.VerifyAnswers(map[string]string{"q1": "blue fox"}); return err },
			"POST", api.PathFlowQuestionsOK, `{"answers":{"q1":"blue fox"}}`},
		{"password", func() error { _, err := client.SetPassword("pw"); return err },
			"POST", api.PathFlowPassword, `{"password":"pw"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fake(t, client.Response{Status: 200, Body: []byte(`{"flow":{"state":"verify"}}`)}, nil)
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if got.Method != tt.method || got.Path != tt.path || string(got.Body) != tt.body {
				t.Errorf("sent %s %s %q, want %s %s %q", got.Method, got.Path, got.Body, tt.method, tt.path, tt.body)
			}
		})
	}
}

func TestFlowDecoded(t *testing.T) {
	fake(t, client.Response{Status: 200, Body: []byte(`{"flow":{"id":"f","state":"verify","required":2,
		"methods":[{"kind":"sms","hint":"••23","verified":false,"code_sent":true,"resend_at":"2026-11-23T12:17:00Z"}]}}`)}, nil)
	f, err := client.CurrentFlow()
	if err != nil {
		t.Fatal(err)
	}
	if f.State != api.StateVerify || len(f.Methods) != 1 || !f.Methods[0].CodeSent || f.Methods[0].ResendAt == nil {
		t.Errorf("flow %+v", f)
	}
}

func TestErrors(t *testing.T) {
	t.Run("API error", func(t *testing.T) {
		fake(t, client.Response{Status: 429, Body: []byte(`{"error":{"code":"throttled","message":"Slow down.","retry_after_seconds":60}}`)}, nil)
		_, err := client.SendEmail()
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != api.CodeThrottled || ae.RetryAfterSeconds != 60 || ae.Message != "Slow down." {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("password rules", func(t *testing.T) {
		fake(t, client.Response{Status: 422, Body: []byte(`{"error":{"code":"password_policy","message":"No.",
			"rules":[{"code":"not_common","message":"Don't use a common password."}]}}`)}, nil)
		_, err := client.SetPassword("password")
		var ae *api.Error
		if !errors.As(err, &ae) || len(ae.Rules) != 1 || ae.Rules[0].Code != api.RuleCommon {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("not the API's answer", func(t *testing.T) {
		fake(t, client.Response{Status: 502, Body: []byte("<html>Bad gateway</html>")}, nil)
		_, err := client.CurrentFlow()
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != api.CodeInternal || ae.Message == "" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("offline", func(t *testing.T) {
		fake(t, client.Response{}, client.ErrOffline)
		if _, err := client.CurrentFlow(); !errors.Is(err, client.ErrOffline) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no browser", func(t *testing.T) {
		if _, err := client.Config(); !errors.Is(err, client.ErrNoBrowser) {
			t.Errorf("outside the browser: err = %v", err)
		}
	})
}

// Now follows the server's clock, from the Date header, when the device's
// is wrong by more than the header's precision.
func TestNow(t *testing.T) {
	server := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	fake(t, client.Response{Status: 200, Body: []byte(`{}`), Date: server}, nil)
	if _, err := client.Config(); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(client.Now()); d < 9*time.Minute || d > 11*time.Minute {
		t.Errorf("skew %v, want about 10m", d)
	}
	fake(t, client.Response{Status: 200, Body: []byte(`{}`), Date: time.Now()}, nil)
	client.Config()
	if d := time.Until(client.Now()); d > 2*time.Second || d < -2*time.Second {
		t.Errorf("skew %v after a right clock, want none", d)
	}
}
