package facilitator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

func TestCheckUnambiguous(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		path, key string // "" key: accepted
	}{
		{"plain payment", `{"x402Version":2,"accepted":{"scheme":"exact","amount":"1"},"payload":{"authorization":{"value":"1","validAfter":0},"signature":"0x"}}`, "", ""},
		{"same key in sibling objects", `{"a":{"value":1},"b":{"value":2},"c":[{"value":1},{"value":2}]}`, "", ""},
		{"same key at two levels", `{"value":{"value":1}}`, "", ""},
		{"strings that look like keys", `{"a":"\"value\":","value":"{\"value\":1}"}`, "", ""},
		{"duplicate top level", `{"x402Version":2,"x402Version":1}`, "", "x402Version"},
		{"duplicate nested", `{"payload":{"authorization":{"value":"1","to":"0x","value":"2"}}}`, "payload.authorization", "value"},
		{"duplicate after a closed object", `{"payload":{"authorization":{"value":"1"},"signature":"0x","authorization":{}}}`, "payload", "authorization"},
		{"duplicate in an array element", `{"a":[{"k":1},{"k":1,"k":2}]}`, "a", "k"},
		{"duplicate escaped", `{"payload":{"value":"1","v\u0061lue":"2"}}`, "payload", "value"},
		{"case duplicate", `{"payload":{"nonce":"1","NONCE":"2"}}`, "payload", "NONCE"},
		{"unregistered case duplicate", `{"payload":{"myField":1,"MYFIELD":2}}`, "payload", "MYFIELD"},
		{"case variant of a field", `{"accepted":{"scheme":"exact","Amount":"1"}}`, "accepted", "Amount"},
		{"case variant of the version", `{"X402VERSION":2}`, "", "X402VERSION"},
		{"kelvin sign variant", "{\"scheme\":\"exact\",\"networ\u212a\":\"x\"}", "", "networ\u212a"},
		{"long s variant", "{\"\u017fcheme\":\"exact\"}", "", "\u017fcheme"},
		{"opaque: case differs", `{"extensions":{"bazaar":{"info":{"Name":1,"name":2,"Value":3}}}}`, "", ""},
		{"opaque: exact duplicate", `{"accepted":{"extra":{"name":"USDC","name":"USDT"}}}`, "accepted.extra", "name"},
		{"many keys", `{` + manyKeysDoc(40, "") + `}`, "", ""},
		{"many keys, duplicate late", `{` + manyKeysDoc(40, `,"k3":0`) + `}`, "", "k3"},
		{"many keys, case duplicate late", `{` + manyKeysDoc(40, `,"K39":0`) + `}`, "", "K39"},
		{"deep", strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70), strings.TrimSuffix(strings.Repeat("a.", 64), "."), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.doc)) {
				t.Fatalf("test document is not JSON: %s", tc.doc)
			}
			err := CheckUnambiguous([]byte(tc.doc))
			var ae *AmbiguityError
			switch {
			case tc.key == "" && tc.name != "deep" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.name == "deep":
				if !errors.As(err, &ae) || !strings.Contains(ae.Reason, "deeper") {
					t.Fatalf("got %v, want a depth refusal", err)
				}
			case tc.key != "":
				if !errors.As(err, &ae) || !errors.Is(err, ErrAmbiguousJSON) {
					t.Fatalf("got %v, want an ambiguity", err)
				}
				if ae.Path != tc.path || ae.Key != tc.key {
					t.Fatalf("got path %q key %q (%v), want %q %q", ae.Path, ae.Key, err, tc.path, tc.key)
				}
			}
		})
	}
}

