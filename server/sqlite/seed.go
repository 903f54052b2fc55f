package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/secret"
	"github.com/sspr-portal/sspr/server/sspr"
)

// DevAccount is one demo account of the dev seed, with its secrets in plain
// text: it exists so that tests and the docs can use the demo accounts.
type DevAccount struct {
	ID          string // canonical user id
	DisplayName string
	Mail        string // primary address
	Password    string
	Locked      bool
	// Email is the registered alternate address; "" for none.
	Email string
	// Phone is the registered mobile number as a person would type it; it
	// is stored in E.164 form. "" for none.
	Phone string
	// Answer is the answer to every one of DevQuestions; "" for none.
	Answer string
	// Groups are the embedded directory's groups the account is in.
	Groups []string
	// OU is the organisational unit, as a path ("students/physics").
	OU string
}

// Registered reports whether the account has a registration row.
func (a DevAccount) Registered() bool { return a.Email != "" || a.Phone != "" || a.Answer != "" }

// DevQuestions are the questions the demo accounts with answers have
// answered: the first five of static/questions/en.json.
var DevQuestions = []string{"first_pet", "childhood_friend", "first_school", "birth_town", "first_job"}

// DevPhoneRegion is the region the demo phone numbers are read in.
const DevPhoneRegion = "GB"

// The groups of the demo staff: what [staff] means when it names none
// (portal.StaffGroups).
const (
	DevServiceDeskGroup = "service-desk"
	DevAuditorGroup     = "auditors"
)

// DevAccounts are the demo accounts, one for every path through the
// portal: registered with all three methods (alice, erin), locked out
// (bob), not registered (carol), registered with an email only (dave);
// and the staff: a service desk member (helpdesk) and an auditor.
var DevAccounts = []DevAccount{
	{ID: "alice@example.edu", DisplayName: "Alice Archer", Mail: "alice@example.edu", Password: "Alice-Old-Password-1",
		Email: "alice.alt@example.net", Phone: "+44 7700 900123", Answer: "blue fox", OU: "students/physics"},
	{ID: "bob@example.edu", DisplayName: "Bob Baker", Mail: "bob@example.edu", Password: "Bob-Old-Password-1",
		Locked: true, Email: "bob.alt@example.net", Phone: "+44 7700 900456", OU: "students/physics"},
	{ID: "carol@example.edu", DisplayName: "Carol Clark", Mail: "carol@example.edu", Password: "Carol-Old-Password-1", OU: "students/history"},
	{ID: "dave@example.edu", DisplayName: "Dave Dunn", Mail: "dave@example.edu", Password: "Dave-Old-Password-1",
		Email: "dave.alt@example.net", OU: "students/history"},
	{ID: "erin@example.edu", DisplayName: "Erin Evans", Mail: "erin@example.edu", Password: "Erin-Old-Password-1",
		Email: "erin.alt@example.net", Phone: "+44 7700 900789", Answer: "green owl", OU: "staff/library"},
	{ID: "helpdesk@example.edu", DisplayName: "Hana Hughes (Service Desk)", Mail: "helpdesk@example.edu",
		Password: "Helpdesk-Old-Password-1", Email: "helpdesk.alt@example.net", Phone: "+44 7700 900321",
		Groups: []string{DevServiceDeskGroup}, OU: "staff/it"},
	{ID: "auditor@example.edu", DisplayName: "Ari Adams (Audit)", Mail: "auditor@example.edu",
		Password: "Auditor-Old-Password-1", Email: "auditor.alt@example.net", Groups: []string{DevAuditorGroup}, OU: "staff/finance"},
}

// Seed fills an empty database with DevAccounts and their registrations,
// confirmed at now. It does nothing when there is any account already, so
// it is safe to call on every start in dev mode; it never touches a
// database that holds real accounts.
func Seed(ctx context.Context, db *DB, h *secret.Argon2, now time.Time) error {
	empty, err := accountsEmpty(ctx, db.read)
	if err != nil {
		return wrap(sspr.BackendDirectory, "seed", err)
	}
	if !empty {
		return nil
	}

	type seeded struct {
		acct     DevAccount
		password string // hash
		reg      *sspr.Registration
	}
	var (
		all  = make([]seeded, len(DevAccounts))
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	// Every password and answer is hashed separately, with its own salt,
	// all at once (the hasher bounds the parallelism): start-up stays fast.
	hash := func(dst *string, plain string) {
		wg.Go(func() {
			v, err := h.Hash(ctx, plain)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			*dst = v // each goroutine writes its own element
		})
	}
	for i, a := range DevAccounts {
		s := &all[i]
		s.acct = a
		hash(&s.password, a.Password)
		if !a.Registered() {
			continue
		}
		r := &sspr.Registration{UserID: a.ID}
		if a.Email != "" {
			r.Email, r.EmailConfirmed = a.Email, now
		}
		if a.Phone != "" {
			p, err := canon.Phone(a.Phone, DevPhoneRegion)
			if err != nil {
				wg.Wait()
				return fmt.Errorf("sqlite: seed %s: phone: %w", a.ID, err)
			}
			r.Phone, r.PhoneConfirmed = p, now
		}
		if a.Answer != "" {
			r.Answers = make([]sspr.Answer, len(DevQuestions))
			for j, q := range DevQuestions {
				r.Answers[j].QuestionID = q
				hash(&r.Answers[j].Hash, canon.Answer(a.Answer))
			}
			r.AnswersConfirmed = now
		}
		s.reg = r
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: seed: hash: %w", err)
	}

	stamp := formatTime(now)
	return wrap(sspr.BackendDirectory, "seed", db.writeTx(ctx, func(tx *sql.Tx) error {
		// Checked again under the write lock: another process may have
		// seeded while we hashed.
		if empty, err := accountsEmpty(ctx, tx); err != nil || !empty {
			return err
		}
		for _, s := range all {
			if _, err := tx.ExecContext(ctx, `
INSERT INTO accounts (id, display_name, mail, password_hash, locked, disabled, updated_at, ou, password_set_at)
VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)`,
				s.acct.ID, s.acct.DisplayName, s.acct.Mail, s.password, s.acct.Locked, stamp, s.acct.OU, stamp); err != nil {
				return err
			}
			for _, g := range s.acct.Groups {
				if _, err := tx.ExecContext(ctx, `INSERT INTO account_groups (account_id, group_name) VALUES (?, ?)`, s.acct.ID, g); err != nil {
					return err
				}
			}
			if s.reg != nil {
				if err := s.reg.Check(); err != nil {
					return fmt.Errorf("seed %s: %w", s.acct.ID, err)
				}
				if err := putRegistration(ctx, tx, *s.reg); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func accountsEmpty(ctx context.Context, q queryRower) (bool, error) {
	var exists bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts)`).Scan(&exists)
	return !exists, err
}
