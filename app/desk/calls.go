package desk

import (
	"net/url"

	"github.com/sspr-portal/sspr/app/api"
	"github.com/sspr-portal/sspr/app/client"
	"github.com/sspr-portal/sspr/app/deskapi"
)

// The console's calls of the API (docs/API.md#the-service-desks-console),
// through package client. They travel with the staff session's own
// cookie. They are here rather than in package client so that the
// student's app.wasm stays byte for byte what it was without the console:
// any change to a package it links moves its data about, and brotli's
// size with it (docs/PERFORMANCE.md).

// staffCall makes a call that answers the staff session.
func staffCall(method, path string, in any) (api.StaffSession, error) {
	var s api.StaffSessionResponse
	err := client.Do(method, path, in, &s)
	return s.Session, err
}

// staffSignIn signs a member of staff in with their password; the session
// is not Verified until a code passed (staffSendCode, staffVerify).
func staffSignIn(user, password string) (api.StaffSession, error) {
	return staffCall("POST", api.PathDeskSession, api.StaffSignInRequest{User: user, Password: password})
}

// staffSendCode sends a code to the staff member's own method of kind k.
func staffSendCode(k api.Kind) (api.StaffSession, error) {
	path := api.PathDeskSessionEmailSend
	if k == api.KindSMS {
		path = api.PathDeskSessionSMSSend
	}
	return staffCall("POST", path, nil)
}

// staffVerify checks the code sent to the method of kind k.
func staffVerify(k api.Kind, code string) (api.StaffSession, error) {
	path := api.PathDeskSessionEmailVerify
	if k == api.KindSMS {
		path = api.PathDeskSessionSMSVerify
	}
	return staffCall("POST", path, api.CodeRequest{Code: code})
}

// staffSession returns the verified staff session (api.CodeUnauthenticated
// when there is none, it has ended, or the code has not passed yet).
func staffSession() (api.StaffSession, error) {
	return staffCall("GET", api.PathDeskSession, nil)
}

// staffSignOut ends the staff session.
func staffSignOut() error {
	return client.Do("DELETE", api.PathDeskSession, nil, nil)
}

// searchPeople finds people whose user id or name contains term.
func searchPeople(term string) ([]api.PersonHit, error) {
	var s api.SearchResponse
	err := client.Do("GET", api.PathDeskSearch+"?"+url.Values{"q": {term}}.Encode(), nil, &s)
	return s.People, err
}

// lookUpPerson returns what the console shows of the person with that id.
func lookUpPerson(user string) (api.Person, error) {
	var p api.PersonResponse
	err := client.Do("GET", api.PathDeskPeople+"?"+url.Values{"user": {user}}.Encode(), nil, &p)
	return p.Person, err
}

// deskAct does one of the service desk's actions (api.PathDeskUnlock,
// PathDeskLiftBlock or PathDeskClearRegistration) and returns the person
// as they are afterwards.
func deskAct(path string, in api.DeskActionRequest) (api.Person, error) {
	var p api.PersonResponse
	err := client.Do("POST", path, in, &p)
	return p.Person, err
}

// issueRecoveryPass issues a one-time recovery pass: the only time it is
// shown.
func issueRecoveryPass(in api.DeskActionRequest) (api.RecoveryPassResponse, error) {
	var p api.RecoveryPassResponse
	err := client.Do("POST", api.PathDeskRecoveryPass, in, &p)
	return p, err
}

// coverage is the report of who could reset today.
func coverage() (deskapi.Coverage, error) {
	var r deskapi.CoverageResponse
	err := client.Do("GET", deskapi.PathCoverage, nil, &r)
	return r.Coverage, err
}