func manyKeysDoc(n int, tail string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + itoa(i) + `":` + itoa(i))
	}
	return b.String() + tail
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDecodeHeaderRefusesAmbiguousPayloads(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	var p PaymentPayload
	err := DecodeHeader(enc(`{"x402Version":2,"payload":{"authorization":{"value":"10000","value":"1"}}}`), 0, &p)
	if !errors.Is(err, ErrAmbiguousJSON) || !strings.Contains(err.Error(), `payload.authorization: key "value" appears twice`) {
		t.Fatalf("got %v", err)
	}
	if err := DecodeHeader(enc(`{"x402Version":2,"payload":{"authorization":{"value":"10000"}}}`), 0, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeRequest([]byte(`{"paymentPayload":{"x402Version":2,"payload":{}},"PaymentPayload":{},"paymentRequirements":{}}`)); err == nil || !strings.Contains(err.Error(), "more than one way") {
		t.Fatalf("DecodeRequest: %v", err)
	}
}

// TestCheckUnambiguousAllocations: the hot path (a payment header) costs
// no allocation.
func TestCheckUnambiguousAllocations(t *testing.T) {
	doc := []byte(`{"x402Version":2,"accepted":{"scheme":"exact","network":"eip155:84532","amount":"10000","asset":"0x5FbDB2315678afecb367f032d93F642f64180aa3","payTo":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","maxTimeoutSeconds":60,"extra":{"name":"USD Coin","version":"2"}},"payload":{"authorization":{"from":"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC","to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","value":"10000","validAfter":"0","validBefore":"1800000600","nonce":"0x1111111111111111111111111111111111111111111111111111111111111111"},"signature":"0x00"}}`)
	if err := CheckUnambiguous(doc); err != nil {
		t.Fatal(err)
	}
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops items)")
	}
	if n := testing.AllocsPerRun(100, func() { _ = CheckUnambiguous(doc) }); n > 0 {
		t.Fatalf("%v allocations per check", n)
	}
}

// referenceAmbiguity is a slow, independent statement of the rule, for the
// fuzz target: walk the tokens, collect each object's keys, compare.
func referenceAmbiguity(doc []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	type obj struct {
		object, opaque bool
		keys           []string
		expectKey      bool
	}
	var stack []*obj
	names := wireNames.Load()
	pending := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return false
		}
		if err != nil {
			return false
		}
		var top *obj
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if len(stack) >= maxJSONDepth {
					return true
				}
				opaque := top != nil && (top.opaque || (top.object && opaqueKeys[pending]))
				stack = append(stack, &obj{object: v == '{', opaque: opaque, expectKey: v == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expectKey = true
				}
			}
			pending = ""
			continue
		case string:
			if top != nil && top.object && top.expectKey {
				for _, k := range top.keys {
					if k == v || (!top.opaque && bytes.EqualFold([]byte(k), []byte(v))) {
						return true
					}
				}
				if !top.opaque {
					for _, exact := range names.byFold {
						if exact != v && bytes.EqualFold([]byte(exact), []byte(v)) {
							return true
						}
					}
				}
				top.keys = append(top.keys, v)
				top.expectKey = false
				pending = v
				continue
			}
		}
		if top != nil && top.object {
			top.expectKey = true
		}
		pending = ""
	}
}

// FuzzCheckUnambiguous compares CheckUnambiguous with referenceAmbiguity on
// arbitrary JSON. Corpus: testdata/fuzz/FuzzCheckUnambiguous.
func FuzzCheckUnambiguous(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"a":2}`, `{"a":{"b":1},"a":2}`, `{"value":1,"VALUE":2}`, `{"Value":1}`, `{"extra":{"Name":1,"name":2}}`,
		`{"a":[{"x":1},{"x":1}]}`, `{"v\u0061lue":1,"value":2}`, `[{"a":1},{"b":2,"b":3}]`, `{"payload":{"authorization":{"value":"1"}}}`,
		`"x"`, `1`, `{}`, `{"a":"}","b":"{"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			return
		}
		err := CheckUnambiguous(doc)
		if err != nil && !errors.Is(err, ErrAmbiguousJSON) {
			t.Fatalf("error that is not an ambiguity: %v", err)
		}
		if want := referenceAmbiguity(doc); (err != nil) != want {
			t.Fatalf("CheckUnambiguous(%s) = %v, reference says ambiguous=%v", doc, err, want)
		}
	})
}
