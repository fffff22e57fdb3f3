package policies

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalPath(t *testing.T) {
	for _, tc := range []struct{ in, want, ambiguous string }{
		{"/", "/", ""},
		{"", "/", ""},
		{"/paid/hello", "/paid/hello", ""},
		{"/PAID/Hello", "/paid/hello", ""},
		{"/paid/hello/", "/paid/hello", ""},
		{"//paid///hello//", "/paid/hello", ""},
		{"/./paid/./hello", "/paid/hello", ""},
		{"/x/../paid/hello", "/paid/hello", ""},
		{"/../../paid/hello", "/paid/hello", ""},
		{"/paid/hello/..", "/paid", ""},
		{"/paid;x=1/hello", "/paid/hello", ""},
		{"/paid/hello;jsessionid=1", "/paid/hello", ""},
		{"/x/..;/paid/hello", "/paid/hello", ""},
		{`/paid\hello`, "/paid/hello", ""},
		{`\paid\..\paid\hello`, "/paid/hello", ""},
		{"/paid./hello. ", "/paid/hello", ""},
		{"/%70aid/hello", "/paid/hello", ""},         // URL.Path after a second decode
		{"/%2570aid/hello", "/paid/hello", ""},       // three layers
		{"/%252570aid/hello", "", "more than three"}, // four
		{"/paid%zz", "/paid%zz", ""},
		{"/100%/x", "/100%/x", ""},
		{"/paid\x00.css", "", "control character 0x00"},
		{"/paid\r\nhello", "", "control character 0x0d"},
		{"/paid\xc0\xafhello", "", "overlong"},
		{"/paid\uff0fhello", "/paid/hello", ""},
		{"/paid\u2215hello", "/paid/hello", ""},
		{"/PAÏD/x", "/païd/x", ""},
		{"/\uff0e\uff0e/paid", "/paid", ""},
	} {
		got, reason := CanonicalPath(nil, tc.in)
		if tc.ambiguous != "" {
			if !strings.Contains(reason, tc.ambiguous) {
				t.Errorf("%q: reason %q, want %q", tc.in, reason, tc.ambiguous)
			}
			continue
		}
		if reason != "" || string(got) != tc.want {
			t.Errorf("%q: %q (%s), want %q", tc.in, got, reason, tc.want)
		}
	}
}

// spellings are ways a client can write /paid/hello that an upstream may
// read as /paid/hello, as raw request targets (what goes on the wire).
var spellings = []string{
	"/paid/hello", "/PAID/hello", "/Paid/Hello", "/%70aid/hello", "/%50AID/hello", "/paid%2Fhello", "/paid%2fhello",
	"/paid%5Chello", "/paid%5chello", "//paid/hello", "/paid//hello", "/./paid/hello", "/paid/./hello", "/x/../paid/hello",
	"/paid/x/../hello", "/paid;x=1/hello", "/paid/hello;x", "/paid/hello/", "/paid/hello//", "/paid%252Fhello",
	"/paid%25252Fhello", "/%2e/paid/hello", "/x/%2e%2e/paid/hello", "/x/..;/paid/hello", "/paid./hello", "/paid%20/hello",
	"/paid%EF%BC%8Fhello", "/paid;/hello", "/paid%3Bx/hello",
}

// TestPricedPathsSpellings: every spelling of a priced path is priced, by
// an exact, a prefix, a suffix and a glob pattern alike, and the free path
// next to it is not.
func TestPricedPathsSpellings(t *testing.T) {
	for _, pattern := range []string{"/paid/hello", "/paid/*", "/paid*", "*/hello", "*/paid/*", "/p?id/h*", "/PAID/HELLO/"} {
		pp, err := NewPricedPaths([]string{pattern})
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range spellings {
			u, err := url.ParseRequestURI(sp)
			if err != nil {
				t.Fatalf("%s: %v", sp, err)
			}
			if ok, amb := pp.Match(u.Path); !ok || amb != "" {
				t.Errorf("pattern %s: %s (decoded %q) not priced (%s)", pattern, sp, u.Path, amb)
			}
		}
		if ok, _ := pp.Match("/free/hello"); ok && pattern != "*/hello" {
			t.Errorf("pattern %s: /free/hello priced", pattern)
		}
	}
	pp, _ := NewPricedPaths([]string{"/paid/*"})
	for _, p := range []string{"/paid", "/PAID/", "/paid;v=1"} {
		if ok, _ := pp.Match(p); !ok {
			t.Errorf("/paid/* does not cover %q", p)
		}
	}
	for _, p := range []string{"/paidx", "/pai", "/free/paid/x", "/"} {
		if ok, _ := pp.Match(p); ok {
			t.Errorf("/paid/* covers %q", p)
		}
	}
	if ok, amb := pp.Match("/paid\x00"); ok || amb == "" {
		t.Error("a NUL in the path was not refused")
	}
}

