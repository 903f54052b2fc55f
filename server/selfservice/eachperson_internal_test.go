package selfservice

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sspr-portal/sspr/server/sspr"
)

// eachPerson's two paths, the merge of two walks in id order and the map
// of every registration, give every account its own registration and
// nothing else, and fail alike.

// walkDir is a Directory whose Each walks accounts as given, failing with
// errDirDown before the account at failAt (>= 0). ordered is what it says
// of itself (sspr.IDOrdered).
type walkDir struct {
	sspr.Directory
	accts   []string
	ordered bool
	failAt  int
}

var (
	errDirDown   = errors.New("directory down")
	errStoreDown = errors.New("store down")
)

func (d *walkDir) EachInIDOrder() bool { return d.ordered }

func (d *walkDir) Each(ctx context.Context, fn func(sspr.Account) error) error {
	for i, id := range d.accts {
		if i == d.failAt {
			return errDirDown
		}
		if err := fn(sspr.Account{ID: id, DisplayName: "name of " + id}); err != nil {
			return err
		}
	}
	return nil
}

// walkStore is a Store whose EachRegistration walks registrations as
// given (each with an email naming its id), failing with errStoreDown
// before the one at failAt (>= 0). returned says the walk has ended, err
// with what.
type walkStore struct {
	sspr.Store
	regs     []string
	ordered  bool
	failAt   int
	started  bool
	returned bool
	err      error
}

func (s *walkStore) EachInIDOrder() bool { return s.ordered }

func (s *walkStore) EachRegistration(ctx context.Context, fn func(sspr.Registration) error) (err error) {
	s.started = true
	defer func() { s.returned, s.err = true, err }()
	for i, id := range s.regs {
		if i == s.failAt {
			return errStoreDown
		}
		if err := fn(sspr.Registration{UserID: id, Email: "reg-of-" + id}); err != nil {
			return err
		}
	}
	return nil
}

// walkOf runs eachPerson and returns "account=registration" for each
// call of fn ("account=" when none), in the directory's order.
func walkOf(t *testing.T, d *walkDir, s *walkStore, fnFailAt int) ([]string, error) {
	t.Helper()
	e := &Engine{d: Deps{Directory: d, Store: s}}
	var got []string
	err := e.eachPerson(context.Background(), func(a sspr.Account, reg *sspr.Registration) error {
		if len(got) == fnFailAt {
			return errors.New("fn fails")
		}
		r := ""
		if reg != nil {
			if reg.Email != "reg-of-"+reg.UserID {
				t.Errorf("%s: registration %+v not whole", a.ID, reg)
			}
			r = reg.UserID
		}
		got = append(got, a.ID+"="+r)
		return nil
	})
	if s.started && !s.returned {
		t.Errorf("EachRegistration still running after eachPerson returned")
	}
	return got, err
}

