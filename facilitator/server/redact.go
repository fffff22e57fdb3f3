package server

import (
	"errors"
	"net/url"
	"strings"
)

// redactError returns the text of err with the URL of every *url.Error in
// its chain reduced to scheme://host, because RPC endpoints often carry API
// keys in their path or query and errors end up in logs.
func redactError(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ue, ok := e.(*url.Error); ok && ue.URL != "" {
			msg = strings.ReplaceAll(msg, ue.URL, redactURL(ue.URL))
		}
	}
	return msg
}

// redactURL keeps the scheme and host of raw and drops user info, path,
// query and fragment.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<url>"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
