package httpapi

import (
	"net/http"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/server/locale"
	"github.com/sspr-portal/sspr/server/sspr"
)

var errCaptcha = &sspr.Error{Code: sspr.CodeCaptchaInvalid, Message: "The numbers didn't match. Try the new picture."}

func (s *server) client(r *http.Request) sspr.Client {
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	// Addr is the full address, for the audit and the logs; Net is what
	// the per-address limits count (a whole IPv6 network).
	return sspr.Client{Addr: s.clientAddr(r), Net: s.clientNet(r), UserAgent: ua, Lang: locale.Lang(r.Context())}
}

// replyFlow answers with the flow, moving the cookie to its id when the
// engine renewed it (identity proven: no fixation).
func (s *server) replyFlow(w http.ResponseWriter, r *http.Request, old string, f api.Flow, status int) error {
	if f.ID != old {
		if err := s.saveFlowID(w, r, f.ID); err != nil {
			return err
		}
	}
	writeJSON(w, status, api.FlowResponse{Flow: f})
	return nil
}

// ProbeHeader carries `sspr probe`'s token on POST /api/v1/flows, in
// place of the CAPTCHA. It is not in app/api: no browser sends it.
const ProbeHeader = "X-Sspr-Probe"

func (s *server) startFlow(w http.ResponseWriter, r *http.Request) error {
	var req api.StartRequest
	err := decode(w, r, &req)
	if err != nil {
		return err
	}
	var f api.Flow
	if token := r.Header.Get(ProbeHeader); token != "" {
		// `sspr probe`: its token stands in for the CAPTCHA, for the
		// canary account alone (docs/OPERATIONS.md#the-synthetic-check).
		f, err = s.Engine.StartProbe(r.Context(), req.User, token, s.client(r))
	} else {
		// The CAPTCHA is checked before anything is looked up, and is
		// burnt whatever the answer (docs/SECURITY.md#captcha).
		var ok bool
		if ok, err = s.Captcha.Verify(r.Context(), req.Captcha.ID, req.Captcha.Answer); err == nil && !ok {
			err = errCaptcha
		}
		if err == nil {
			f, err = s.Engine.Start(r.Context(), req.User, s.client(r))
		}
	}
	if err != nil {
		return err
	}
	if old := s.flowID(r); old != "" {
		_ = s.Engine.Cancel(r.Context(), old) // one flow per session
	}
	return s.replyFlow(w, r, "", f, http.StatusCreated)
}

func (s *server) currentFlow(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Engine.Flow(r.Context(), s.flowID(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.FlowResponse{Flow: f})
	return nil
}

// extendFlow is the page's "Continue", when it warns that the flow is about
// to expire: more time, within the flow's absolute end. The cookie is set
// again, so that its own clock restarts with the flow's.
func (s *server) extendFlow(w http.ResponseWriter, r *http.Request) error {
	if err := decodeNone(w, r); err != nil {
		return err
	}
	f, err := s.Engine.Extend(r.Context(), s.flowID(r))
	if err != nil {
		return err
	}
	if err := s.saveFlowID(w, r, f.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.FlowResponse{Flow: f})
	return nil
}

func (s *server) cancelFlow(w http.ResponseWriter, r *http.Request) error {
	if err := s.Engine.Cancel(r.Context(), s.flowID(r)); err != nil {
		return err
	}
	if err := s.saveFlowID(w, r, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) chooseIntent(w http.ResponseWriter, r *http.Request) error {
	var req api.IntentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.flowID(r)
	f, err := s.Engine.ChooseIntent(r.Context(), id, req.Intent, s.client(r))
	if err != nil {
		return err
	}
	return s.replyFlow(w, r, id, f, http.StatusOK)
}

func (s *server) sendEmail(w http.ResponseWriter, r *http.Request) error {
	if err := decodeNone(w, r); err != nil {
		return err
	}
	id := s.flowID(r)
	f, err := s.Engine.SendCode(r.Context(), id, api.KindEmail, "", s.client(r))
	if err != nil {
		return err
	}
	return s.replyFlow(w, r, id, f, http.StatusOK)
}

func (s *server) sendSMS(w http.ResponseWriter, r *http.Request) error {
	var req api.PhoneRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.flowID(r)
	f, err := s.Engine.SendCode(r.Context(), id, api.KindSMS, req.Phone, s.client(r))
	if err != nil {
		return err
	}
	return s.replyFlow(w, r, id, f, http.StatusOK)
}

func (s *server) verifyCode(w http.ResponseWriter, r *http.Request, k api.Kind) error {
	var req api.CodeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.flowID(r)
	f, err := s.Engine.VerifyCode(r.Context(), id, k, req.Code, s.client(r))
	if err != nil {
		return err
	}
	return s.replyFlow(w, r, id, f, http.StatusOK)
}

func (s *server) verifyEmail(w http.ResponseWriter, r *http.Request) error {
	return s.verifyCode(w, r, api.KindEmail)
}

func (s *server) verifySMS(w http.ResponseWriter, r *http.Request) error {
	return s.verifyCode(w, r, api.KindSMS)
}

func (s *server) questions(w http.ResponseWriter, r *http.Request) error {
	qs, err := s.Engine.Questions(r.Context(), s.flowID(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, api.QuestionsResponse{Questions: s.questionsIn(r, qs)})
	return nil
}

func (s *server) verifyAnswers(w http.ResponseWriter, r *http.Request) error {
	var req api.AnswersRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.flowID(r)
	f, err := s.Engine.VerifyAnswers(r.Context(), id, req.Answers, s.client(r))
	if err != nil {
		return err
	}
	return s.replyFlow(w, r, id, f, http.StatusOK)
}

func (s *server) verifyTOTP(w http.ResponseWriter, r *http.Request) error {
	var req api.CodeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.flowID(r)
	f, err := s.Engine.VerifyTOTP(r.Context(), id, req.Code, s.client(r))
	if err != nil {
		return err
	}
	return s.replyFlow(w, r, id, f, http.StatusOK)
}

// passkeyOptions answers the options for navigator.credentials.get.
func (s *server) passkeyOptions(w http.ResponseWriter, r *http.Request) error {
	if err := decodeNone(w, r); err != nil {
		return err
	}
	o, err := s.Engine.PasskeyOptions(r.Context(), s.flowID(r), s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *server) verifyPasskey(w http.ResponseWriter, r *http.Request) error {
	var req api.PasskeyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.flowID(r)
	f, err := s.Engine.VerifyPasskey(r.Context(), id, req.Credential, s.client(r))
	if err != nil {
		return err
	}
	return s.replyFlow(w, r, id, f, http.StatusOK)
}

func (s *server) setPassword(w http.ResponseWriter, r *http.Request) error {
	var req api.PasswordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.flowID(r)
	f, err := s.Engine.SetPassword(r.Context(), id, req.Password, s.client(r))
	if err != nil {
		return err
	}
	return s.replyFlow(w, r, id, f, http.StatusOK)
}

// usePass takes a recovery pass in place of the methods.
func (s *server) usePass(w http.ResponseWriter, r *http.Request) error {
	var req api.PassRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id := s.flowID(r)
	f, err := s.Engine.UsePass(r.Context(), id, req.Pass, s.client(r))
	if err != nil {
		return err
	}
	return s.replyFlow(w, r, id, f, http.StatusOK)
}
