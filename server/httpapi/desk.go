package httpapi

import (
	"context"
	"net/http"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/deskapi"
	"github.com/sspr-portal/sspr/server/sspr"
)

// The service desk's console API. Staff have a cookie of their own, so
// that neither a flow's nor a student's session can ever stand for a
// staff session (docs/API.md#the-service-desks-console).

const staffIDKey = "stid"

func (s *server) staffCookie() string { return s.CookieName + "_desk" }

func (s *server) staffID(r *http.Request) string { return s.readID(r, s.staffCookie(), staffIDKey) }

// saveStaffID sets the staff session's cookie (an empty id deletes it);
// saved again on every call, so it ends after the idle timeout.
func (s *server) saveStaffID(w http.ResponseWriter, r *http.Request, id string) error {
	life := s.StaffIdle
	if life == 0 {
		life = s.SessionIdle
	}
	return s.saveID(w, r, s.staffCookie(), staffIDKey, id, life)
}

// staffReply answers a call of the staff session: the cookie renewed
// (the idle timeout starts again), then v.
func (s *server) staffReply(w http.ResponseWriter, r *http.Request, id string, status int, v any) error {
	if err := s.saveStaffID(w, r, id); err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

func (s *server) staffSignIn(w http.ResponseWriter, r *http.Request) error {
	var req deskapi.SignInRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id, sess, err := s.Engine.StaffSignIn(r.Context(), req.User, req.Password, s.client(r))
	if err != nil {
		return err
	}
	if old := s.staffID(r); old != "" {
		_ = s.Engine.StaffSignOut(r.Context(), old)
	}
	return s.staffReply(w, r, id, http.StatusCreated, deskapi.StaffSessionResponse{Session: sess})
}

func (s *server) staffSend(k api.Kind) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := decodeNone(w, r); err != nil {
			return err
		}
		id := s.staffID(r)
		sess, err := s.Engine.StaffSendCode(r.Context(), id, k, s.client(r))
		if err != nil {
			return err
		}
		return s.staffReply(w, r, id, http.StatusOK, deskapi.StaffSessionResponse{Session: sess})
	}
}

func (s *server) staffVerify(k api.Kind) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req api.CodeRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		id, sess, err := s.Engine.StaffVerify(r.Context(), s.staffID(r), k, req.Code, s.client(r))
		if err != nil {
			return err
		}
		return s.staffReply(w, r, id, http.StatusOK, deskapi.StaffSessionResponse{Session: sess})
	}
}

func (s *server) staffSession(w http.ResponseWriter, r *http.Request) error {
	id := s.staffID(r)
	sess, err := s.Engine.Staff(r.Context(), id)
	if err != nil {
		return err
	}
	return s.staffReply(w, r, id, http.StatusOK, deskapi.StaffSessionResponse{Session: sess})
}

func (s *server) staffSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.Engine.StaffSignOut(r.Context(), s.staffID(r)); err != nil {
		return err
	}
	if err := s.saveStaffID(w, r, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// person looks a person up for the staff member signed in:
// GET /api/v1/desk/people?user=alice.
func (s *server) person(w http.ResponseWriter, r *http.Request) error {
	id := s.staffID(r)
	p, err := s.Engine.Person(r.Context(), id, r.URL.Query().Get("user"), s.client(r))
	if err != nil {
		return err
	}
	return s.staffReply(w, r, id, http.StatusOK, deskapi.PersonResponse{Person: p})
}

// deskAction is a handler for one of the service desk's actions (a
// method expression of Engine).
func (s *server) deskAction(act func(Engine, context.Context, string, deskapi.ActionRequest, sspr.Client) (deskapi.Person, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req deskapi.ActionRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		id := s.staffID(r)
		p, err := act(s.Engine, r.Context(), id, req, s.client(r))
		if err != nil {
			return err
		}
		return s.staffReply(w, r, id, http.StatusOK, deskapi.PersonResponse{Person: p})
	}
}

// recoveryPass issues a recovery pass, shown in this answer and never
// again.
func (s *server) recoveryPass(w http.ResponseWriter, r *http.Request) error {
	var req deskapi.ActionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.staffID(r)
	p, err := s.Engine.DeskRecoveryPass(r.Context(), id, req, s.client(r))
	if err != nil {
		return err
	}
	return s.staffReply(w, r, id, http.StatusOK, p)
}

// searchPeople finds people by name or id: GET /api/v1/desk/search?q=.
func (s *server) searchPeople(w http.ResponseWriter, r *http.Request) error {
	id := s.staffID(r)
	hits, err := s.Engine.FindPeople(r.Context(), id, r.URL.Query().Get("q"), s.client(r))
	if err != nil {
		return err
	}
	return s.staffReply(w, r, id, http.StatusOK, deskapi.SearchResponse{People: hits})
}

// coverage answers the coverage report: GET /api/v1/desk/coverage.
func (s *server) coverage(w http.ResponseWriter, r *http.Request) error {
	id := s.staffID(r)
	c, err := s.Engine.Coverage(r.Context(), id, s.client(r))
	if err != nil {
		return err
	}
	return s.staffReply(w, r, id, http.StatusOK, deskapi.CoverageResponse{Coverage: c})
}
