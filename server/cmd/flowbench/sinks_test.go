package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/smtp"
	"strings"
	"testing"
	"time"
)

func TestFindCode(t *testing.T) {
	for _, c := range []struct {
		text string
		want string
		ok   bool
	}{
		{"Your verification code is 12345678\n", "12345678", true},
		{"Example University: your verification code is 00012345. It expires in 10 minutes.", "00012345", true},
		// The help desk's number and other runs of digits are not codes.
		{"Call 01234 567890, or see ticket 123456789, code 1234567", "", false},
		{"12345678", "12345678", true},
		{"a876543210b 11112222", "11112222", true},
		{"", "", false},
	} {
		got, ok := findCode(c.text, 8)
		if got != c.want || ok != c.ok {
			t.Errorf("findCode(%q) = %q, %v; want %q, %v", c.text, got, ok, c.want, c.ok)
		}
	}
}

const multipartMail = "From: password-reset@example.edu\r\n" +
	"To: flowbench-0001@example.net\r\n" +
	"Subject: Example University verification code\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"b1\"\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Your verification code is 24681357\r\n" +
	"\r\n" +
	"Someone, hopefully you, asked for this code on the Example University self-s=\r\n" +
	"ervice password reset portal.\r\n" +
	"--b1\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"<p style=3D\"font-size:28px\">99999999</p>\r\n" +
	"--b1--\r\n"

func TestMessageText(t *testing.T) {
	text, err := messageText([]byte(multipartMail))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "code is 24681357") || !strings.Contains(text, "self-service") || strings.Contains(text, "99999999") {
		t.Errorf("text part: %q", text)
	}
	single := "Subject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"WW91ciBjb2RlIGlz\r\nIDExMjIzMzQ0\r\n"
	if text, err := messageText([]byte(single)); err != nil || text != "Your code is 11223344" {
		t.Errorf("base64 body: %q, %v", text, err)
	}
}

func TestCodeBookGivesEachCodeToItsWaiter(t *testing.T) {
	b := newCodeBook()
	before := time.Now()
	w := b.expect("Flowbench-0001@example.net")
	// A code sent before the wait began is an older flow's.
	if b.deliver("flowbench-0001@example.net", "11111111", before.Add(-time.Second)) {
		t.Error("an old code was handed out")
	}
	// Nobody waits for this one.
	if b.deliver("+447700900001", "22222222", time.Now()) {
		t.Error("a code with no waiter was handed out")
	}
	if !b.deliver("flowbench-0001@EXAMPLE.net", "33333333", time.Now()) {
		t.Fatal("the code was not handed out")
	}
	if code, err := w.wait(context.Background(), time.Second); err != nil || code != "33333333" {
		t.Errorf("wait = %q, %v", code, err)
	}
	// The wait is over: the next code finds nobody.
	if b.deliver("flowbench-0001@example.net", "44444444", time.Now()) || b.pending() != 0 {
		t.Error("a second code was handed to a finished wait")
	}
	w = b.expect("+447700900002")
	b.forget("+447700900002", w)
	if b.pending() != 0 {
		t.Error("forget left the wait")
	}
	if _, err := w.wait(context.Background(), 10*time.Millisecond); err != errCodeTimeout {
		t.Errorf("wait with no code: %v", err)
	}
}

func TestSMTPSinkHandsOutTheCode(t *testing.T) {
	b := newCodeBook()
	s, err := startSMTPSink(b, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	w := b.expect("flowbench-0001@example.net")
	if err := smtp.SendMail(s.Addr, nil, "password-reset@example.edu",
		[]string{"flowbench-0001@example.net"}, []byte(multipartMail)); err != nil {
		t.Fatal(err)
	}
	if code, err := w.wait(context.Background(), 5*time.Second); err != nil || code != "24681357" {
		t.Errorf("code %q, %v", code, err)
	}
	if n := b.messages.Load(); n != 1 {
		t.Errorf("%d messages counted", n)
	}
}

func TestSMSSinkHandsOutTheCode(t *testing.T) {
	b := newCodeBook()
	s, err := startSMSSink(b, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w := b.expect("+447700900001")
	// As server/smsgateway's "json" preset sends it.
	body := fmt.Sprintf(`{"from":"Example","text":%q,"to":"+447700900001"}`,
		"Example University: your verification code is 13572468. It expires in 10 minutes. Never share it.")
	res, err := http.Post(s.URL, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d", res.StatusCode)
	}
	if code, err := w.wait(context.Background(), 5*time.Second); err != nil || code != "13572468" {
		t.Errorf("code %q, %v", code, err)
	}
	res, err = http.Post(s.URL, "application/json", strings.NewReader("not json"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("not JSON: status %d", res.StatusCode)
	}
}
