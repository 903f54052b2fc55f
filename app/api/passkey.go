package api

import (
	"encoding/json"
	"time"
)

// KindPasskey is a passkey: a WebAuthn credential on the person's phone,
// computer or security key, unlocked by their fingerprint, face or PIN.
const KindPasskey Kind = "passkey"

// Paths of passkeys: in a flow, the options for navigator.credentials.get
// and its answer; at registration, the options for
// navigator.credentials.create (POST PathRegPasskey) and its answer, and
// one passkey by id (DELETE PathRegPasskey + "/" + its id, base64url).
const (
	PathFlowPasskey       = "/api/v1/flows/current/passkey"
	PathFlowPasskeyVerify = "/api/v1/flows/current/passkey/verify"
	PathRegPasskey        = "/api/v1/registration/passkey"
	PathRegPasskeyConfirm = "/api/v1/registration/passkey/confirm"
)

// PasskeyOptions is the answer of POST PathFlowPasskey and PathRegPasskey:
// the options to give navigator.credentials.get or .create (the JSON of
// PublicKeyCredentialRequestOptions or ...CreationOptions, under
// "publicKey", with binary members in base64url, as
// PublicKeyCredential.parseRequestOptionsFromJSON takes them).
type PasskeyOptions struct {
	Options json.RawMessage `json:"options"`
}

// PasskeyRequest is the body of POST PathFlowPasskeyVerify and
// PathRegPasskeyConfirm: the PublicKeyCredential the browser answered, as
// its toJSON() writes it, and at registration the name the person gives it.
type PasskeyRequest struct {
	Name       string          `json:"name,omitempty"`
	Credential json.RawMessage `json:"credential"`
}

// PasskeyInfo is one registered passkey, as the registration shows it.
type PasskeyInfo struct {
	// ID is the credential's id, base64url: DELETE PathRegPasskey/ID.
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"last_used,omitempty"`
	// Synced says the passkey is backed up to the person's account with
	// their platform (the authenticator's backup state), so losing the
	// device doesn't lose it.
	Synced bool `json:"synced,omitempty"`
}
