package policies

import (
	"bytes"
	"fmt"
	"net/url"
	"path"
	"strings"
	"sync"
	"unicode/utf8"
)

// PricedPaths decides whether a request path falls under a priced route,
// however the request spells it. An upstream may read a path in ways a
// plain comparison does not: percent-decoded once more (%2570), with
// letter case ignored, '\' as '/', ";params" cut from each segment (Java
// servlet containers), empty and dot segments resolved, a trailing slash
// (or Windows' trailing dots and spaces) ignored. CanonicalPath reads the
// path in all of those ways at once; a pattern matches when it matches that
// canonical form. Callers also keep their plain reading (Caddy's own path
// matcher), so the priced set only ever grows: a spelling can cost money
// for a resource that turns out free, never the reverse.
//
// Patterns have Caddy's path matcher syntax: an exact path, a prefix
// ("/paid/*"), a suffix ("*.pdf"), a substring ("*/paid/*") or a glob
// (path.Match). Letter case does not matter. A prefix pattern "/paid/*" also
// covers "/paid" itself (its trailing slash ignored).
type PricedPaths struct {
	patterns []pathPattern
}

type patternKind int

const (
	exactPath patternKind = iota
	prefixPath
	suffixPath
	substringPath
	globPath
)

type pathPattern struct {
	kind patternKind
	text string // lower case; exact patterns in canonical form
	b    []byte // text
}

func newPattern(kind patternKind, text string) pathPattern {
	return pathPattern{kind: kind, text: text, b: []byte(text)}
}

// NewPricedPaths compiles Caddy path patterns. Patterns with placeholders
// must be expanded by the caller first.
func NewPricedPaths(patterns []string) (*PricedPaths, error) {
	pp := &PricedPaths{}
	for _, p := range patterns {
		if p == "" {
			return nil, fmt.Errorf("path pattern is empty")
		}
		if strings.Contains(p, "%") {
			// Caddy compares a pattern with % in escaped space; here the
			// canonical form is decoded, so the pattern is decoded too.
			if d, err := url.PathUnescape(p); err == nil {
				p = d
			}
		}
		p = strings.ToLower(p)
		stars := strings.Count(p, "*")
		switch {
		case p == "*":
			pp.patterns = append(pp.patterns, newPattern(prefixPath, ""))
		case stars == 2 && strings.HasPrefix(p, "*") && strings.HasSuffix(p, "*"):
			pp.patterns = append(pp.patterns, newPattern(substringPath, p[1:len(p)-1]))
		case stars == 1 && strings.HasPrefix(p, "*") && !strings.ContainsAny(p, "?["):
			pp.patterns = append(pp.patterns, newPattern(suffixPath, p[1:]))
		case stars == 1 && strings.HasSuffix(p, "*") && !strings.ContainsAny(p, "?["):
			pp.patterns = append(pp.patterns, newPattern(prefixPath, p[:len(p)-1]))
		case strings.ContainsAny(p, "*?["):
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("path pattern %q: %w", p, err)
			}
			pp.patterns = append(pp.patterns, newPattern(globPath, p))
		default:
			c, reason := CanonicalPath(nil, p)
			if reason != "" {
				return nil, fmt.Errorf("path pattern %q: %s", p, reason)
			}
			pp.patterns = append(pp.patterns, newPattern(exactPath, string(c)))
		}
	}
	return pp, nil
}

var canonicalBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// Match reports whether the decoded request path (net/url's URL.Path) falls
// under one of the patterns in its canonical form. A non-empty ambiguous
// explains why the path cannot be read safely (see CanonicalPath); the
// caller refuses such a request instead of guessing.
func (pp *PricedPaths) Match(decodedPath string) (matched bool, ambiguous string) {
	bp := canonicalBufs.Get().(*[]byte)
	defer canonicalBufs.Put(bp)
	c, reason := CanonicalPath((*bp)[:0], decodedPath)
	*bp = c[:0]
	if reason != "" {
		return false, reason
	}
	for _, p := range pp.patterns {
		if p.matches(c) {
			return true, ""
		}
	}
	return false, ""
}

