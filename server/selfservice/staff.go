package selfservice

import (
	"context"
	"fmt"
	"time"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The service desk's staff sign in to the console with their password and
// then a code sent to one of their own registered methods: a phished
// password alone opens nothing, and nothing in the console can be reached
// with a student's session. Staff are the directory's accounts in the
// groups [staff] names; the role is read from the groups at sign-in and
// again at every call, so that someone removed from the group is out at
// once. A staff session is short (StaffIdle, StaffMax).

// staffSession is a staff member's session as the State backend keeps it.
type staffSession struct {
	ID       string       `json:"id"`
	Ref      string       `json:"ref"`
	User     string       `json:"user"`
	Role     deskapi.Role `json:"role"`
	Created  time.Time    `json:"created"`
	LastSeen time.Time    `json:"last_seen"`
	// Verified: the code passed. Until then the session can only send
	// and check a code.
	Verified bool `json:"verified,omitempty"`
	// Addrs are the staff member's own registered address and number,
	// and Codes the codes sent to them.
	Addrs map[api.Kind]string `json:"addrs,omitempty"`
	Codes map[api.Kind]*code  `json:"codes,omitempty"`
}

var (
	errStaffUnauthenticated = &sspr.Error{Code: sspr.CodeUnauthenticated, Message: "Sign in to the service desk's console first. A session ends after 10 minutes without use."}
	errStaffNoMethod        = &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "You need a registered alternate email address or mobile number to sign in here. Register one first."}
)

// staffRole is the role the account's groups give it, "" for none.
func (e *Engine) staffRole(ctx context.Context, user string) (deskapi.Role, error) {
	for _, g := range []struct {
		group string
		role  deskapi.Role
	}{{e.cfg.StaffServiceDeskGroup, deskapi.RoleServiceDesk}, {e.cfg.StaffAuditorGroup, deskapi.RoleAuditor}} {
		if g.group == "" {
			continue
		}
		in, err := e.d.Directory.MemberOf(ctx, user, g.group)
		if err != nil {
			return "", sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("staff group: %w", err))
		}
		if in {
			return g.role, nil
		}
	}
	return "", nil
}

