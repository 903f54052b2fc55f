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
func staffCall(method, path string, in any) (deskapi.StaffSession, error) {
	var s deskapi.StaffSessionResponse
	err := client.Do(method, path, in, &s)
	return s.Session, err
}

// staffSignIn signs a member of staff in with their password; the session
// is not Verified until a code passed (staffSendCode, staffVerify).
func staffSignIn(user, password string) (deskapi.StaffSession, error) {
	return staffCall("POST", deskapi.PathSession, deskapi.SignInRequest{User: user, Password: password})
}

// staffSendCode sends a code to the staff member's own method of kind k.
func staffSendCode(k api.Kind) (deskapi.StaffSession, error) {
	path := deskapi.PathSessionEmailSend
	if k == api.KindSMS {
		path = deskapi.PathSessionSMSSend
	}
	return staffCall("POST", path, nil)
}

// staffVerify checks the code sent to the method of kind k.
func staffVerify(k api.Kind, code string) (deskapi.StaffSession, error) {
	path := deskapi.PathSessionEmailVerify
	if k == api.KindSMS {
		path = deskapi.PathSessionSMSVerify
	}
	return staffCall("POST", path, api.CodeRequest{Code: code})
}

// staffSession returns the verified staff session (api.CodeUnauthenticated
// when there is none, it has ended, or the code has not passed yet).
func staffSession() (deskapi.StaffSession, error) {
	return staffCall("GET", deskapi.PathSession, nil)
}

// staffSignOut ends the staff session.
func staffSignOut() error {
	return client.Do("DELETE", deskapi.PathSession, nil, nil)
}

// searchPeople finds people whose user id or name contains term.
func searchPeople(term string) ([]deskapi.PersonHit, error) {
	var s deskapi.SearchResponse
	err := client.Do("GET", deskapi.PathSearch+"?"+url.Values{"q": {term}}.Encode(), nil, &s)
	return s.People, err
}

// lookUpPerson returns what the console shows of the person with that id.
func lookUpPerson(user string) (deskapi.Person, error) {
	var p deskapi.PersonResponse
	err := client.Do("GET", deskapi.PathPeople+"?"+url.Values{"user": {user}}.Encode(), nil, &p)
	return p.Person, err
}

// deskAct does one of the service desk's actions (deskapi.PathUnlock,
// PathDeskLiftBlock or PathDeskClearRegistration) and returns the person
// as they are afterwards.
func deskAct(path string, in deskapi.ActionRequest) (deskapi.Person, error) {
	var p deskapi.PersonResponse
	err := client.Do("POST", path, in, &p)
	return p.Person, err
}

// issueRecoveryPass issues a one-time recovery pass: the only time it is
// shown.
func issueRecoveryPass(in deskapi.ActionRequest) (deskapi.RecoveryPassResponse, error) {
	var p deskapi.RecoveryPassResponse
	err := client.Do("POST", deskapi.PathRecoveryPass, in, &p)
	return p, err
}

// coverage is the report of who could reset today.
func coverage() (deskapi.Coverage, error) {
	var r deskapi.CoverageResponse
	err := client.Do("GET", deskapi.PathCoverage, nil, &r)
	return r.Coverage, err
}