// bytewise sorts ids as the ordered backends walk them (Go's <).
func bytewise(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// shuffled is ids in an order of no sense, as LDAP's: reversed, then the
// halves swapped.
func shuffled(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Reverse(ids)
	h := len(ids) / 2
	return append(ids[h:], ids[:h]...)
}

func TestEachPerson(t *testing.T) {
	tests := []struct {
		name   string
		accts  []string
		regs   []string
		want   []string // in the accounts' byte order
		fnFail int      // fn fails at this call (-1: never)
	}{
		{name: "nothing", want: nil},
		{name: "accounts, no registrations", accts: []string{"a@x", "b@x"},
			want: []string{"a@x=", "b@x="}},
		{name: "registrations, no accounts", regs: []string{"a@x", "b@x"}, want: nil},
		{name: "each with its own", accts: []string{"a@x", "b@x", "c@x"}, regs: []string{"a@x", "b@x", "c@x"},
			want: []string{"a@x=a@x", "b@x=b@x", "c@x=c@x"}},
		{name: "registrations without accounts before, between and after",
			accts: []string{"bob@x", "dan@x", "fay@x", "gus@x"},
			regs:  []string{"aby@x", "ann@x", "bob@x", "cat@x", "dan@x", "eve@x", "ezra@x", "gus@x", "hal@x", "ivy@x"},
			want:  []string{"bob@x=bob@x", "dan@x=dan@x", "fay@x=", "gus@x=gus@x"}},
		{name: "accounts without registrations before, between and after",
			accts: []string{"a@x", "b@x", "c@x", "d@x", "e@x"},
			regs:  []string{"b@x", "d@x"},
			want:  []string{"a@x=", "b@x=b@x", "c@x=", "d@x=d@x", "e@x="}},
		{
			// Canonical ids are lower case (canon.UserID), so a
			// registration under "Bob@x" is nobody's: ids match exactly,
			// as bytes, "B" before "a" and "é" after "z".
			name:  "ids differing only in case or accents, and punctuation",
			accts: []string{"bob@x", "zoe@x", "élodie@x", "a-b@x", "a_b@x", "a0@x", "ab@x"},
			regs:  []string{"Bob@x", "BOB@x", "bob@x", "eloDie@x", "elodie@x", "Élodie@x", "élodie@x", "a_b@x", "ab@x", "a.b@x", "ZOE@x"},
			want:  []string{"a-b@x=", "a0@x=", "a_b@x=a_b@x", "ab@x=ab@x", "bob@x=bob@x", "zoe@x=", "élodie@x=élodie@x"}},
		{name: "fn's error stops the walk", accts: []string{"a@x", "b@x", "c@x"}, regs: []string{"a@x", "b@x", "c@x"},
			fnFail: 1, want: []string{"a@x=a@x"}},
	}
	for _, tc := range tests {
		if tc.fnFail == 0 {
			tc.fnFail = -1
		}
		t.Run(tc.name, func(t *testing.T) {
			var results [2][]string
			var errs [2]error
			for i, ordered := range []bool{true, false} {
				accts, regs := bytewise(tc.accts), bytewise(tc.regs)
				if !ordered {
					accts, regs = shuffled(tc.accts), shuffled(tc.regs)
				}
				got, err := walkOf(t, &walkDir{accts: accts, ordered: ordered, failAt: -1},
					&walkStore{regs: regs, ordered: ordered, failAt: -1}, tc.fnFail)
				results[i], errs[i] = bytewise(got), err
				if !ordered {
					continue
				}
				// The merge calls fn in the directory's order.
				if !slices.Equal(got, tc.want) {
					t.Errorf("merged: got %q, want %q", got, tc.want)
				}
			}
			if tc.fnFail < 0 && !slices.Equal(results[1], bytewise(tc.want)) {
				t.Errorf("map: got %q, want %q", results[1], bytewise(tc.want))
			}
			if tc.fnFail < 0 && !slices.Equal(results[0], results[1]) {
				t.Errorf("the two paths differ: merged %q, map %q", results[0], results[1])
			}
			for i, err := range errs {
				switch {
				case tc.fnFail < 0 && err != nil:
					t.Errorf("path %d: %v", i, err)
				case tc.fnFail >= 0 && (sspr.CodeOf(err) != sspr.CodeDirectoryUnavailable || !strings.Contains(err.Error(), "fn fails")):
					t.Errorf("path %d: fn's error came back as %v (%s); want it, directory_unavailable as before", i, err, sspr.CodeOf(err))
				}
			}
		})
	}
}

// Either side failing, at its start, mid-walk or at its end, fails the
// walk on both paths with the same code: service_unavailable for the
// store, directory_unavailable for the directory; a store failing after
// the last account too.
func TestEachPersonFailures(t *testing.T) {
	accts := []string{"b@x", "d@x", "f@x"}
	regs := []string{"a@x", "b@x", "c@x", "d@x", "f@x", "g@x", "h@x"}
	type fail struct{ dir, store int }
	tests := []struct {
		name string
		fail fail
		want sspr.Code
		err  error
	}{
		{"store at once", fail{-1, 0}, sspr.CodeServiceUnavailable, errStoreDown},
		{"store mid-walk", fail{-1, 3}, sspr.CodeServiceUnavailable, errStoreDown},
		{"store after the last account", fail{-1, 6}, sspr.CodeServiceUnavailable, errStoreDown},
		{"directory at once", fail{0, -1}, sspr.CodeDirectoryUnavailable, errDirDown},
		{"directory mid-walk", fail{2, -1}, sspr.CodeDirectoryUnavailable, errDirDown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, ordered := range []bool{true, false} {
				d := &walkDir{accts: accts, ordered: ordered, failAt: tc.fail.dir}
				s := &walkStore{regs: regs, ordered: ordered, failAt: tc.fail.store}
				if !ordered {
					d.accts, s.regs = shuffled(accts), shuffled(regs)
				}
				_, err := walkOf(t, d, s, -1)
				if sspr.CodeOf(err) != tc.want || !errors.Is(err, tc.err) {
					t.Errorf("ordered %t: %v (%s); want %v, %s", ordered, err, sspr.CodeOf(err), tc.err, tc.want)
				}
				// A store walk the engine stopped, because the directory
				// failed, ends as a cancellation: not the store's failure
				// in the metrics (metrics.Failed).
				if tc.err == errDirDown && s.err != nil && !errors.Is(s.err, context.Canceled) {
					t.Errorf("ordered %t: the store's walk, stopped, ended with %v", ordered, s.err)
				}
			}
		})
	}
}

// Backends that say they are in id order and are not fail the walk
// rather than pass people over; one side ordered alone takes the map.
func TestEachPersonOrder(t *testing.T) {
	accts := []string{"a@x", "b@x", "c@x"}
	for _, tc := range []struct {
		name           string
		accts, regs    []string
		dirOrd, stOrd  bool
		want           sspr.Code
		wantPeopleSeen int
	}{
		{"registrations out of order", accts, []string{"a@x", "c@x", "b@x"}, true, true, sspr.CodeServiceUnavailable, -1},
		{"registrations twice", accts, []string{"a@x", "a@x", "b@x"}, true, true, sspr.CodeServiceUnavailable, -1},
		{"accounts out of order", []string{"b@x", "a@x", "c@x"}, accts, true, true, sspr.CodeDirectoryUnavailable, -1},
		{"only the directory ordered", accts, []string{"c@x", "a@x", "b@x"}, true, false, "", 3},
		{"only the store ordered", []string{"c@x", "a@x", "b@x"}, accts, false, true, "", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := walkOf(t, &walkDir{accts: tc.accts, ordered: tc.dirOrd, failAt: -1},
				&walkStore{regs: tc.regs, ordered: tc.stOrd, failAt: -1}, -1)
			if sspr.CodeOf(err) != tc.want {
				t.Fatalf("%v (%s); want %s", err, sspr.CodeOf(err), tc.want)
			}
			if tc.wantPeopleSeen >= 0 {
				for _, g := range got {
					if id, reg, _ := strings.Cut(g, "="); id != reg {
						t.Errorf("%s", g)
					}
				}
				if len(got) != tc.wantPeopleSeen {
					t.Errorf("got %q", got)
				}
			}
		})
	}
}
