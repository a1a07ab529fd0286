package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/httpapi"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// A host mounts the handler under its own mux and tells it who is signed in.
// The app then gives consent, reads the access report in Dutch and cancels
// the registration.
func Example() {
	ctx := context.Background()
	clock := privacy.NewSettableClock(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC))
	store := retention.NewMemoryStore(nil)
	_ = store.PutRecord(ctx, privacy.Record{
		Ref: privacy.Ref{Category: "contact", ID: "c-42"}, Subject: "client-42", Created: clock.Now(),
		Fields: []privacy.Field{{Name: "email", Value: "jan@example.nl", Class: privacy.Personal}},
	})
	ledger, _ := consent.New(nil, &consent.Options{
		Clock: clock, PseudonymKey: []byte("a key the host keeps in its vault"),
		Purposes: []consent.Purpose{{Name: "newsletter", Basis: privacy.Consent, Notice: "privacy"}},
	})
	_, _ = ledger.Publish(ctx, consent.Notice{ID: "privacy", Version: 1, Purposes: []privacy.Purpose{"newsletter"},
		Texts: map[string]consent.Text{
			"en": {Title: "Privacy statement", Body: "We send the newsletter only with your consent."},
			"nl": {Title: "Privacyverklaring", Body: "Wij sturen de nieuwsbrief alleen met uw toestemming."},
		}})
	s, _ := steward.New(store, &steward.Options{Consent: ledger, Clock: clock})

	h, err := httpapi.New(s, &httpapi.Options{
		// The host's own session lookup; here, one fixed token.
		Subject: func(r *http.Request) (privacy.SubjectID, error) {
			if r.Header.Get("Authorization") != "Bearer token-of-client-42" {
				return "", errors.New("no session")
			}
			return "client-42", nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/privacy/", http.StripPrefix("/privacy", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	send := func(method, path, body, token string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept-Language", "nl")
		req.Header.Set("Accept", "text/plain, application/json;q=0.9")
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	resp, body := send("PUT", "/privacy/v1/consents/newsletter", `{"method":"app"}`, "token-of-client-42")
	var event struct{ State, Language string }
	_ = json.Unmarshal(body, &event)
	fmt.Println(resp.Status, event.State, event.Language)

	resp, body = send("GET", "/privacy/v1/access", "", "token-of-client-42")
	first, _ := bufio.NewReader(strings.NewReader(string(body))).ReadString('\n')
	fmt.Print(resp.Header.Get("Content-Language"), ": ", first)

	resp, body = send("POST", "/privacy/v1/erasure", "{}", "token-of-client-42")
	var erasure struct{ Request struct{ State string } }
	_ = json.Unmarshal(body, &erasure)
	fmt.Println(resp.Status, erasure.Request.State, strings.HasPrefix(resp.Header.Get("Location"), "requests/req-"))

	resp, body = send("GET", "/privacy/v1/access", "", "someone-elses-guess")
	var problem httpapi.Problem
	_ = json.Unmarshal(body, &problem)
	fmt.Println(resp.Status, problem.Type, problem.Title)

	// Output:
	// 200 OK given nl
	// nl: Uw persoonsgegevens (AVG art. 15), 1 maart 2024
	// 202 Accepted completed true
	// 401 Unauthorized https://steward.dev/problems/unauthenticated Niet aangemeld
}
