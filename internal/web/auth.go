package web

import (
	"context"
	"net/http"
)

// Authenticator gives the credentials GOAUTH gives (internal/goauth's
// *Credentials). Add adds to req the headers for its URL and reports
// whether it did; with resp, a 4xx answer to the same URL, it asks GOAUTH
// again for that URL first, and may send requests of its own with send.
// Its error is a GOAUTH value go refuses to run with.
type Authenticator interface {
	Add(req *http.Request, resp *http.Response, send func(*http.Request) (*http.Response, error)) (bool, error)
}

// credentialsKey marks a request's context with the names of the headers
// Send added from GOAUTH, so that checkRedirect can drop them all, not
// only Authorization, on a redirect to another host or to plain http.
type credentialsKey struct{}

// Send sends req with send (a client's Do) the way go's web package does
// with GOAUTH: an https request first gets the credentials known for its
// URL; when it is answered 4xx, auth is asked again with that answer and,
// if it gives credentials, the request is sent once more with them and
// the second answer is the answer. A plain-http request goes as it is:
// go never sends GOAUTH credentials without TLS, even to loopback. A nil
// auth sends req as it is.
func Send(req *http.Request, auth Authenticator, send func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	if auth == nil || req.URL.Scheme != "https" {
		return send(req)
	}
	plain := req.Clone(req.Context())
	first, err := withCredentials(req, auth, nil, send)
	if err != nil {
		return nil, err
	}
	resp, err := send(first)
	if err != nil || resp.StatusCode < 400 || resp.StatusCode >= 500 {
		return resp, err
	}
	retry, err := withCredentials(plain, auth, resp, send)
	if err != nil || retry == nil {
		// Without credentials the second request would be the first
		// again; go sends it anyway, but its answer can only repeat.
		return resp, nil
	}
	resp.Body.Close()
	return send(retry)
}

// withCredentials returns req with auth's headers added and their names
// in its context, or nil when an answer (resp) brought no credentials.
func withCredentials(req *http.Request, auth Authenticator, resp *http.Response, send func(*http.Request) (*http.Response, error)) (*http.Request, error) {
	before := make(map[string]bool, len(req.Header))
	for k := range req.Header {
		before[k] = true
	}
	ok, err := auth.Add(req, resp, send)
	if err != nil {
		return nil, err
	}
	if !ok {
		if resp != nil {
			return nil, nil
		}
		return req, nil
	}
	var added []string
	for k := range req.Header {
		if !before[k] {
			added = append(added, k)
		}
	}
	return req.WithContext(context.WithValue(req.Context(), credentialsKey{}, added)), nil
}

// dropCredentials removes from a redirected request the headers Send added
// from GOAUTH, which net/http copies from the first request to every hop.
func dropCredentials(req *http.Request) {
	req.Header.Del("Authorization")
	if names, ok := req.Context().Value(credentialsKey{}).([]string); ok {
		for _, k := range names {
			req.Header.Del(k)
		}
	}
}
