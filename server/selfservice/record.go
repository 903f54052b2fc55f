package selfservice

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/sspr-portal/sspr/app/api"
)

// stateFinishing is held while the directory is being changed, so that a
// double submit can't change the account twice. It is shown to clients as
// new_password.
const stateFinishing api.State = "finishing"

// record is a flow as the State backend keeps it. Everything that decides
// what the user may do lives here, server-side; the client holds only the
// id (docs/SECURITY.md#cookies).
type record struct {
	ID string `json:"id"`
	// Ref names the flow in the audit and the logs, the same for its
	// whole life (the id changes once identity is proven).
	Ref string `json:"ref,omitempty"`
	// User is the canonical user id as typed: the throttle key, whether or
	// not an account has it.
	User string `json:"user"`
	// Decoy marks a flow for an unknown or unregistered user: it looks like
	// any other, but nothing is ever sent and no method can pass.
	Decoy    bool       `json:"decoy,omitempty"`
	State    api.State  `json:"state"`
	Intent   api.Intent `json:"intent,omitempty"`
	Required int        `json:"required"`
	// Strong is how many of the methods passed must be strong (policy.go).
	Strong  int      `json:"strong,omitempty"`
	Methods []method `json:"methods"`
	// Addrs are the registered addresses of the methods that send codes
	// (E.164 for a number), by method.
	Addrs map[api.Kind]string `json:"addrs,omitempty"`
	// Questions are the ids drawn for this flow, fixed for its life.
	Questions []string               `json:"questions,omitempty"`
	Codes     map[api.Kind]*code     `json:"codes,omitempty"`
	LastSent  map[api.Kind]time.Time `json:"last_sent,omitempty"`
	Created   time.Time              `json:"created"`
	Expires   time.Time              `json:"expires"`
	// Ends is the flow's absolute limit: Extend never moves Expires past
	// it. Zero in a flow saved before there was one: it can't be extended.
	Ends time.Time `json:"ends,omitzero"`
	// Outcome says how a finished flow ended when that is not what was
	// asked: api.OutcomeNotLocked.
	Outcome string `json:"outcome,omitempty"`
	// Pass: a recovery pass from the service desk stood for the methods
	// (pass.go).
	Pass bool `json:"pass,omitempty"`
	// Passkey is the challenge of the passkey check under way, for one
	// answer (passkey.go).
	Passkey *webauthn.SessionData `json:"pk,omitempty"`
}

type method struct {
	Kind     api.Kind `json:"kind"`
	Hint     string   `json:"hint,omitempty"`
	Count    int      `json:"count,omitempty"`
	Verified bool     `json:"verified,omitempty"`
	// Strong: the account's policy counts it as strong.
	Strong bool `json:"strong,omitempty"`
}

// end is the flow's absolute limit.
func (r *record) end() time.Time {
	if r.Ends.IsZero() {
		return r.Expires
	}
	return r.Ends
}

// addr is the registered address of method k ("" for none).
func (r *record) addr(k api.Kind) string { return r.Addrs[k] }

func (r *record) setAddr(k api.Kind, v string) {
	if r.Addrs == nil {
		r.Addrs = map[api.Kind]string{}
	}
	r.Addrs[k] = v
}

func (r *record) method(k api.Kind) *method {
	i := slices.IndexFunc(r.Methods, func(m method) bool { return m.Kind == k })
	if i < 0 {
		return nil
	}
	return &r.Methods[i]
}

func (r *record) verifiedCount() int {
	n := 0
	for _, m := range r.Methods {
		if m.Verified {
			n++
		}
	}
	return n
}

// strongVerified counts the strong methods passed.
func (r *record) strongVerified() int {
	n := 0
	for _, m := range r.Methods {
		if m.Verified && m.Strong {
			n++
		}
	}
	return n
}

// view is the flow as the API shows it.
func (r *record) view(cooldown func(api.Kind) time.Duration) api.Flow {
	f := api.Flow{ID: r.ID, State: r.State, Intent: r.Intent, Required: r.Required, Strong: r.Strong, ExpiresAt: r.Expires, EndsBy: r.end(),
		Outcome: r.Outcome, Methods: []api.Method{}}
	if r.Pass && r.State == api.StateDone && f.Outcome == "" {
		f.Outcome = api.OutcomeRegisterAgain
	}
	if f.State == stateFinishing {
		f.State = api.StateNewPassword
	}
	for _, m := range r.Methods {
		am := api.Method{Kind: m.Kind, Hint: m.Hint, Count: m.Count, Verified: m.Verified, Strong: m.Strong}
		if m.Kind != api.KindQuestions && !m.Verified {
			cd := r.Codes[m.Kind]
			am.CodeSent = cd != nil
			am.DeliveryFailed = cd != nil && cd.Undelivered
			if cd != nil {
				at := cd.Expires
				am.CodeExpiresAt = &at
			}
			if t, ok := r.LastSent[m.Kind]; ok {
				at := t.Add(cooldown(m.Kind))
				am.ResendAt = &at
			}
		}
		f.Methods = append(f.Methods, am)
	}
	return f
}

// tombstone is what is left of a flow once it is done: enough to answer
// "already done" to a double submit or the Back button
// (docs/SECURITY.md#double-submit), and no secret.
func (r *record) tombstone() *record {
	t := &record{ID: r.ID, Ref: r.Ref, User: r.User, State: api.StateDone, Intent: r.Intent, Required: r.Required, Strong: r.Strong,
		Created: r.Created, Expires: r.Expires, Ends: r.Ends, Outcome: r.Outcome, Pass: r.Pass}
	for _, m := range r.Methods {
		t.Methods = append(t.Methods, method{Kind: m.Kind, Hint: m.Hint, Count: m.Count, Verified: m.Verified, Strong: m.Strong})
	}
	return t
}

func (r *record) encode() ([]byte, error) { return json.Marshal(r) }

func decodeRecord(b []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