// StaffSignIn checks a staff member's password and role. Anyone else, a
// wrong password, and a locked or disabled account get the same answer as
// a wrong password: the console tells nobody who is staff. The session it
// returns can only send a code to the staff member's own method and check
// it (StaffSendCode, StaffVerify).
func (e *Engine) StaffSignIn(ctx context.Context, rawUser, password string, c sspr.Client) (string, deskapi.StaffSession, error) {
	user, err := canon.UserID(rawUser, e.cfg.DefaultDomain)
	if err != nil {
		return "", deskapi.StaffSession{}, &sspr.Error{Code: sspr.CodeBadRequest, Message: err.Error()}
	}
	acct, err := e.d.Directory.Lookup(ctx, user)
	if err != nil {
		return "", deskapi.StaffSession{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	if err := e.checkPassword(ctx, user, password, errWrongPassword, c); err != nil {
		return "", deskapi.StaffSession{}, err
	}
	// The same work whoever it is: the role is read for everyone.
	role, err := e.staffRole(ctx, user)
	if err != nil {
		return "", deskapi.StaffSession{}, err
	}
	if acct == nil || acct.Disabled || acct.Locked || role == "" {
		e.note(ctx, sspr.Event{Kind: sspr.EventStaffSignInFailed, UserID: user, Outcome: sspr.OutcomeRefused, Detail: "not staff, or not active"}, c)
		return "", deskapi.StaffSession{}, errWrongPassword
	}
	e.succeeded(ctx, user)
	reg, err := e.registration(ctx, acct.ID)
	if err != nil {
		return "", deskapi.StaffSession{}, err
	}
	addrs := map[api.Kind]string{}
	if !reg.EmailConfirmed.IsZero() && reg.Email != "" {
		addrs[api.KindEmail] = reg.Email
	}
	if !reg.PhoneConfirmed.IsZero() && reg.Phone != "" {
		addrs[api.KindSMS] = reg.Phone
	}
	if len(addrs) == 0 {
		return "", deskapi.StaffSession{}, errStaffNoMethod
	}
	id, err := e.randomID()
	if err != nil {
		return "", deskapi.StaffSession{}, err
	}
	ref, err := e.newRef()
	if err != nil {
		return "", deskapi.StaffSession{}, err
	}
	now := e.now()
	s := &staffSession{ID: id, Ref: ref, User: acct.ID, Role: role, Created: now, LastSeen: now, Addrs: addrs}
	if err := e.saveStaff(ctx, s); err != nil {
		return "", deskapi.StaffSession{}, err
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventStaffSignIn, UserID: acct.ID, Flow: ref, Outcome: sspr.OutcomeStarted,
		Detail: "role=" + string(role)}, c)
	return id, e.staffView(s, acct), nil
}

// StaffSendCode sends a code to the staff member's own method k.
func (e *Engine) StaffSendCode(ctx context.Context, id string, k api.Kind, c sspr.Client) (deskapi.StaffSession, error) {
	m, err := e.codeMethod(k)
	if err != nil {
		return deskapi.StaffSession{}, err
	}
	s, err := e.updateStaff(ctx, id, func(*staffSession) error { return nil })
	if err != nil {
		return deskapi.StaffSession{}, err
	}
	to := s.Addrs[k]
	if s.Verified || to == "" {
		return deskapi.StaffSession{}, &sspr.Error{Code: sspr.CodeMethodUnavailable, Message: "Choose one of your own methods."}
	}
	plain, cd, err := e.issue(ctx, staffSendKey(k, s.User), m.cooldown(&e.cfg), staffCode(s, k)...)
	if err != nil {
		return deskapi.StaffSession{}, err
	}
	if s, err = e.updateStaff(ctx, id, func(s *staffSession) error {
		if s.Codes == nil {
			s.Codes = map[api.Kind]*code{}
		}
		s.Codes[k] = cd
		return nil
	}); err != nil {
		return deskapi.StaffSession{}, err
	}
	// The ref lets DeliveryFailed mark the code undelivered, which
	// StaffVerify then says, as a flow's does.
	if err := e.sendCode(ctx, m, to, plain, s.User, s.Ref, false, cd, codeRef(refStaff, k, id)); err != nil {
		return deskapi.StaffSession{}, err
	}
	e.note(ctx, sspr.Event{Kind: sspr.EventCodeSent, UserID: s.User, Flow: s.Ref, Detail: "staff channel=" + string(m.channel())}, c)
	return e.staffView(s, nil), nil
}

// StaffVerify checks the code sent to the staff member's method k. Right,
// the session is verified and gets a new id (no fixation): the console is
// open for the role. A wrong code counts as a failed sign-in.
func (e *Engine) StaffVerify(ctx context.Context, id string, k api.Kind, raw string, c sspr.Client) (string, deskapi.StaffSession, error) {
	typed, err := e.typedCode(raw)
	if err != nil {
		return "", deskapi.StaffSession{}, err
	}
	var (
		res  outcome
		left int
	)
	s, err := e.updateStaff(ctx, id, func(s *staffSession) error {
		cd := s.Codes[k]
		if s.Verified || cd == nil {
			return errNoCode
		}
		if cd.Undelivered {
			return errUndelivered
		}
		if res, left = e.check(cd, typed, false, staffCode(s, k)...); res != codeWrong {
			delete(s.Codes, k)
		}
		return nil
	})
	if err != nil {
		return "", deskapi.StaffSession{}, err
	}
	if res != codeRight {
		e.note(ctx, sspr.Event{Kind: sspr.EventStaffSignInFailed, UserID: s.User, Flow: s.Ref, Outcome: sspr.OutcomeRefused,
			Detail: fmt.Sprintf("method=%s result=%s", k, res)}, c)
		if res == codeWrong || res == codeUsedUp {
			if err := e.fail(ctx, failPassword, s.User, "", c); err != nil {
				return "", deskapi.StaffSession{}, err
			}
		}
		return "", deskapi.StaffSession{}, codeError(res, left)
	}
	newID, err := e.randomID()
	if err != nil {
		return "", deskapi.StaffSession{}, err
	}
	old := s.ID
	s.ID, s.Verified, s.Codes, s.LastSeen = newID, true, nil, e.now()
	if err := e.saveStaff(ctx, s); err != nil {
		return "", deskapi.StaffSession{}, err
	}
	_ = e.d.State.Delete(ctx, staffKey(old))
	e.note(ctx, sspr.Event{Kind: sspr.EventStaffSignIn, UserID: s.User, Flow: s.Ref, Detail: "role=" + string(s.Role) + " method=" + string(k)}, c)
	return newID, e.staffView(s, nil), nil
}

// Staff returns the verified staff session id names, refreshing its idle
// timer. The account must still be active and still in its role's group:
// otherwise the session ends now.
func (e *Engine) Staff(ctx context.Context, id string) (deskapi.StaffSession, error) {
	s, err := e.updateStaff(ctx, id, func(s *staffSession) error {
		if !s.Verified {
			return errStaffUnauthenticated
		}
		return nil
	})
	if err != nil {
		return deskapi.StaffSession{}, err
	}
	acct, err := e.d.Directory.Lookup(ctx, s.User)
	if err != nil {
		return deskapi.StaffSession{}, sspr.Unavailable(sspr.BackendDirectory, fmt.Errorf("look up account: %w", err))
	}
	role, err := e.staffRole(ctx, s.User)
	if err != nil {
		return deskapi.StaffSession{}, err
	}
	if acct == nil || acct.Locked || acct.Disabled || role != s.Role {
		_ = e.d.State.Delete(ctx, staffKey(id))
		return deskapi.StaffSession{}, errEnded
	}
	return e.staffView(s, acct), nil
}

// StaffSignOut ends the staff session.
func (e *Engine) StaffSignOut(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return e.d.State.Delete(ctx, staffKey(id))
}

// staffCode binds a staff sign-in's code to the session, the user and the
// method.
func staffCode(s *staffSession, k api.Kind) []string {
	return []string{"staff", s.ID, s.User, string(k)}
}

// staffExpires is when s ends if it is not used again.
func (e *Engine) staffExpires(s *staffSession) time.Time {
	return ends(s.Created, s.LastSeen, e.cfg.StaffIdle, e.cfg.StaffMax)
}

func (e *Engine) saveStaff(ctx context.Context, s *staffSession) error {
	return saveLive(ctx, e, "staff session", staffKey(s.ID), s, e.staffExpires(s))
}

// updateStaff loads a live staff session, applies fn and stores it with
// its idle timer refreshed, atomically; fn's error leaves it unchanged.
func (e *Engine) updateStaff(ctx context.Context, id string, fn func(s *staffSession) error) (*staffSession, error) {
	if id == "" {
		return nil, errStaffUnauthenticated
	}
	return updateLive(ctx, e, staffKey(id), errStaffUnauthenticated, e.staffExpires,
		func(s *staffSession, now time.Time) { s.LastSeen = now }, fn)
}

// staffView is what the console is told of a staff session: never the
// addresses, only their masked hints until the code passed.
func (e *Engine) staffView(s *staffSession, acct *sspr.Account) deskapi.StaffSession {
	v := deskapi.StaffSession{User: s.User, Role: s.Role, Verified: s.Verified, ExpiresAt: e.staffExpires(s)}
	if acct != nil {
		v.DisplayName = acct.DisplayName
	}
	if !s.Verified {
		for _, k := range []api.Kind{api.KindEmail, api.KindSMS} {
			to, ok := s.Addrs[k]
			if !ok {
				continue
			}
			hint := canon.MaskPhone(to)
			if k == api.KindEmail {
				hint = e.maskEmail(to)
			}
			v.Methods = append(v.Methods, api.Method{Kind: k, Hint: hint, CodeSent: s.Codes[k] != nil})
		}
	}
	return v
}
