package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// Result is one row of the benchmark (one JSON line in the results file).
type Result struct {
	Label    string         `json:"label"`
	Key      string         `json:"key,omitempty"` // names the row for the targets (plain, escrow, after, header32, …)
	Mode     string         `json:"mode"`
	Group    string         `json:"group,omitempty"` // "ours" or "official"
	URL      string         `json:"url"`
	N        int            `json:"n"`
	C        int            `json:"c"`
	OK       int            `json:"ok"`     // answers with the expected status
	Failed   int            `json:"failed"` // other statuses and transport errors
	Statuses map[string]int `json:"statuses"`
	Errors   []string       `json:"errors,omitempty"` // first few transport errors
	Seconds  float64        `json:"seconds"`
	RPS      float64        `json:"rps"` // expected answers per second
	P50      float64        `json:"p50_ms"`
	P90      float64        `json:"p90_ms"`
	P99      float64        `json:"p99_ms"`
	Max      float64        `json:"max_ms"`
	PrepSecs float64        `json:"prep_seconds"` // pre-signing (not measured)
	Served   int            `json:"served"`       // expected answers, warm-up included
	Note     string         `json:"note,omitempty"`
	// CPUus is the CPU time each measured process (-cpu) spent per
	// measured request, in microseconds.
	CPUus map[string]float64 `json:"cpu_us_per_request,omitempty"`
}

type runFlags struct {
	url, mode, label, group, out, payers, note string
	key                                        string
	profileURL, profileOut, cpu                string
	profileSeconds                             int
	n, c, warmup, version, expect, sessions    int
	deposit                                    string
	timeout                                    time.Duration
	tolerate                                   bool
}

func cmdRun(args []string) error {
	var f runFlags
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	fs.StringVar(&f.url, "url", "", "`URL` to load")
	fs.StringVar(&f.mode, "mode", "plain", "plain (no payment, expect 200), unpaid (expect 402), exact (a distinct pre-signed payment per request) or escrow (sessions, a fresh requestId per request)")
	fs.StringVar(&f.label, "label", "", "row label (default: the mode)")
	fs.StringVar(&f.key, "key", "", "row key for the report's targets (plain, escrow, after, header32, header256, …)")
	fs.StringVar(&f.group, "group", "ours", "row group: ours or official")
	fs.StringVar(&f.note, "note", "", "free text for the report")
	fs.StringVar(&f.out, "out", "", "append the result as a JSON line to `FILE`")
	fs.StringVar(&f.payers, "payers", "3,4,5,6,7,8,9", "dev account `INDEXES` that pay (round robin)")
	fs.StringVar(&f.deposit, "deposit", "50000000", "escrow: deposit of each session in token `UNITS`")
	fs.IntVar(&f.n, "n", 20000, "measured requests")
	fs.IntVar(&f.c, "c", 32, "concurrency (connections and requests in flight)")
	fs.IntVar(&f.warmup, "warmup", -1, "requests before the clock starts (default: n/20, at least 200; each has its own payment)")
	fs.IntVar(&f.version, "version", 2, "x402 protocol version of the payments")
	fs.IntVar(&f.expect, "expect", 0, "expected status (default: 402 for unpaid, else 200)")
	fs.IntVar(&f.sessions, "sessions", 0, "escrow: sessions to open (default: one per payer)")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "per-request timeout")
	fs.BoolVar(&f.tolerate, "tolerate", false, "report unexpected answers instead of failing (for the official stack)")
	fs.StringVar(&f.profileURL, "profile-url", "", "while measuring, fetch a CPU profile from this pprof `URL` (Caddy admin: http://127.0.0.1:2019/debug/pprof/profile)")
	fs.StringVar(&f.profileOut, "profile-out", "", "write that profile to `FILE`")
	fs.IntVar(&f.profileSeconds, "profile-seconds", 5, "length of the CPU profile")
	fs.StringVar(&f.cpu, "cpu", "", "measure the CPU time per request of these processes, `name=pid,…` (and of loadgen itself)")
	_ = fs.Parse(args)
	procs, err := parseCPUProcs(f.cpu)
	if err != nil {
		return err
	}
	if f.url == "" {
		return errors.New("-url is required")
	}
	if f.label == "" {
		f.label = f.mode
	}
	if f.expect == 0 {
		f.expect = http.StatusOK
		if f.mode == "unpaid" {
			f.expect = http.StatusPaymentRequired
		}
	}
	if f.warmup < 0 {
		f.warmup = max(f.n/20, 200)
	}
	u, err := url.Parse(f.url)
	if err != nil {
		return err
	}
	hc := newHTTPClient(f.c, f.timeout)
	total := f.warmup + f.n

	prepStart := time.Now()
	var name string
	var values []string
	switch f.mode {
	case "plain", "unpaid":
	case "exact":
		name, values, err = presignExact(hc, f.url, f.payers, f.version, total)
	case "escrow":
		name, values, err = escrowUsage(hc, f.url, f.payers, f.sessions, f.deposit, total)
	default:
		return fmt.Errorf("unknown mode %q", f.mode)
	}
	if err != nil {
		return err
	}
	prep := time.Since(prepStart)
	if values != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %d payment headers prepared in %.1fs\n", f.label, len(values), prep.Seconds())
	}
	header := func(i int) http.Header {
		if values == nil {
			return http.Header{}
		}
		return http.Header{name: {values[i]}}
	}

	// Warm-up: connections, caches (the payers' balances), JIT-free but
	// GC-sized heaps. Its answers must be the expected ones too.
	warmOK := 0
	if f.warmup > 0 {
		w := drive(hc, u, f.c, 0, f.warmup, header, f.expect)
		warmOK = w.ok
		if w.ok != f.warmup && !f.tolerate {
			return fmt.Errorf("warm-up: %d of %d answers were %d (statuses %v, errors %v)", w.ok, f.warmup, f.expect, w.statuses, w.errs)
		}
		if f.mode == "exact" || f.mode == "escrow" {
			if err := checkPaid(hc, u, header(0)); err != nil {
				return err
			}
		}
	}
	runtime.GC()
	var prof sync.WaitGroup
	if f.profileURL != "" && f.profileOut != "" {
		prof.Add(1)
		go func() {
			defer prof.Done()
			if err := fetchProfile(f.profileURL, f.profileSeconds, f.profileOut); err != nil {
				fmt.Fprintf(os.Stderr, "loadgen %s: profile: %v\n", f.label, err)
			}
		}()
	}
	var cpu0 map[string]float64
	if len(procs) > 0 {
		if cpu0, err = procs.cpuSeconds(); err != nil {
			return err
		}
	}
	m := drive(hc, u, f.c, f.warmup, total, header, f.expect)
	var cpuUS map[string]float64
	if cpu0 != nil {
		cpu1, err := procs.cpuSeconds()
		if err != nil {
			return err
		}
		cpuUS = map[string]float64{}
		for name, s := range cpu1 {
			cpuUS[name] = (s - cpu0[name]) * 1e6 / float64(max(m.ok, 1))
		}
	}
	prof.Wait()
	r := Result{Label: f.label, Key: f.key, Mode: f.mode, Group: f.group, URL: f.url, N: f.n, C: f.c, OK: m.ok, Failed: f.n - m.ok,
		Statuses: m.statuses, Errors: m.errs, Seconds: m.elapsed.Seconds(), PrepSecs: prep.Seconds(), Note: f.note, Served: warmOK + m.ok, CPUus: cpuUS}
	r.RPS = float64(m.ok) / m.elapsed.Seconds()
	r.P50, r.P90, r.P99, r.Max = pct(m.lat, 50), pct(m.lat, 90), pct(m.lat, 99), pct(m.lat, 100)
	fmt.Printf("%-28s n=%d c=%d  %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  max %7.1f ms  ok %d/%d  %v\n",
		r.Label, r.N, r.C, r.RPS, r.P50, r.P99, r.Max, r.OK, r.N, r.Statuses)
	if f.out != "" {
		b, _ := json.Marshal(r)
		fh, err := os.OpenFile(f.out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		_, err = fh.Write(append(b, '\n'))
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if r.Failed > 0 && !f.tolerate {
		return fmt.Errorf("%s: %d of %d requests did not get %d (%v; %v)", r.Label, r.Failed, r.N, f.expect, r.Statuses, r.Errors)
	}
	return nil
}

// checkPaid replays the first warm-up payment: the server must refuse it
// (one payment, one response), which also shows the payments were real.
func checkPaid(hc *http.Client, u *url.URL, h http.Header) error {
	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: h, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return errors.New("a payment header sent twice was served twice: the replay check failed")
	}
	return nil
}

