package httpapi

import (
	"net/http"

	"github.com/sspr-portal/sspr/app/api"
)

func (s *server) signIn(w http.ResponseWriter, r *http.Request) error {
	var req api.SignInRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ok, err := s.Captcha.Verify(r.Context(), req.Captcha.ID, req.Captcha.Answer)
	if err != nil {
		return err
	}
	if !ok {
		return errCaptcha
	}
	id, sess, err := s.Engine.SignIn(r.Context(), req.User, req.Password, s.client(r))
	if err != nil {
		return err
	}
	if old := s.sessionID(r); old != "" {
		_ = s.Engine.SignOut(r.Context(), old)
	}
	if err := s.saveSessionID(w, r, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, api.SessionResponse{Session: sess})
	return nil
}

func (s *server) currentSession(w http.ResponseWriter, r *http.Request) error {
	id := s.sessionID(r)
	sess, err := s.Engine.Session(r.Context(), id)
	if err != nil {
		return err
	}
	if err := s.saveSessionID(w, r, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SessionResponse{Session: sess})
	return nil
}

// reauth takes the password typed again before a change to the methods.
func (s *server) reauth(w http.ResponseWriter, r *http.Request) error {
	var req api.ReauthRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.sessionID(r)
	sess, err := s.Engine.Reauth(r.Context(), id, req.Password, s.client(r))
	if err != nil {
		return err
	}
	if err := s.saveSessionID(w, r, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.SessionResponse{Session: sess})
	return nil
}

func (s *server) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.Engine.SignOut(r.Context(), s.sessionID(r)); err != nil {
		return err
	}
	if err := s.saveSessionID(w, r, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// replyRegistration answers with the registration and restarts the
// session cookie's idle clock.
func (s *server) replyRegistration(w http.ResponseWriter, r *http.Request, reg api.Registration, err error) error {
	if err != nil {
		return err
	}
	if err := s.saveSessionID(w, r, s.sessionID(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.RegistrationResponse{Registration: reg})
	return nil
}

func (s *server) getRegistration(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.Engine.Registration(r.Context(), s.sessionID(r))
	return s.replyRegistration(w, r, reg, err)
}

func (s *server) registerEmail(w http.ResponseWriter, r *http.Request) error {
	var req api.EmailRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reg, err := s.Engine.Register(r.Context(), s.sessionID(r), api.KindEmail, req.Email, s.client(r))
	return s.replyRegistration(w, r, reg, err)
}

func (s *server) registerSMS(w http.ResponseWriter, r *http.Request) error {
	var req api.PhoneRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reg, err := s.Engine.Register(r.Context(), s.sessionID(r), api.KindSMS, req.Phone, s.client(r))
	return s.replyRegistration(w, r, reg, err)
}

func (s *server) confirm(k api.Kind) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req api.CodeRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		reg, err := s.Engine.Confirm(r.Context(), s.sessionID(r), k, req.Code, s.client(r))
		return s.replyRegistration(w, r, reg, err)
	}
}

func (s *server) putQuestions(w http.ResponseWriter, r *http.Request) error {
	var req api.QuestionsRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reg, err := s.Engine.SetAnswers(r.Context(), s.sessionID(r), req.Answers, s.client(r))
	return s.replyRegistration(w, r, reg, err)
}

// startTOTP answers with a new key for an authenticator app. The answer
// holds the key, so, like every API answer, it is never stored (no-store).
func (s *server) startTOTP(w http.ResponseWriter, r *http.Request) error {
	if err := decodeNone(w, r); err != nil {
		return err
	}
	setup, err := s.Engine.StartTOTP(r.Context(), s.sessionID(r), s.client(r))
	if err != nil {
		return err
	}
	if err := s.saveSessionID(w, r, s.sessionID(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.TOTPSetupResponse{Setup: setup})
	return nil
}

func (s *server) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	var req api.CodeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reg, err := s.Engine.ConfirmTOTP(r.Context(), s.sessionID(r), req.Code, s.client(r))
	return s.replyRegistration(w, r, reg, err)
}

// passkeyCreation answers the options for navigator.credentials.create.
func (s *server) passkeyCreation(w http.ResponseWriter, r *http.Request) error {
	if err := decodeNone(w, r); err != nil {
		return err
	}
	o, err := s.Engine.PasskeyCreation(r.Context(), s.sessionID(r), s.client(r))
	if err != nil {
		return err
	}
	if err := s.saveSessionID(w, r, s.sessionID(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *server) addPasskey(w http.ResponseWriter, r *http.Request) error {
	var req api.PasskeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	reg, err := s.Engine.AddPasskey(r.Context(), s.sessionID(r), req.Name, req.Credential, s.client(r))
	return s.replyRegistration(w, r, reg, err)
}

func (s *server) removePasskey(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.Engine.RemovePasskey(r.Context(), s.sessionID(r), r.PathValue("id"), s.client(r))
	return s.replyRegistration(w, r, reg, err)
}

func (s *server) removeMethod(w http.ResponseWriter, r *http.Request) error {
	k := api.Kind(r.PathValue("kind"))
	reg, err := s.Engine.Remove(r.Context(), s.sessionID(r), k, s.client(r))
	return s.replyRegistration(w, r, reg, err)
}

// questionsCatalog needs a signed-in session: it is part of registering.
func (s *server) questionsCatalog(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Engine.Session(r.Context(), s.sessionID(r)); err != nil {
		return err
	}
	c := s.Catalog
	c.Questions = s.questionsIn(r, c.Questions)
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req api.ChangePasswordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := s.Engine.ChangePassword(r.Context(), s.sessionID(r), req.Current, req.New, s.client(r)); err != nil {
		return err
	}
	// The session ends with the change: sign in again with the new password.
	if err := s.saveSessionID(w, r, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
