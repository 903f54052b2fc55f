package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/httpapi"
	"github.com/sspr-portal/sspr/server/outbox"
	"github.com/sspr-portal/sspr/server/sspr"
)

func outboxMsg(i int) sspr.Message {
	return sspr.Message{
		Channel: sspr.Email,
		To:      fmt.Sprintf("user%d@example.net", i),
		Subject: fmt.Sprintf("Your code %d", i),
		Body:    fmt.Sprintf("Your code is 9%07d.", i),
		Code:    fmt.Sprintf("9%07d", i),
	}
}

// TestDevOutbox: GET /dev/outbox shows the dev outbox's messages in the
// wire's shape (the handler on its own; TestProductionMode checks that only
// dev mode serves it).
func TestDevOutbox(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	o := outbox.New(5, func() time.Time { return t0 }, nil)
	srv := httptest.NewServer(httpapi.OutboxHandler(o))
	t.Cleanup(srv.Close)
	send := func(t *testing.T, m sspr.Message) {
		t.Helper()
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}

	get := func(t *testing.T) (*http.Response, []byte) {
		t.Helper()
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, body
	}
	t.Run("empty is [] not null", func(t *testing.T) {
		res, body := get(t)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		if got := strings.TrimSpace(string(body)); got != `{"messages":[]}` {
			t.Fatalf("body %s", got)
		}
	})
	t.Run("OK", func(t *testing.T) {
		send(t, outboxMsg(1))
		send(t, outboxMsg(2))
		res, body := get(t)
		for h, want := range map[string]string{
			"Cache-Control": "no-store",
			"Content-Type":  "application/json; charset=utf-8",
		} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
		var ob api.Outbox
		if err := json.Unmarshal(body, &ob); err != nil {
			t.Fatal(err)
		}
		if len(ob.Messages) != 2 || ob.Messages[0].Code != outboxMsg(1).Code || ob.Messages[1].To != outboxMsg(2).To ||
			!ob.Messages[1].SentAt.Equal(t0) {
			t.Fatalf("got %+v", ob.Messages)
		}
		want := api.OutboxMessage{Channel: "email", To: outboxMsg(1).To, Subject: outboxMsg(1).Subject,
			Body: outboxMsg(1).Body, Code: outboxMsg(1).Code, SentAt: t0}
		if ob.Messages[0] != want {
			t.Fatalf("got %+v, want %+v", ob.Messages[0], want)
		}
	})
	t.Run("ErrMethodNotAllowed", func(t *testing.T) {
		res, err := http.Post(srv.URL, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var eb api.ErrorBody
		if err := json.NewDecoder(res.Body).Decode(&eb); err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusMethodNotAllowed || eb.Error == nil || eb.Error.Code != api.CodeMethodNotAllowed {
			t.Fatalf("status %d, body %+v", res.StatusCode, eb.Error)
		}
		if res.Header.Get("Allow") == "" {
			t.Error("no Allow header")
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		h := httpapi.OutboxHandler(o)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					if err := o.Send(context.Background(), outboxMsg(g*1000+i)); err != nil {
						t.Error(err)
					}
					if i%10 == 0 {
						h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, api.PathDevOutbox, nil))
					}
				}
			})
		}
		wg.Wait()
	})
}
