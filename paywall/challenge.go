package paywall

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
)

// exposeHeaders lets browser clients on other origins read the x402 headers.
const exposeHeaders = "PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE"

// challengeBody is the JSON body of a 402: the v1 shape (which v1 clients
// read, and v2 clients fall back to without the header) plus a human
// message.
type challengeBody struct {
	X402Version int                                 `json:"x402Version"`
	Error       string                              `json:"error"`
	Message     string                              `json:"message,omitempty"`
	Accepts     []facilitator.PaymentRequirementsV1 `json:"accepts"`
}

// challenge answers with status (402, 400 or 503), the PAYMENT-REQUIRED
// header (v2) naming the error, and the v1-compatible JSON body. An unpaid
// browser request (Accept: text/html and a Mozilla user agent) gets the HTML
// page instead of the JSON body, still with PAYMENT-REQUIRED.
func (rt *Route) challenge(w http.ResponseWriter, r *http.Request, status int, xe *facilitator.Error) {
	code, msg := facilitator.CodePaymentRequired, "payment required: send a PAYMENT-SIGNATURE (x402 v2) or X-PAYMENT (v1) header"
	if xe != nil {
		code, msg = xe.Code, xe.Message
	}
	res := rt.resource(r)
	pr := facilitator.PaymentRequired{X402Version: facilitator.V2, Error: code, Resource: &res, Accepts: rt.accepts}
	h := w.Header()
	if enc, err := facilitator.EncodeHeader(pr); err == nil {
		h.Set(facilitator.HeaderPaymentRequired, enc)
	}
	setPrivate(h)
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	if xe == nil && isBrowser(r) {
		var buf bytes.Buffer
		if err := pageTemplate.Execute(&buf, rt.pageData(res, pr)); err == nil {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Length", strconv.Itoa(buf.Len()))
			w.WriteHeader(status)
			_, _ = w.Write(buf.Bytes())
			return
		}
	}
	body := challengeBody{X402Version: facilitator.V1, Error: code, Message: msg, Accepts: make([]facilitator.PaymentRequirementsV1, 0, len(rt.accepts))}
	for i := range rt.accepts {
		if rt.accepts[i].Scheme == facilitator.SchemeExact {
			body.Accepts = append(body.Accepts, rt.accepts[i].V1(res))
		}
	}
	b, _ := json.Marshal(body)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// setPrivate marks a response as uncacheable by shared caches (a cache in
// front of the paywall must never serve paid content for free) and lets
// cross-origin clients read the x402 headers.
func setPrivate(h http.Header) {
	h.Set("Cache-Control", "private, no-store")
	for _, v := range h.Values("Access-Control-Expose-Headers") {
		if strings.Contains(v, facilitator.HeaderPaymentRequired) {
			return
		}
	}
	h.Add("Access-Control-Expose-Headers", exposeHeaders)
}

// resource binds the requirements to the URL being paid for.
func (rt *Route) resource(r *http.Request) facilitator.ResourceInfo {
	return facilitator.ResourceInfo{URL: rt.resourceURL(r), Description: rt.Description, MimeType: rt.MimeType}
}

func (rt *Route) resourceURL(r *http.Request) string {
	if rt.ResourceURL != "" {
		return rt.ResourceURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	var b strings.Builder
	b.Grow(len(scheme) + 3 + len(r.Host) + len(r.URL.RequestURI()))
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(r.Host)
	b.WriteString(r.URL.RequestURI())
	return b.String()
}

// isBrowser is the reference SDKs' test for serving the HTML paywall.
func isBrowser(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html") && strings.Contains(r.Header.Get("User-Agent"), "Mozilla")
}

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

type pageOffer struct {
	Scheme, Network, Price, PayTo, Asset string
}

type pageData struct {
	Title, Description, URL string
	Offers                  []pageOffer
	PaymentRequiredJSON     string
}

func (rt *Route) pageData(res facilitator.ResourceInfo, pr facilitator.PaymentRequired) pageData {
	d := pageData{Title: "Payment required", Description: res.Description, URL: res.URL}
	for _, o := range rt.Offers {
		d.Offers = append(d.Offers, pageOffer{Scheme: o.Requirements.Scheme, Network: o.Requirements.Network,
			Price: o.Price(), PayTo: o.Requirements.PayTo, Asset: o.Requirements.Asset})
	}
	b, _ := json.MarshalIndent(pr, "", "  ")
	d.PaymentRequiredJSON = string(b)
	return d
}
