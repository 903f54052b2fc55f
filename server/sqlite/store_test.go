package sqlite_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/sspr-portal/sspr/server/sqlite"
	"github.com/sspr-portal/sspr/server/sspr"
)

// What the store does is the shared table's (TestStoreBehaviour, from
// server/internal/storetest); what is SQLite's own is below.

// Times keep every nanosecond (PostgreSQL keeps microseconds) and come back
// in UTC, the same instants.
func TestStoreTimes(t *testing.T) {
	ctx := context.Background()
	s := sqlite.NewStore(MustOpen(t))
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600))
	want := sspr.Registration{UserID: "zoe@example.edu", Email: "zoe@example.net", EmailConfirmed: at,
		Phone: "+447700900999", PhoneConfirmed: at.Add(time.Second)}
	if err := s.PutRegistration(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Registration(ctx, want.UserID)
	if err != nil || got == nil {
		t.Fatalf("Registration = %+v, %v", got, err)
	}
	want.EmailConfirmed, want.PhoneConfirmed = want.EmailConfirmed.UTC(), want.PhoneConfirmed.UTC()
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("Registration =\n%+v\nwant\n%+v", *got, want)
	}
	e := sspr.Event{At: at, Kind: sspr.EventSignIn, UserID: "zoe@example.edu"}
	if err := s.Record(ctx, e); err != nil {
		t.Fatal(err)
	}
	events, err := s.Events(ctx, sspr.EventQuery{User: "zoe@example.edu"})
	if err != nil || len(events) != 1 || !events[0].At.Equal(at) || events[0].At.Location() != time.UTC || events[0].At.Nanosecond() != 6 {
		t.Fatalf("Events = %+v, %v", events, err)
	}
}