func TestPricedPathsBadPattern(t *testing.T) {
	if _, err := NewPricedPaths([]string{"/paid/[x"}); err == nil {
		t.Error("malformed glob accepted")
	}
	if _, err := NewPricedPaths([]string{""}); err == nil {
		t.Error("empty pattern accepted")
	}
}

func TestPricedPathsAllocations(t *testing.T) {
	pp, _ := NewPricedPaths([]string{"/paid/*", "/api/v1/report", "*.pdf"})
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops items)")
	}
	for _, p := range []string{"/free/page", "/Paid;x/hello/", "/api/v1/report"} {
		if n := testing.AllocsPerRun(200, func() { pp.Match(p) }); n != 0 {
			t.Errorf("%q: %v allocations per match", p, n)
		}
	}
}

// FuzzCanonicalPath: the canonical form is a fixed point, has none of the
// spellings it removes, and does not change when a segment of the input is
// respelled in any of the ways an upstream may normalise. Corpus:
// testdata/fuzz/FuzzCanonicalPath.
func FuzzCanonicalPath(f *testing.F) {
	for _, s := range spellings {
		f.Add(s, uint8(0), uint8(0))
	}
	f.Add("/a/b/c", uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, p string, where, how uint8) {
		c, reason := CanonicalPath(nil, p)
		if reason != "" {
			return
		}
		cs := string(c)
		if c2, r2 := CanonicalPath(nil, cs); r2 != "" || string(c2) != cs {
			t.Fatalf("%q -> %q -> %q (%s): not a fixed point", p, cs, c2, r2)
		}
		if !strings.HasPrefix(cs, "/") || strings.Contains(cs, "//") || strings.Contains(cs, "\\") || strings.Contains(cs, ";") ||
			(cs != "/" && strings.HasSuffix(cs, "/")) || strings.Contains(cs+"/", "/./") || strings.Contains(cs+"/", "/../") {
			t.Fatalf("%q -> %q keeps a spelling the canonical form removes", p, cs)
		}
		for i := 0; i < len(cs); i++ {
			if 'A' <= cs[i] && cs[i] <= 'Z' {
				t.Fatalf("%q -> %q keeps upper case", p, cs)
			}
		}
		// Respell the canonical path at one segment boundary and compare.
		segs := strings.Split(cs, "/")
		k := 1 + int(where)%max(len(segs)-1, 1)
		if k >= len(segs) || segs[k] == "" {
			return
		}
		s := segs[k]
		respelled := map[uint8]string{
			0: strings.ToUpper(s),
			1: s + ";v=1",
			2: "." + "/" + s,
			3: "x/../" + s,
			4: s + "/",
			5: url.PathEscape(url.PathEscape(s)),
			6: "/" + s,
			7: s + ".",
		}[how%8]
		segs[k] = respelled
		q := strings.Join(segs, "/")
		if how%8 == 3 && strings.ContainsAny(s, "%") {
			return
		}
		if c3, r3 := CanonicalPath(nil, q); r3 == "" && string(c3) != cs {
			t.Fatalf("%q respelled as %q reads %q, not %q", cs, q, c3, cs)
		}
	})
}

func ExampleCanonicalPath() {
	for _, p := range []string{"/PAID;x=1//hello/", `/x/..\paid\hello`} {
		c, _ := CanonicalPath(nil, p)
		fmt.Println(string(c))
	}
	// Output:
	// /paid/hello
	// /paid/hello
}
