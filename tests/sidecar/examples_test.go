package sidecar

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/sidecar"
	"go.yaml.in/yaml/v3"
)

// The subset of the Compose specification the examples use; decoding
// refuses any other key, so a misspelt one fails here.
type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		DependsOn   []string          `yaml:"depends_on"`
		Ports       []string          `yaml:"ports"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// strictYAML decodes every document of a file into the next of out,
// refusing unknown keys.
func strictYAML(t *testing.T, path string, out ...any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	for _, o := range out {
		if err := dec.Decode(o); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Fatalf("%s: more documents than expected (%v)", path, err)
	}
}

// defaultImage is the tag scripts/image builds by default.
const defaultImage = "localhost/caddy-x402:latest"

func loadCompose(t *testing.T, example string) (dir string, c compose) {
	t.Helper()
	dir = filepath.Join(testsvc.RepoRoot(), "examples", "sidecar", example)
	strictYAML(t, filepath.Join(dir, "compose.yaml"), &c)
	return dir, c
}

// The compose files wire the sidecar to their API: its environment is a
// valid sidecar configuration, its upstream is the API service on the port
// the API listens on, it publishes X402_PORT, keeps /data on a volume, and
// the API's code is the example file beside it.
func TestComposeExamplesWiring(t *testing.T) {
	for example, code := range map[string]string{"python": "app.py", "node": "server.js"} {
		t.Run(example, func(t *testing.T) {
			dir, c := loadCompose(t, example)
			x, api := c.Services["x402"], c.Services["api"]
			if x.Image != defaultImage || len(c.Services) != 2 || len(api.Command) != 2 {
				t.Fatalf("services %+v", c.Services)
			}
			cfg, err := sidecar.Parse(x.Environment)
			if err != nil {
				t.Fatalf("the sidecar's environment: %v", err)
			}
			u, _ := url.Parse(cfg.Upstream)
			if u.Hostname() != "api" || u.Port() != api.Environment["PORT"] || len(x.DependsOn) != 1 || x.DependsOn[0] != "api" {
				t.Fatalf("upstream %s, api PORT %q, depends_on %v", cfg.Upstream, api.Environment["PORT"], x.DependsOn)
			}
			if want := strconv.Itoa(cfg.Port) + ":" + strconv.Itoa(cfg.Port); len(x.Ports) != 1 || x.Ports[0] != want {
				t.Fatalf("ports %v, want %s", x.Ports, want)
			}
			if len(x.Volumes) != 1 || x.Volumes[0] != "x402-data:/data" {
				t.Fatalf("volumes %v", x.Volumes)
			}
			if _, ok := c.Volumes["x402-data"]; !ok {
				t.Fatalf("top-level volumes %v", c.Volumes)
			}
			mount := "./" + code + ":/app/" + code + ":ro"
			if len(api.Volumes) != 1 || api.Volumes[0] != mount || api.Command[1] != "/app/"+code {
				t.Fatalf("api volumes %v command %v", api.Volumes, api.Command)
			}
			if _, err := os.Stat(filepath.Join(dir, code)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The subset of Kubernetes objects the pod example uses.
type (
	k8sMeta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	pvc struct {
		APIVersion string  `yaml:"apiVersion"`
		Kind       string  `yaml:"kind"`
		Metadata   k8sMeta `yaml:"metadata"`
		Spec       struct {
			AccessModes []string `yaml:"accessModes"`
			Resources   struct {
				Requests map[string]string `yaml:"requests"`
			} `yaml:"resources"`
		} `yaml:"spec"`
	}
	probe struct {
		HTTPGet struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"`
		} `yaml:"httpGet"`
		PeriodSeconds    int `yaml:"periodSeconds"`
		FailureThreshold int `yaml:"failureThreshold"`
	}
	container struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Ports   []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		LivenessProbe   *probe `yaml:"livenessProbe"`
		ReadinessProbe  *probe `yaml:"readinessProbe"`
		SecurityContext struct {
			RunAsUser                int   `yaml:"runAsUser"`
			RunAsGroup               int   `yaml:"runAsGroup"`
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	}
	pod struct {
		APIVersion string  `yaml:"apiVersion"`
		Kind       string  `yaml:"kind"`
		Metadata   k8sMeta `yaml:"metadata"`
		Spec       struct {
			SecurityContext struct {
				RunAsNonRoot   bool `yaml:"runAsNonRoot"`
				FSGroup        int  `yaml:"fsGroup"`
				SeccompProfile struct {
					Type string `yaml:"type"`
				} `yaml:"seccompProfile"`
			} `yaml:"securityContext"`
			Containers []container `yaml:"containers"`
			Volumes    []struct {
				Name      string `yaml:"name"`
				ConfigMap *struct {
					Name string `yaml:"name"`
				} `yaml:"configMap"`
				PersistentVolumeClaim *struct {
					ClaimName string `yaml:"claimName"`
				} `yaml:"persistentVolumeClaim"`
				EmptyDir *struct{} `yaml:"emptyDir"`
				Secret   *struct {
					SecretName  string `yaml:"secretName"`
					DefaultMode int    `yaml:"defaultMode"`
					Items       []struct {
						Key  string `yaml:"key"`
						Path string `yaml:"path"`
					} `yaml:"items"`
				} `yaml:"secret"`
			} `yaml:"volumes"`
		} `yaml:"spec"`
	}
)

