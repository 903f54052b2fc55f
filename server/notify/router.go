package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/sspr"
)

var (
	_ Sender           = (*Router)(nil)
	_ sspr.DecoySender = (*Router)(nil)
	_ sspr.BatchSender = (*Router)(nil)
)

// Router writes each message with the operator's templates and hands it to
// the sender of its channel, usually a Queue each, so that a dead SMS
// gateway never delays an email.
type Router struct {
	// Templates rewrite every message that carries Data, in its reader's
	// language (Message.Lang, else the request's: locale.Lang of the
	// context); nil keeps the shipped English wording.
	Templates *TemplateSet
	// HelpDesk, when its Name is set, replaces the one-line help-desk
	// contact of every message with the full block.
	HelpDesk HelpDesk
	// Local are the organisation's own words by language: those set
	// replace the configured ones in a message written in that language.
	Local map[string]Local
	Email Sender
	SMS   Sender
	Log   *slog.Logger
}

// Local is the organisation's own words in one language (the
// configuration's [languages.texts.<lang>]), for the messages.
type Local struct {
	Org                            string
	HelpDeskName, HelpDeskInPerson string
	HelpDeskHours                  []string
}

// apply puts l's words into d, where l has them.
func (l Local) apply(d *Data) {
	if l.Org != "" {
		d.Org = l.Org
	}
	if d.HelpDesk.Name == "" {
		return // no contact block: the one-line contact only
	}
	if l.HelpDeskName != "" {
		d.HelpDesk.Name = l.HelpDeskName
	}
	if l.HelpDeskInPerson != "" {
		d.HelpDesk.InPerson = l.HelpDeskInPerson
	}
	if len(l.HelpDeskHours) > 0 {
		d.HelpDesk.Hours = l.HelpDeskHours
	}
}

// outsideRequest are the kinds of message sent in a request that is not
// their reader's: someone else's failed attempts (blocked), the service
// desk's action, the reminders of a command. The request's language is not
// theirs, so they are written in Message.Lang, or the default language.
var outsideRequest = map[Kind]bool{KindBlocked: true, KindDeskAction: true, KindRemindRegister: true, KindPasswordExpiring: true}

// Send renders m and passes it on; the error is the channel sender's
// (from a Queue: only a drop).
func (r *Router) Send(ctx context.Context, m Message) error {
	m = r.render(ctx, m)
	next, err := r.next(m.Channel)
	if err != nil {
		return err
	}
	return next.Send(ctx, m)
}

// SendAll renders ms and passes them on, those of a channel together to a
// channel sender that stores several at once (sspr.BatchSender: the
// durable outbox, one write for a reset's notices), one by one to any
// other. The error joins the channels' errors: one channel failing does
// not stop the others.
func (r *Router) SendAll(ctx context.Context, ms []Message) error {
	var (
		chans  []Channel // in the order of their first message
		byChan = map[Channel][]Message{}
	)
	for _, m := range ms {
		if _, ok := byChan[m.Channel]; !ok {
			chans = append(chans, m.Channel)
		}
		byChan[m.Channel] = append(byChan[m.Channel], r.render(ctx, m))
	}
	var errs []error
	for _, ch := range chans {
		next, err := r.next(ch)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, sspr.SendAll(ctx, next, byChan[ch]))
	}
	return errors.Join(errs...)
}

// next is the sender of channel ch.
func (r *Router) next(ch Channel) (Sender, error) {
	var next Sender
	switch ch {
	case Email:
		next = r.Email
	case SMS:
		next = r.SMS
	}
	if next == nil {
		return nil, fmt.Errorf("notify: no sender for channel %q", ch)
	}
	return next, nil
}

// render is m in the words of its reader's language and the
// organisation's templates.
func (r *Router) render(ctx context.Context, m Message) Message {
	if m.Data != nil && r.Templates != nil {
		d := *m.Data
		if r.HelpDesk.Name != "" {
			line := d.HelpDesk.Line
			d.HelpDesk = r.HelpDesk
			d.HelpDesk.Line = line
		}
		rm := m
		rm.Data = &d
		lang := m.Lang
		if lang == "" && !outsideRequest[m.Kind] {
			lang = locale.Lang(ctx)
		}
		if r.Templates.Has(lang) {
			format, args := m.Data.WhatText()
			d.What = locale.All().Message(lang, format, args...)
		} else {
			lang = r.Templates.Default()
		}
		r.Local[lang].apply(&d)
		if out, err := r.Templates.For(lang).Render(rm); err != nil {
			// Checked at start, so unexpected: keep the shipped wording
			// rather than lose the message.
			if r.Log != nil {
				r.Log.ErrorContext(ctx, "notify: template failed; sending the shipped wording", "kind", string(m.Kind), "err", err)
			}
		} else {
			m = out
		}
	}
	return m
}

// SendDecoy hands a decoy flow's stand-in to the channel's sender, if it
// stores messages (server/dispatch); a sender that doesn't costs a decoy
// nothing to imitate.
func (r *Router) SendDecoy(ctx context.Context, ch Channel) error {
	next := r.Email
	if ch == SMS {
		next = r.SMS
	}
	if d, ok := next.(interface{ SendDecoy(context.Context) error }); ok {
		return d.SendDecoy(ctx)
	}
	return nil
}
