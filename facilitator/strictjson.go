package facilitator

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// ErrAmbiguousJSON means a JSON document can be read more than one way: an
// object holds the same key twice (encoding/json keeps the last, other
// parsers may keep the first or fail), two keys that encoding/json treats as
// one (it matches field names case-insensitively), or a key that
// encoding/json would take for a wire field whose exact spelling differs
// ("Value" for "value": Go reads it, JavaScript does not). A payment must
// mean one thing to this server and to any facilitator it is forwarded to.
var ErrAmbiguousJSON = errors.New("ambiguous JSON")

// AmbiguityError says where a document is ambiguous.
type AmbiguityError struct {
	Path   string // dotted path of the object, e.g. payload.authorization
	Key    string // the offending key
	Reason string
}

func (e *AmbiguityError) Error() string {
	where := "the top-level object"
	if e.Path != "" {
		where = e.Path
	}
	if e.Key == "" {
		return where + " " + e.Reason
	}
	return fmt.Sprintf("%s: key %s %s", where, strconv.Quote(clipKey(e.Key)), e.Reason)
}

func (e *AmbiguityError) Unwrap() error { return ErrAmbiguousJSON }

// maxJSONDepth bounds the nesting CheckUnambiguous follows; x402 payloads
// are a few levels deep.
const maxJSONDepth = 64

// opaqueKeys hold free-form JSON that this server passes on without mapping
// it to Go fields (extensions, the requirements' extra, output schemas):
// only exact duplicate keys are refused inside them, since keys that differ
// in case are distinct there for every parser.
var opaqueKeys = map[string]bool{"extensions": true, "extra": true, "outputSchema": true}

// CheckUnambiguous reports an *AmbiguityError (wrapping ErrAmbiguousJSON)
// when the JSON document b, which must already be valid JSON, holds an
// object with a key repeated (byte for byte after unescaping; outside
// opaque values also case-insensitively, as encoding/json matches fields),
// a key that is a case variant of a registered wire field name
// (RegisterWireNames), or nesting deeper than 64 levels. It allocates
// nothing for documents whose objects are small and whose keys are not
// escaped.
func CheckUnambiguous(b []byte) error {
	s := scanPool.Get().(*ambiguityScan)
	err := s.run(b)
	s.reset()
	scanPool.Put(s)
	return err
}

var scanPool = sync.Pool{New: func() any { return new(ambiguityScan) }}

// keySpan is one key of an open object: its compared form in
// ambiguityScan.forms.
type keySpan struct{ start, end int }

type frame struct {
	object    bool
	opaque    bool // inside a free-form value: exact comparison only
	expectKey bool
	firstKey  int             // index in keys of this object's first key
	many      map[string]bool // compared forms, once an object has many keys
	key       []byte          // the key this value sits under (for messages)
}

type ambiguityScan struct {
	stack []frame
	keys  []keySpan
	forms []byte // compared forms of the keys of every open object
}

func (s *ambiguityScan) reset() {
	for i := range s.stack {
		s.stack[i] = frame{}
	}
	s.stack, s.keys, s.forms = s.stack[:0], s.keys[:0], s.forms[:0]
}

// manyKeys is the object size from which duplicate keys are found with a
// map instead of comparing each key with the ones before it.
const manyKeys = 16

func (s *ambiguityScan) run(b []byte) error {
	names := wireNames.Load()
	var pendingKey []byte
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{', '[':
			if len(s.stack) >= maxJSONDepth {
				return &AmbiguityError{Path: s.path(), Reason: fmt.Sprintf("is nested deeper than %d levels", maxJSONDepth)}
			}
			opaque := false
			if n := len(s.stack); n > 0 {
				opaque = s.stack[n-1].opaque || (s.stack[n-1].object && opaqueKeys[string(pendingKey)])
			}
			s.stack = append(s.stack, frame{object: c == '{', opaque: opaque, expectKey: c == '{', firstKey: len(s.keys), key: pendingKey})
			pendingKey = nil
		case '}', ']':
			if n := len(s.stack); n > 0 {
				if top := &s.stack[n-1]; top.object {
					s.keys = s.keys[:top.firstKey]
					end := 0
					if len(s.keys) > 0 {
						end = s.keys[len(s.keys)-1].end
					}
					s.forms = s.forms[:end]
				}
				s.stack[n-1] = frame{}
				s.stack = s.stack[:n-1]
			}
		case ',':
			if n := len(s.stack); n > 0 && s.stack[n-1].object {
				s.stack[n-1].expectKey = true
			}
			pendingKey = nil
		case '"':
			end := stringEnd(b, i)
			if n := len(s.stack); n > 0 && s.stack[n-1].object && s.stack[n-1].expectKey {
				top := &s.stack[n-1]
				top.expectKey = false
				pendingKey = b[i+1 : end]
				if err := s.addKey(top, pendingKey, names); err != nil {
					return err
				}
			}
			i = end
		}
	}
	return nil
}

