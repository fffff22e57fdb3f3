package remote

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
)

func fmtIt(v any) string { return fmt.Sprint(v) }

func TestHeadersSent(t *testing.T) {
	type seen struct {
		method, path, host, ct, accept, auth, custom string
		body                                         []byte
	}
	got := make(chan seen, 3)
	srv := newCounted(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.Host, r.Header.Get("Content-Type"), r.Header.Get("Accept"),
			r.Header.Get("Authorization"), r.Header.Get("X-Custom"), b}
		switch r.URL.Path {
		case "/base/verify":
			fixed(200, `{"isValid":true}`).ServeHTTP(w, r)
		case "/base/settle":
			fixed(200, `{"success":true,"transaction":"0x1","network":"n"}`).ServeHTTP(w, r)
		default:
			fixed(200, `{"kinds":[]}`).ServeHTTP(w, r)
		}
	}))
	c := newClient(t, Config{URLs: []string{srv.URL + "/base"}, Headers: map[string]string{
		"Authorization": "Bearer tok", "x-custom": "v", "Host": "facilitator.internal"}})
	ctx := context.Background()
	if _, err := c.Verify(ctx, v1Payload(), testRequirements()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Settle(ctx, v2Payload(), testRequirements()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Supported(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ method, path, ct string }{
		{"POST", "/base/verify", "application/json"},
		{"POST", "/base/settle", "application/json"},
		{"GET", "/base/supported", ""},
	} {
		s := <-got
		if s.method != want.method || s.path != want.path || s.ct != want.ct || s.accept != "application/json" ||
			s.auth != "Bearer tok" || s.custom != "v" || s.host != "facilitator.internal" {
			t.Errorf("request %+v, want %+v", s, want)
		}
		if want.method == "POST" && len(s.body) == 0 {
			t.Errorf("%s: empty body", want.path)
		}
	}
}
