package ops

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// dashboardMetrics reads the metric names every query of the Grafana
// dashboard uses.
func dashboardMetrics(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testsvc.RepoRoot(), "examples", "grafana", "caddy-x402-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	names := map[string]bool{}
	exprs := 0
	add := func(where, expr string) {
		found := metricName.FindAllString(expr, -1)
		if len(found) == 0 {
			t.Errorf("%s: query %q names no caddy_x402 metric", where, expr)
		}
		for _, n := range found {
			names[n] = true
		}
		exprs++
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			add("panel "+p.Title, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		add("variable", v.Definition)
	}
	if exprs < 20 {
		t.Fatalf("only %d queries in the dashboard", exprs)
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var metricName = regexp.MustCompile(`caddy_x402_[a-z0-9_]+`)

// scrape is one read of Caddy's metrics endpoint.
type scrape struct {
	at   time.Time
	text string
}

// series returns the value of every sample of metric whose labels contain
// all of the given `name="value"` pairs, summed.
func (s scrape) value(metric string, labels ...string) (float64, bool) {
	sum, found := 0.0, false
	for _, line := range strings.Split(s.text, "\n") {
		if !strings.HasPrefix(line, metric+"{") && !strings.HasPrefix(line, metric+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err == nil {
			sum, found = sum+v, true
		}
	}
	return sum, found
}

// exposes reports whether the scrape has a sample of metric.
func (s scrape) exposes(metric string) bool {
	_, ok := s.value(metric)
	return ok
}

// A load run on anvil (one block a second) through the Caddy binary with a
// Redis store: exact payments settled after (queued), settled at the
// header, released, replayed, and escrow session calls, while Caddy's
// metrics are scraped every 250 ms. Every query of the Grafana dashboard
// names a metric that these scrapes expose; every caddy_x402 metric they
// expose is documented in the README's metrics table; and the gauges move:
// the queue, the replay guard, the pending transactions, the facilitator's
// gas and the escrow sessions (count, deposit, use, capture).
func TestDashboardAgainstALoadRun(t *testing.T) {
	want := dashboardMetrics(t)
	h := newHost(t)
	c := newChain(t, h, "--block-time", "1")
	redis := testsvc.StartRedis(t)
	keyFile, _ := h.keyFile(7, 0o600)
	escrowBlock := fmt.Sprintf("\t\t\tescrow {\n\t\t\t\tcontract %s\n\t\t\t\tcollector %s\n\t\t\t\tcapture_interval 1s\n\t\t\t\tcapture_threshold 0.002\n\t\t\t}\n",
		c.contracts["AuthCaptureEscrow"], c.contracts["ERC3009PaymentCollector"])
	x402 := strings.Replace(c.x402Block(keyFile, "\t\tstore redis redis://"+redis.Addr+"/0\n\t\tmonitor_interval 200ms\n"), "\t\t}\n\t\tfacilitator", escrowBlock+"\t\t}\n\t\tfacilitator", 1)
	route := func(path, extra string) string {
		return fmt.Sprintf("\tx402 %s {\n\t\tprice 0.01\n\t\tpay_to %s\n%s\t}\n", path, payee, extra)
	}
	i := h.newInstance("load", config{
		x402:  x402,
		route: "\t\tprice 0.01\n\t\tpay_to " + payee + "\n\t\tsettle after\n\t\tsettle_delay 2s\n",
		siteExtra: route("/sync/*", "\t\tsettle header\n") + route("/fail/*", "\t\tsettle header\n") +
			"\trespond /fail/* \"upstream failed\" 500\n" +
			fmt.Sprintf("\tx402 /session/* {\n\t\tprice \"1000 units\"\n\t\tpay_to %s\n\t\tscheme escrow\n\t}\n", payee),
	})
	i.start()

	var mu sync.Mutex
	var scrapes []scrape
	stop := make(chan struct{})
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		for {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", i.admin))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				scrapes = append(scrapes, scrape{time.Now(), string(b)})
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()

	accts, err := devchain.DevAccounts(7)
	if err != nil {
		t.Fatal(err)
	}
	payer := func(k int) *client.Client {
		return &client.Client{Key: accts[k].Key, HTTP: &http.Client{Timeout: 60 * time.Second}, MaxAmount: big.NewInt(10000)}
	}
	do := func(c *client.Client, path string) int {
		req, _ := http.NewRequest(http.MethodGet, i.url(path), nil)
		res, err := c.Do(req)
		if res == nil {
			t.Errorf("%s: %v", path, err)
			return 0
		}
		_, _ = io.Copy(io.Discard, res.Response.Body)
		res.Response.Body.Close()
		return res.Response.StatusCode
	}
	// A new Redis store refuses paid requests (503) until this instance has
	// joined its generation: wait for the first payment to go through.
	payAfter(t, i)
	var wg sync.WaitGroup
	for k := 2; k <= 5; k++ { // four payers, 12 after-mode payments each
		wg.Add(1)
		go func(c *client.Client) {
			defer wg.Done()
			for n := 0; n < 12; n++ {
				if code := do(c, fmt.Sprintf("/paid/%d", n)); code != 200 {
					t.Errorf("after-mode payment: %d", code)
				}
			}
		}(payer(k))
	}
	wg.Add(1)
	go func() { // settle header, an upstream failure, an unpaid request, a malformed payment
		defer wg.Done()
		c := payer(6)
		for n := 0; n < 3; n++ {
			if code := do(c, "/sync/x"); code != 200 {
				t.Errorf("header-mode payment: %d", code)
			}
		}
		if code := do(c, "/fail/x"); code != 500 {
			t.Errorf("failing upstream: %d", code)
		}
		r, err := http.Get(i.url("/paid/unpaid"))
		if err == nil {
			r.Body.Close()
		}
		bad, _ := http.NewRequest(http.MethodGet, i.url("/paid/bad"), nil)
		bad.Header.Set("PAYMENT-SIGNATURE", "not base64 JSON")
		if r, err := http.DefaultClient.Do(bad); err != nil || r.StatusCode != 400 {
			t.Errorf("malformed payment: %v %v", r, err)
		} else {
			r.Body.Close()
		}
	}()
	wg.Add(1)
	go func() { // an escrow session: one deposit, then calls
		defer wg.Done()
		c := payer(2)
		c.Scheme = "escrow"
		c.Escrow = &client.EscrowOptions{Sessions: client.OpenSessionStore(filepath.Join(h.dir, "sessions.json")), Deposit: big.NewInt(100000)}
		for n := 0; n < 5; n++ {
			if code := do(c, "/session/x"); code != 200 {
				t.Errorf("escrow call: %d", code)
			}
			// Spread over a few of the operator's 1 s sweeps, which report
			// the session totals: the gauges show the use growing.
			time.Sleep(time.Second)
		}
	}()
	wg.Wait()
	// Let the queue drain and the escrow capture run, still scraping.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		last := scrapes[len(scrapes)-1]
		mu.Unlock()
		if q, ok := last.value("caddy_x402_settlement_queue_length"); ok && q == 0 {
			if p, _ := last.value("caddy_x402_pending_transactions"); p == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue did not drain:\n%s", last.text)
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	<-scraped
	t.Logf("%d scrapes", len(scrapes))

	// Every dashboard query names an exposed metric.
	for _, m := range want {
		if !slices.ContainsFunc(scrapes, func(s scrape) bool { return s.exposes(m) }) {
			t.Errorf("the dashboard queries %s, which no scrape of the load run exposed", m)
		}
	}
	// Every exposed caddy_x402 metric is documented in the README.
	readme, err := os.ReadFile(filepath.Join(testsvc.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	exposed := map[string]bool{}
	for _, s := range scrapes {
		for _, line := range strings.Split(s.text, "\n") {
			if strings.HasPrefix(line, "# TYPE caddy_x402_") {
				exposed[strings.Fields(line)[2]] = true
			}
		}
	}
	for m := range exposed {
		if !strings.Contains(string(readme), "`"+m+"`") {
			t.Errorf("metric %s is exposed but not documented in the README", m)
		}
	}

	// The gauges move.
	series := func(metric string, labels ...string) []float64 {
		var out []float64
		for _, s := range scrapes {
			if v, ok := s.value(metric, labels...); ok {
				out = append(out, v)
			}
		}
		if len(out) == 0 {
			t.Errorf("%s %v: never exposed", metric, labels)
		}
		return out
	}
	first := func(v []float64) float64 { return v[0] }
	final := func(v []float64) float64 { return v[len(v)-1] }
	for _, g := range []struct {
		metric string
		labels []string
		check  func([]float64) bool
		what   string
	}{
		{"caddy_x402_settlement_queue_length", nil, func(v []float64) bool { return slices.Max(v) > 0 && final(v) == 0 }, "rises under load, back to 0"},
		{"caddy_x402_settlement_queue_oldest_age_seconds", nil, func(v []float64) bool { return slices.Max(v) > 0.5 && final(v) == 0 }, "ages while settlements wait"},
		{"caddy_x402_replay_guard_entries", nil, func(v []float64) bool { return final(v) > first(v) }, "grows with payments"},
		{"caddy_x402_pending_transactions", nil, func(v []float64) bool { return slices.Max(v) > 0 && final(v) == 0 }, "counts unmined transactions"},
		{"caddy_x402_facilitator_gas_balance_wei", nil, func(v []float64) bool { return final(v) < first(v) }, "pays gas"},
		{"caddy_x402_rpc_up", nil, func(v []float64) bool { return final(v) == 1 }, "is up"},
		{"caddy_x402_store_up", []string{`store="redis"`}, func(v []float64) bool { return final(v) == 1 }, "is up"},
		{"caddy_x402_escrow_sessions", []string{`status="active"`}, func(v []float64) bool { return final(v) == 1 }, "counts the open session"},
		{"caddy_x402_escrow_deposited_units", nil, func(v []float64) bool { return final(v) == 100000 }, "holds the deposit"},
		{"caddy_x402_escrow_used_units", nil, func(v []float64) bool { return slices.Min(v) < 5000 && final(v) == 5000 }, "follows the calls"},
		{"caddy_x402_escrow_captured_units", nil, func(v []float64) bool { return slices.Min(v) < final(v) && final(v) > 0 }, "follows the captures"},
	} {
		v := series(g.metric, g.labels...)
		if len(v) > 0 && !g.check(v) {
			t.Errorf("%s %s: no (first %v, max %v, last %v)", g.metric, g.what, first(v), slices.Max(v), final(v))
		} else if len(v) > 0 {
			t.Logf("%s: first %v, max %v, last %v", g.metric, first(v), slices.Max(v), final(v))
		}
	}
}
