package ops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The facilitator key reaches Caddy from a file or an environment
// variable, and neither the admin API's GET /config/ nor autosave.json (the
// config Caddy persists on every load) ever holds it, also after a reload
// through the admin API.
func TestKeyNeverInAdminConfigOrAutosave(t *testing.T) {
	h := newHost(t)
	keyFile, fileKey := h.keyFile(3, 0o600)
	_, envKey := h.keyFile(4, 0o600)
	for _, tc := range []struct {
		name, facilitator, key string
		env                    []string
	}{
		{"key_file", "\t\t\tkey_file " + keyFile + "\n", fileKey, nil},
		{"env placeholder", "\t\t\tkey {env.X402_FACILITATOR_KEY}\n", envKey, []string{"X402_FACILITATOR_KEY=0x" + envKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := h.newInstance(strings.ReplaceAll(tc.name, " ", "-"), config{facilitator: tc.facilitator})
			i.start(tc.env...)
			if out, err := h.caddy(tc.env, "reload", "--config", i.caddyfile, "--address", "127.0.0.1:"+itoa(i.admin), "--force"); err != nil {
				t.Fatalf("caddy reload: %v\n%s", err, out)
			}
			cfg := i.adminGet("/config/")
			if !strings.Contains(cfg, `"x402"`) {
				t.Fatalf("GET /config/ has no x402 app: %s", cfg)
			}
			if containsKey(cfg, tc.key) {
				t.Fatal("GET /config/ holds the facilitator key")
			}
			autosave, err := os.ReadFile(filepath.Join(h.dir, "config", "caddy", "autosave.json"))
			if err != nil {
				t.Fatalf("autosave.json: %v", err)
			}
			if !strings.Contains(string(autosave), `"x402"`) {
				t.Fatalf("autosave.json has no x402 app: %s", autosave)
			}
			if containsKey(string(autosave), tc.key) {
				t.Fatal("autosave.json holds the facilitator key")
			}
			if containsKey(i.proc.Output(), tc.key) {
				t.Fatal("the log holds the facilitator key")
			}
		})
	}
}

// A key file that group or others can read is refused, by `caddy run` and
// by `caddy validate`, with the fix in the message; an inline key is refused
// at adapt time unless allow_inline_key says so.
func TestKeyFileAndInlineKeyRules(t *testing.T) {
	h := newHost(t)
	loose, _ := h.keyFile(5, 0o644)
	i := h.newInstance("loose", config{facilitator: "\t\t\tkey_file " + loose + "\n"})
	want := "is accessible to group or others (mode 0644); make it private: chmod 600 " + loose
	if out := i.startFails(); !strings.Contains(out, want) {
		t.Fatalf("caddy run with a 0644 key file:\n%s\nwant %q", out, want)
	}
	if out, err := h.caddy(nil, "validate", "--config", i.caddyfile); err == nil || !strings.Contains(out, want) {
		t.Fatalf("caddy validate with a 0644 key file: %v\n%s", err, out)
	}

	_, keyHex := h.keyFile(6, 0o600)
	inline := h.newInstance("inline", config{facilitator: "\t\t\tkey 0x" + keyHex + "\n"})
	out, err := h.caddy(nil, "adapt", "--config", inline.caddyfile)
	if err == nil || !strings.Contains(out, "an inline private key ends up in Caddy's JSON config") || containsKey(out, keyHex) {
		t.Fatalf("caddy adapt with an inline key: %v\n%s", err, out)
	}
	allowed := h.newInstance("allowed", config{facilitator: "\t\t\tkey 0x" + keyHex + "\n\t\t\tallow_inline_key\n"})
	allowed.start()
	if !strings.Contains(allowed.proc.Output(), "facilitator key is written inline (allow_inline_key)") {
		t.Fatalf("no warning for an allowed inline key:\n%s", allowed.proc.Tail(4096))
	}
}