// The pod example: the sidecar's environment (with test values for the
// secrets and the payout placeholder) is a valid configuration on Base
// Sepolia, its upstream is the API container's loopback port, the probes
// hit /live and /ready on X402_HEALTH_PORT, it runs as the image's user,
// its secrets are the ones the README's kubectl command creates, and its
// volumes exist.
func TestKubernetesExampleWiring(t *testing.T) {
	dir := filepath.Join(testsvc.RepoRoot(), "examples", "sidecar", "kubernetes")
	var claim pvc
	var p pod
	strictYAML(t, filepath.Join(dir, "pod.yaml"), &claim, &p)
	if claim.Kind != "PersistentVolumeClaim" || p.Kind != "Pod" || p.APIVersion != "v1" || len(p.Spec.Containers) != 2 {
		t.Fatalf("objects %s %s", claim.Kind, p.Kind)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	api, x := p.Spec.Containers[0], p.Spec.Containers[1]
	apiEnv := map[string]string{}
	for _, e := range api.Env {
		apiEnv[e.Name] = e.Value
	}
	env := map[string]string{}
	for _, e := range x.Env {
		switch {
		case e.ValueFrom != nil:
			ref := e.ValueFrom.SecretKeyRef
			if !strings.Contains(string(readme), "kubectl create secret generic "+ref.Name+" ") || !strings.Contains(string(readme), "--from-") || !strings.Contains(string(readme), ref.Key+"=") {
				t.Fatalf("%s comes from secret %s key %s, which the README does not create", e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = map[string]string{
				"X402_RPC_URL":         "https://base-sepolia.example/v2/key",
				"X402_FACILITATOR_KEY": "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
			}[e.Name]
		case e.Value == "0xYourPayoutAddress":
			env[e.Name] = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
		default:
			env[e.Name] = e.Value
		}
	}
	cfg, err := sidecar.Parse(env)
	if err != nil {
		t.Fatalf("the sidecar's environment: %v", err)
	}
	if cfg.Network != "base-sepolia" || !cfg.RPC || cfg.KeyFile == "" || cfg.KeyEnv {
		t.Fatalf("config %+v", cfg)
	}
	if cfg.Upstream != "http://127.0.0.1:"+apiEnv["PORT"] || apiEnv["HOST"] != "127.0.0.1" {
		t.Fatalf("upstream %s, api HOST %q PORT %q", cfg.Upstream, apiEnv["HOST"], apiEnv["PORT"])
	}
	ports := map[string]int{}
	for _, port := range x.Ports {
		ports[port.Name] = port.ContainerPort
	}
	if ports["http"] != cfg.Port || ports["health"] != cfg.HealthPort {
		t.Fatalf("container ports %v, sidecar ports %d and %d", ports, cfg.Port, cfg.HealthPort)
	}
	for path, pr := range map[string]*probe{"/live": x.LivenessProbe, "/ready": x.ReadinessProbe} {
		if pr == nil || pr.HTTPGet.Path != path || pr.HTTPGet.Port != "health" {
			t.Fatalf("probe %s: %+v", path, pr)
		}
	}
	sc := x.SecurityContext
	if sc.RunAsUser != 10001 || sc.RunAsGroup != 10001 || !sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Fatalf("security context %+v", sc)
	}
	// The key file is a Secret volume's item, mounted read-only, 0400 before
	// fsGroup adds group read for the sidecar's own group (the one group
	// read the sidecar accepts on a key file).
	if p.Spec.SecurityContext.FSGroup != sc.RunAsGroup {
		t.Fatalf("fsGroup %d, the sidecar's group %d: the mounted key would not be readable", p.Spec.SecurityContext.FSGroup, sc.RunAsGroup)
	}
	keyMounted := false
	for _, m := range x.VolumeMounts {
		for _, v := range p.Spec.Volumes {
			if v.Name != m.Name || v.Secret == nil || !m.ReadOnly || v.Secret.DefaultMode != 0o400 {
				continue
			}
			for _, it := range v.Secret.Items {
				if m.MountPath+"/"+it.Path == cfg.KeyFile &&
					strings.Contains(string(readme), "kubectl create secret generic "+v.Secret.SecretName+" ") &&
					strings.Contains(string(readme), "--from-file="+it.Key+"=") {
					keyMounted = true
				}
			}
		}
	}
	if !keyMounted {
		t.Fatalf("X402_FACILITATOR_KEY_FILE %s is not a read-only 0400 item of a Secret the README creates", cfg.KeyFile)
	}
	volumes := map[string]bool{}
	for _, v := range p.Spec.Volumes {
		volumes[v.Name] = true
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName != claim.Metadata.Name {
			t.Fatalf("claim %s is not %s", v.PersistentVolumeClaim.ClaimName, claim.Metadata.Name)
		}
		if v.ConfigMap != nil && !strings.Contains(string(readme), "kubectl create configmap "+v.ConfigMap.Name+" --from-file=examples/sidecar/python/app.py") {
			t.Fatalf("configmap %s is not created by the README", v.ConfigMap.Name)
		}
	}
	mounts := map[string]string{}
	for _, c := range []container{api, x} {
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				t.Fatalf("mount of undeclared volume %s", m.Name)
			}
			mounts[m.MountPath] = m.Name
		}
	}
	for _, path := range []string{"/data", "/config", "/tmp", "/app"} {
		if mounts[path] == "" {
			t.Fatalf("nothing mounted at %s: %v", path, mounts)
		}
	}
	if api.Command[1] != "/app/app.py" {
		t.Fatalf("api command %v", api.Command)
	}
}
