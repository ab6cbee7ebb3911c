package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/leapfrog-games/leapfrog/contract/matchapi"
)

// answered are the statuses a request may get; 500 means a bad input was
// taken for a server fault.
var answered = []int{http.StatusOK, http.StatusCreated, http.StatusBadRequest, http.StatusUnauthorized,
	http.StatusConflict, http.StatusTooManyRequests, http.StatusServiceUnavailable}

// checkAnswer checks that a fuzzed request got a documented status and a
// well-formed body: the API's JSON error for every failure.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if !slices.Contains(answered, rec.Code) {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		var e matchapi.ErrorAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("status %d with a body that is not an API error (%v): %q", rec.Code, err, rec.Body)
		}
	}
}

// FuzzMatchBody sends any body and Authorization header to POST /v1/match.
func FuzzMatchBody(f *testing.F) {
	fx := newFixture(f, nil)
	g, _, err := fx.issuer.MintGuest(fx.svc.guestTTL)
	if err != nil {
		f.Fatal(err)
	}
	for _, body := range []string{"", "{}", `{"seats":1}`, `{"seats":2}`, `{"seats":3}`, `{"seats":-1}`, `{"seats":1e99}`,
		`{"seats":"2"}`, `{"seats":null}`, `{} {}`, `[]`, `{"seats":2,"x":1}`, "\x00", `{"seats":2.5}`} {
		f.Add("Bearer "+g, body)
	}
	f.Add("", "{}")
	f.Add("Bearer not.a.jwt", "{}")
	f.Add("bearer  "+g+" ", `{"seats":2}`)
	f.Fuzz(func(t *testing.T, auth, body string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/match", strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		fx.svc.ServeHTTP(rec, req)
		checkAnswer(t, rec)
	})
}

// FuzzGuestBody sends any body to POST /v1/guest.
func FuzzGuestBody(f *testing.F) {
	fx := newFixture(f, nil)
	for _, body := range []string{"", "{}", `{"x":1}`, `[]`, `null`, `{}{}`, strings.Repeat(" ", maxBodyBytes+1)} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/guest", strings.NewReader(body))
		rec := httptest.NewRecorder()
		fx.svc.ServeHTTP(rec, req)
		checkAnswer(t, rec)
	})
}
