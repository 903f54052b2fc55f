package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// memStore is a registrations Sink in memory, by PlanRegistration's rules.
type memStore struct {
	regs    map[string]StoredRegistration
	batches []int // each batch's size
	fail    error
}

func (m *memStore) sink(_ context.Context, batch []Registration, dryRun bool) ([]Result, error) {
	if m.fail != nil {
		return nil, m.fail
	}
	m.batches = append(m.batches, len(batch))
	res := make([]Result, len(batch))
	for i, r := range batch {
		var stored *StoredRegistration
		if s, ok := m.regs[r.ID]; ok {
			stored = &s
		}
		next, out := PlanRegistration(stored, r, rules.Now)
		res[i] = Result{Outcome: out}
		if !dryRun {
			m.regs[r.ID] = next
		}
	}
	return res, nil
}

// lines is a registrations file of n lines, id0 to id(n-1), with the
// lines at bad (0-based) not addresses.
func lines(n int, bad ...int) string {
	var b strings.Builder
	b.WriteString("id,email\n")
	for i := range n {
		addr := fmt.Sprintf("user%d.alt@example.net", i)
		for _, x := range bad {
			if x == i {
				addr = "not an address"
			}
		}
		fmt.Fprintf(&b, "id%d,%s\n", i, addr)
	}
	return b.String()
}

func run(t *testing.T, m *memStore, body string, o Options[Registration]) (Summary, []Rejection, error) {
	t.Helper()
	rd, err := NewRegistrationReader(strings.NewReader(body), CSV, rules)
	if err != nil {
		t.Fatal(err)
	}
	var rejs []Rejection
	o.Sink = m.sink
	if o.Seen == nil {
		o.Seen = MemorySeen{}
	}
	o.Reject = func(r Rejection) error { rejs = append(rejs, r); return nil }
	sum, err := Run(context.Background(), rd, o)
	return sum, rejs, err
}

// TestRun: lines are written in batches of the size asked, bad lines are
// reported in order with the counts, and a second run finds everything
// unchanged.
func TestRun(t *testing.T) {
	m := &memStore{regs: map[string]StoredRegistration{}}
	body := lines(25, 3, 17)
	sum, rejs, err := run(t, m, body, Options[Registration]{Batch: 10})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Read: 25, New: 23, Rejected: 2}); sum != want {
		t.Fatalf("summary %+v, want %+v", sum, want)
	}
	if len(rejs) != 2 || rejs[0].Line != 5 || rejs[1].Line != 19 || rejs[0].ID != "id3@example.edu" || rejs[0].Reason != ReasonEmailInvalid {
		t.Fatalf("rejections %v", rejs)
	}
	if fmt.Sprint(m.batches) != "[9 9 5]" {
		t.Fatalf("batches %v: want 10 lines a batch, the bad ones left out", m.batches)
	}
	again, _, err := run(t, m, body, Options[Registration]{Batch: 10})
	if want := (Summary{Read: 25, Unchanged: 23, Rejected: 2}); err != nil || again != want {
		t.Fatalf("second run %+v, %v; want %+v", again, err, want)
	}
}

// TestRunDryRun: a dry run counts what a run would do and writes nothing.
func TestRunDryRun(t *testing.T) {
	m := &memStore{regs: map[string]StoredRegistration{}}
	sum, _, err := run(t, m, lines(5, 1), Options[Registration]{DryRun: true})
	if want := (Summary{Read: 5, New: 4, Rejected: 1}); err != nil || sum != want || len(m.regs) != 0 {
		t.Fatalf("dry run %+v, %v, stored %v", sum, err, m.regs)
	}
}

// TestRunDuplicates: a second line for an id, in the same batch or a later
// one, is refused, naming the first; the first line stands.
func TestRunDuplicates(t *testing.T) {
	m := &memStore{regs: map[string]StoredRegistration{}}
	body := "id,email\na,first@example.net\nb,b@example.net\nA@example.edu,second@example.net\nc,c@example.net\nb,b2@example.net\n"
	sum, rejs, err := run(t, m, body, Options[Registration]{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Read: 5, New: 3, Rejected: 2}); sum != want {
		t.Fatalf("summary %+v", sum)
	}
	if len(rejs) != 2 || rejs[0].Reason != ReasonDuplicateID || rejs[0].Line != 4 || !strings.Contains(rejs[0].Text, "line 2") ||
		rejs[1].Line != 6 || !strings.Contains(rejs[1].Text, "line 3") {
		t.Fatalf("rejections %v", rejs)
	}
	if m.regs["a@example.edu"].Email != "first@example.net" || m.regs["b@example.edu"].Email != "b@example.net" {
		t.Fatalf("stored %v", m.regs)
	}
}

// TestRunCheck: CheckAccounts refuses ids that are no account and an
// alternate address that is the account's own.
func TestRunCheck(t *testing.T) {
	m := &memStore{regs: map[string]StoredRegistration{}}
	mails := func(_ context.Context, ids []string) (map[string]string, error) {
		out := map[string]string{}
		for _, id := range ids {
			if id != "ghost@example.edu" {
				out[id] = id
			}
		}
		return out, nil
	}
	body := "id,email,mobile\nghost,g@example.net,\nalice,ALICE@example.edu,07700900123\nbob,bob.alt@example.net,\n"
	sum, rejs, err := run(t, m, body, Options[Registration]{Check: CheckAccounts(mails)})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Read: 3, New: 1, Rejected: 2}); sum != want {
		t.Fatalf("summary %+v", sum)
	}
	if len(rejs) != 2 || rejs[0].Reason != ReasonAccountUnknown || rejs[1].Reason != ReasonEmailIsPrimary {
		t.Fatalf("rejections %v", rejs)
	}
}

// TestRunStops: a sink's error, or a cancelled context, stops the run
// with the counts so far.
func TestRunStops(t *testing.T) {
	boom := errors.New("boom")
	m := &memStore{regs: map[string]StoredRegistration{}, fail: boom}
	if _, _, err := run(t, m, lines(3), Options[Registration]{}); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}

	m = &memStore{regs: map[string]StoredRegistration{}}
	ctx, cancel := context.WithCancel(context.Background())
	rd, _ := NewRegistrationReader(strings.NewReader(lines(30)), CSV, rules)
	sum, err := Run(ctx, rd, Options[Registration]{Batch: 10, Seen: MemorySeen{}, Sink: m.sink,
		Progress: func(s Summary) {
			if s.Read == 10 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || sum.Read != 10 || len(m.regs) != 10 {
		t.Fatalf("after cancel: %+v, %v, %d stored", sum, err, len(m.regs))
	}
}
