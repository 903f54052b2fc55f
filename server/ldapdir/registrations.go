package ldapdir

import (
	"context"
	"net/mail"
	"time"

	"github.com/sspr-portal/sspr/server/canon"
	"github.com/sspr-portal/sspr/server/sspr"
)

var _ sspr.Registrations = (*Registrations)(nil)

// Registrations adds what the directory knows to what users registered
// themselves: an organisation that already keeps a personal address or a
// mobile number in the directory (filled by HR or an identity system)
// gets those as verification methods without asking every user to
// register them.
//
// The rule: a method the user registered and confirmed in the portal
// always wins; otherwise a well-formed value from the directory counts as
// registered and confirmed (the organisation vouches for it). Security
// questions only ever come from the store. A number the directory holds
// that is not a phone number, or an address that is not an address, is
// ignored. The registration pages show only what the user registered.
type Registrations struct {
	Store sspr.Registrations
	Dir   *Directory
	// Region reads numbers written without a country code (users.phone_region).
	Region string
	// Now stamps the directory's methods as confirmed; nil means time.Now.
	Now func() time.Time
}

// Registration returns the user's registration, the store's merged with
// the directory's alternate mail and mobile.
func (r *Registrations) Registration(ctx context.Context, userID string) (*sspr.Registration, error) {
	reg, err := r.Store.Registration(ctx, userID)
	if err != nil {
		return nil, err
	}
	alt, mobile, found, err := r.Dir.Contacts(ctx, userID)
	if err != nil || !found {
		return reg, err
	}
	return r.merge(userID, reg, alt, mobile), nil
}

var _ sspr.DirectoryMethods = (*Registrations)(nil)

// Merge is reg with what acct's own alternate mail and mobile add, by
// Registration's rule: for the coverage report and the reminders, which
// walk the directory (Directory.Each reads both attributes) rather than
// ask it once per person.
func (r *Registrations) Merge(acct sspr.Account, reg *sspr.Registration) *sspr.Registration {
	return r.merge(acct.ID, reg, acct.AltMail, acct.Mobile)
}

// merge is the rule: a method registered and confirmed in the portal
// wins; otherwise a well-formed value from the directory counts as
// registered and confirmed now. It returns reg itself when the directory
// adds nothing.
func (r *Registrations) merge(userID string, reg *sspr.Registration, alt, mobile string) *sspr.Registration {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	out := sspr.Registration{UserID: userID}
	if reg != nil {
		out = *reg
	}
	changed := false
	if !out.HasEmail() && alt != "" {
		if a, err := mail.ParseAddress(alt); err == nil && a.Address == alt {
			out.Email, out.EmailConfirmed, changed = alt, now().UTC(), true
		}
	}
	if !out.HasPhone() && mobile != "" {
		if e164, err := canon.Phone(mobile, r.Region); err == nil {
			out.Phone, out.PhoneConfirmed, changed = e164, now().UTC(), true
		}
	}
	if !changed {
		return reg
	}
	return &out
}

// Population counts the shapes of the registrations in the store. The
// addresses and numbers read from the directory are not counted: reading
// every user's would be a full search each time decoys are refreshed, so
// where most methods come from the directory, decoys copy the proportions
// of what users registered themselves (docs/SECURITY.md says what that
// reveals).
func (r *Registrations) Population(ctx context.Context) (sspr.Population, error) {
	return r.Store.Population(ctx)
}