func fetchProfile(rawURL string, seconds int, out string) error {
	hc := &http.Client{Timeout: time.Duration(seconds+30) * time.Second}
	resp, err := hc.Get(fmt.Sprintf("%s?seconds=%d", rawURL, seconds))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", rawURL, resp.StatusCode)
	}
	fh, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := io.Copy(fh, resp.Body); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

func newHTTPClient(c int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        c * 2,
		MaxIdleConnsPerHost: c * 2,
		MaxConnsPerHost:     c,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

type measured struct {
	ok       int
	statuses map[string]int
	errs     []string
	lat      []time.Duration
	elapsed  time.Duration
}

// drive sends requests from..to-1 (request i carries header(i)) with c in
// flight at a time, and measures them.
func drive(hc *http.Client, u *url.URL, c, from, to int, header func(int) http.Header, expect int) measured {
	n := to - from
	lat := make([]time.Duration, n)
	codes := make([]int, n) // 0: transport error
	var next atomic.Int64
	next.Store(int64(from))
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: header(i), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat[i-from] = time.Since(t0)
				if err != nil {
					mu.Lock()
					if len(errs) < 5 {
						errs = append(errs, err.Error())
					}
					mu.Unlock()
					continue
				}
				codes[i-from] = resp.StatusCode
			}
		}()
	}
	wg.Wait()
	m := measured{elapsed: time.Since(start), statuses: map[string]int{}, errs: errs, lat: lat}
	for _, code := range codes {
		key := strconv.Itoa(code)
		if code == 0 {
			key = "error"
		}
		m.statuses[key]++
		if code == expect {
			m.ok++
		}
	}
	return m
}

// pct is the p-th percentile of d in milliseconds (nearest rank).
func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(float64(len(s))*p/100+0.5) - 1
	k = min(max(k, 0), len(s)-1)
	return float64(s[k]) / float64(time.Millisecond)
}

// challenge fetches the 402 of url and returns its v2 requirements.
func challenge(hc *http.Client, rawURL string) (*facilitator.PaymentRequired, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPaymentRequired {
		return nil, fmt.Errorf("GET %s without payment: status %d, want 402", rawURL, resp.StatusCode)
	}
	return parseChallenge(resp)
}

func parsePayers(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		i, err := strconv.Atoi(p)
		if err != nil || i < 0 {
			return nil, fmt.Errorf("-payers: %q is not an account index", p)
		}
		out = append(out, i)
	}
	if len(out) == 0 {
		return nil, errors.New("-payers: no accounts")
	}
	return out, nil
}