// matches compares a canonical path (no trailing slash but the root's) with
// the pattern, also as if it ended with a slash.
func (p pathPattern) matches(c []byte) bool {
	slashed := len(p.b) > 0 && p.b[len(p.b)-1] == '/' // the pattern may meet c's missing slash
	switch p.kind {
	case exactPath:
		return string(c) == p.text
	case prefixPath:
		return bytes.HasPrefix(c, p.b) || (slashed && len(c)+1 == len(p.b) && bytes.HasPrefix(p.b, c))
	case suffixPath:
		return bytes.HasSuffix(c, p.b) || (slashed && bytes.HasSuffix(c, p.b[:len(p.b)-1]))
	case substringPath:
		return bytes.Contains(c, p.b) || (slashed && bytes.HasSuffix(c, p.b[:len(p.b)-1]))
	default:
		s := string(c)
		ok, _ := path.Match(p.text, s)
		if !ok && s != "/" {
			ok, _ = path.Match(p.text, s+"/")
		}
		return ok
	}
}

// maxDecodes is how many layers of percent-encoding CanonicalPath removes
// (URL.Path is already decoded once; two more cover servers that decode
// twice or more). A path still encoded after that is refused as ambiguous.
const maxDecodes = 2

// CanonicalPath appends to dst the canonical form of a decoded request path:
// percent-decoded again while escapes remain (at most twice more), Unicode
// look-alikes of '/', '\' and '.' (fullwidth, division slash) taken as
// those, '\' taken as '/', each segment cut at its first ';' and stripped
// of trailing dots and spaces, empty and "." segments dropped, ".."
// resolved, letters in lower case, no trailing slash (the root is "/").
//
// A non-empty reason means the path cannot be read safely: it holds a
// control character (a NUL ends a path for some servers), an overlong UTF-8
// form (0xC0/0xC1 lead bytes, read as ASCII by lenient decoders), or is
// still percent-encoded after the extra decoding.
func CanonicalPath(dst []byte, p string) ([]byte, string) {
	for round := 0; hasPercentEscape(p); round++ {
		if round == maxDecodes {
			return dst, "the path is percent-encoded more than three times over"
		}
		p = unescapeLenient(p)
	}
	ascii := true
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c < 0x20 || c == 0x7f:
			return dst, fmt.Sprintf("the path holds the control character 0x%02x", c)
		case c == 0xc0 || c == 0xc1:
			return dst, "the path holds an overlong UTF-8 sequence"
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii {
		p = strings.Map(lookalike, strings.ToLower(p))
	}
	start := len(dst)
	for len(p) > 0 {
		i := strings.IndexAny(p, `/\`)
		seg := p
		if i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = ""
		}
		if j := strings.IndexByte(seg, ';'); j >= 0 {
			seg = seg[:j]
		}
		switch seg {
		case "", ".":
			continue
		case "..":
			if k := lastSlash(dst[start:]); k >= 0 {
				dst = dst[:start+k]
			}
			continue
		}
		seg = strings.TrimRight(seg, ". ")
		if seg == "" {
			continue
		}
		dst = append(dst, '/')
		for k := 0; k < len(seg); k++ {
			c := seg[k]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
	}
	if len(dst) == start {
		dst = append(dst, '/')
	}
	return dst, ""
}

func lastSlash(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return i
		}
	}
	return -1
}

// unescapeLenient decodes every '%' followed by two hex digits and keeps
// any other '%' as it is, as lenient servers do (net/url refuses the whole
// path over one malformed escape).
func unescapeLenient(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// hasPercentEscape reports whether s holds a '%' followed by two hex digits.
func hasPercentEscape(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0 && i+2 < len(s); {
		if isHex(s[i+1]) && isHex(s[i+2]) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// lookalike maps the Unicode forms of '/', '\' and '.' that some servers
// fold to ASCII (best-fit mappings, NFKC) onto ASCII.
func lookalike(r rune) rune {
	switch r {
	case '\uff0f', '\u2215', '\u2044', '\u29f8':
		return '/'
	case '\uff3c', '\u2216', '\u29f9':
		return '\\'
	case '\uff0e', '\u2024':
		return '.'
	}
	return r
}
