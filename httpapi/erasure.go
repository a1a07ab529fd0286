package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
)

// erasureAnswer is the answer to POST /v1/erasure: the request, and when the
// erasure ran within the request, what it did and the text the subject
// reads.
type erasureAnswer struct {
	Request requestView  `json:"request"`
	Report  *erasureView `json:"report,omitempty"`
	Text    string       `json:"text,omitempty"`
}

// requestErasure records the subject's erasure request (GDPR Art. 17), due
// one calendar month later, and carries it out: within the request under
// its context by default, or in the background under Options.Background.
// It answers 202 with Location naming the request's status, relative to
// this path (requests/{id}), so it holds wherever the host mounts the
// handler.
//
// When the erasure fails after the request was recorded, the answer is still
// 202: the request stands, due by its date, and its status says it is in
// progress. The failure is logged; erasing is idempotent, so the host
// completes it by calling Steward.Erase and Steward.Complete again.
func (h *Handler) requestErasure(w http.ResponseWriter, r *http.Request, who identity) error {
	var b struct{}
	if err := decode(r, &b, false); err != nil {
		return err
	}
	req, err := h.s.Receive(r.Context(), who.subject, privacy.RequestErasure)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "requests/"+url.PathEscape(req.ID))
	if h.background != nil {
		ctx := h.background()
		h.running.Go(func() { h.erase(ctx, req) })
		return writeJSON(w, http.StatusAccepted, erasureAnswer{Request: viewRequest(req)}, language.Und)
	}
	cur, rep := h.erase(r.Context(), req)
	ans := erasureAnswer{Request: viewRequest(cur)}
	lang := language.Und
	if rep != nil {
		lang = steward.Language(r.Header.Get("Accept-Language"))
		v := viewErasure(rep)
		ans.Report, ans.Text = &v, h.s.RenderErasure(rep, lang)
	}
	return writeJSON(w, http.StatusAccepted, ans, lang)
}

// erase carries out an erasure request: started, erased, completed. It
// returns the request as it then stands, and the report, which is nil when
// the erasure failed. Failures are logged by request ID, never by subject.
func (h *Handler) erase(ctx context.Context, req steward.Request) (steward.Request, *steward.ErasureReport) {
	fail := func(step string, err error) {
		h.log.LogAttrs(ctx, slog.LevelError, "httpapi: erasure request not completed",
			slog.String("request", req.ID), slog.String("step", step), slog.String("error", err.Error()))
	}
	cur, err := h.s.Start(ctx, req.ID)
	if err != nil {
		fail("start", err)
		return req, nil
	}
	rep, err := h.s.Erase(ctx, req.Subject)
	if err != nil {
		fail("erase", err)
		return cur, nil
	}
	done, err := h.s.Complete(ctx, req.ID)
	if err != nil {
		fail("complete", err)
		return cur, rep
	}
	return done, rep
}

// getRequest answers the status of one of the subject's requests. Another
// subject's request is not found, exactly as one that does not exist.
func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request, who identity) error {
	req, err := h.s.Request(r.Context(), who.subject, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewRequest(req), language.Und)
}