func (s *ambiguityScan) addKey(top *frame, raw []byte, names *wireNameSet) error {
	key := raw
	if hasEscape(raw) {
		var k string
		if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k); err != nil {
			return &AmbiguityError{Path: s.path(), Key: string(raw), Reason: "is not a valid JSON string"}
		}
		key = []byte(k)
	}
	start := len(s.forms)
	if top.opaque {
		s.forms = append(s.forms, key...)
	} else {
		s.forms = appendFold(s.forms, key)
	}
	form := s.forms[start:]
	if names != nil && !top.opaque {
		if exact, ok := names.byFold[string(form)]; ok && exact != string(key) {
			return &AmbiguityError{Path: s.path(), Key: string(key), Reason: fmt.Sprintf("is a case variant of the field %q (encoding/json would read it as that field, other parsers would not)", exact)}
		}
	}
	if top.many != nil {
		if top.many[string(form)] {
			return s.duplicate(top, key)
		}
		top.many[string(form)] = true
	} else {
		for _, k := range s.keys[top.firstKey:] {
			if string(s.forms[k.start:k.end]) == string(form) {
				return s.duplicate(top, key)
			}
		}
		if len(s.keys)-top.firstKey+1 >= manyKeys {
			top.many = make(map[string]bool, 2*manyKeys)
			for _, k := range s.keys[top.firstKey:] {
				top.many[string(s.forms[k.start:k.end])] = true
			}
			top.many[string(form)] = true
		}
	}
	s.keys = append(s.keys, keySpan{start, len(s.forms)})
	return nil
}

func (s *ambiguityScan) duplicate(top *frame, key []byte) error {
	reason := "appears twice"
	if !top.opaque {
		reason += " (keys that differ only in letter case count as one: encoding/json reads them as one field)"
	}
	return &AmbiguityError{Path: s.path(), Key: string(key), Reason: reason}
}

// path is the dotted path of the innermost open value, for messages.
func (s *ambiguityScan) path() string {
	var parts []string
	for _, f := range s.stack {
		if len(f.key) > 0 {
			parts = append(parts, clipKey(string(f.key)))
		}
	}
	return strings.Join(parts, ".")
}

// stringEnd returns the index of the closing quote of the JSON string that
// opens at b[i] (or len(b)-1 if b is cut short).
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(b) - 1
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// appendFold appends the case-folded form of key with the folding
// encoding/json uses to match field names (ASCII upper case, and the
// smallest rune of each Unicode fold set: "ſ" folds with "s", "K" (Kelvin)
// with "k").
func appendFold(out, key []byte) []byte {
	for i := 0; i < len(key); {
		c := key[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return out
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

func clipKey(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// wireNameSet maps the folded form of every registered wire field name to
// its exact spelling.
type wireNameSet struct {
	byFold map[string]string
}

var (
	wireNames   atomic.Pointer[wireNameSet]
	wireNamesMu sync.Mutex
)

// RegisterWireNames adds the JSON field names of the given struct values'
// types (and of the structs they contain) to the names CheckUnambiguous
// protects against case variants. Packages that decode payloads with
// encoding/json register their wire types from init.
func RegisterWireNames(values ...any) {
	wireNamesMu.Lock()
	defer wireNamesMu.Unlock()
	next := &wireNameSet{byFold: map[string]string{}}
	if cur := wireNames.Load(); cur != nil {
		for k, v := range cur.byFold {
			next.byFold[k] = v
		}
	}
	seen := map[reflect.Type]bool{}
	for _, v := range values {
		collectNames(reflect.TypeOf(v), next.byFold, seen)
	}
	wireNames.Store(next)
}

func collectNames(t reflect.Type, into map[string]string, seen map[reflect.Type]bool) {
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			if tag == "-" {
				continue
			}
			if n, _, _ := strings.Cut(tag, ","); n != "" {
				name = n
			}
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			collectNames(f.Type, into, seen)
			continue
		}
		folded := string(appendFold(nil, []byte(name)))
		if prev, ok := into[folded]; ok && prev != name {
			panic(fmt.Sprintf("facilitator: wire field names %q and %q differ only in case", prev, name))
		}
		into[folded] = name
		collectNames(f.Type, into, seen)
	}
}

func init() {
	RegisterWireNames(PaymentPayload{}, PaymentRequirementsV1{}, rawRequest{})
}
