package testsvc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Redis is a redis-server on loopback.
type Redis struct {
	*Proc
	Addr string
	Port int
	// Dir is the server's working directory (its dump.rdb, nodes.conf).
	Dir  string
	bin  string
	args []string
}

// URL is the redis:// URL of database db.
func (r *Redis) URL(db int) string { return fmt.Sprintf("redis://%s/%d", r.Addr, db) }

// redisServer finds redis-server; without it the test skips (fails under
// CI).
func redisServer(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Missing(t, "redis-server is not installed (apt-get install -y redis-server)")
	}
	return bin
}

// StartRedis starts a throw-away redis-server (no persistence) on a free
// loopback port, with extra arguments (e.g. "--save", "3600 1" for RDB
// snapshots). Without redis-server on PATH it skips (fails under CI).
func StartRedis(t testing.TB, extra ...string) *Redis {
	t.Helper()
	bin := redisServer(t)
	port := FreePort(t)
	r := &Redis{bin: bin, Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: t.TempDir()}
	r.args = append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.Dir, "--protected-mode", "yes"}, extra...)
	r.start(t)
	return r
}

func (r *Redis) start(t testing.TB) {
	t.Helper()
	r.Proc = Start(t, r.bin, r.args...)
	if err := waitRedis(r.Addr, 15*time.Second); err != nil {
		t.Fatalf("redis-server: %v\n%s", err, r.Tail(2048))
	}
}

// Restart starts the server again on the same port and directory (after
// Kill): empty without persistence, or with what its dump file held.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	r.Kill()
	r.start(t)
}

// CLI runs redis-cli against the server and returns its trimmed output.
func (r *Redis) CLI(t testing.TB, args ...string) string {
	t.Helper()
	return redisCLI(t, r.Addr, args...)
}

func redisCLI(t testing.TB, addr string, args ...string) string {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command("redis-cli", append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %s %v: %v\n%s", addr, args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// waitRedis waits until addr answers PING with PONG (a server loading its
// dump answers LOADING first).
func waitRedis(addr string, d time.Duration) error {
	if err := WaitTCP(addr, d); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	host, port, _ := strings.Cut(addr, ":")
	for {
		out, err := exec.CommandContext(ctx, "redis-cli", "-h", host, "-p", port, "PING").Output()
		if a := strings.TrimSpace(string(out)); err == nil && (a == "PONG" || strings.HasPrefix(a, "NOAUTH")) {
			return nil // up (a password-protected server answers NOAUTH)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s did not answer PING within %s (%q, %v)", addr, d, out, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RedisCluster is a Redis Cluster of primaries on loopback, without
// replicas.
type RedisCluster struct {
	Nodes []*Redis
}

// Addrs are the nodes' host:port.
func (c *RedisCluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr
	}
	return out
}

// StartRedisCluster starts n cluster-enabled redis-servers (free ports for
// the clients and for the cluster bus) and creates the cluster with
// redis-cli --cluster create, then waits until it reports cluster_state:ok.
func StartRedisCluster(t testing.TB, n int) *RedisCluster {
	t.Helper()
	c := &RedisCluster{}
	for range n {
		bus := FreePort(t)
		c.Nodes = append(c.Nodes, StartRedis(t, "--cluster-enabled", "yes", "--cluster-port", fmt.Sprint(bus),
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command("redis-cli", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, node := range c.Nodes {
		for !strings.Contains(node.CLI(t, "CLUSTER", "INFO"), "cluster_state:ok") {
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ok on %s: %s", node.Addr, node.CLI(t, "CLUSTER", "INFO"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
}

// SentinelSet is a primary, a replica and three sentinels on loopback, the
// sentinels watching the primary as MasterName with quorum 2. The primary
// is reached through Link (sentinels, clients and the replica alike), which
// can hold the replication stream back from the replica
// (Link.Hold("PSYNC")) while everything else flows.
type SentinelSet struct {
	Primary, Replica *Redis
	Link             *TCPProxy
	Sentinels        []*Proc
	SentinelAddrs    []string
	MasterName       string
}

// StartSentinelSet starts the set; the sentinels consider the primary down
// after two seconds without an answer (room for a loaded machine).
func StartSentinelSet(t testing.TB) *SentinelSet {
	t.Helper()
	if _, err := exec.LookPath("redis-sentinel"); err != nil {
		Missing(t, "redis-sentinel is not installed (apt-get install -y redis-sentinel)")
	}
	s := &SentinelSet{MasterName: "x402primary"}
	s.Primary = StartRedis(t)
	s.Link = StartTCPProxy(t, s.Primary.Addr)
	_, linkPort, _ := strings.Cut(s.Link.Addr, ":")
	var linkPortNum int
	fmt.Sscan(linkPort, &linkPortNum)
	s.Replica = StartRedis(t, "--replicaof", "127.0.0.1", linkPort)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.Replica.CLI(t, "INFO", "replication"), "master_link_status:up") {
		if time.Now().After(deadline) {
			t.Fatalf("replica did not sync: %s", s.Replica.CLI(t, "INFO", "replication"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range 3 {
		port := FreePort(t)
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %d 2\n"+
			"sentinel down-after-milliseconds %s 2000\nsentinel failover-timeout %s 10000\nsentinel parallel-syncs %s 1\n",
			port, dir, s.MasterName, linkPortNum, s.MasterName, s.MasterName, s.MasterName)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		s.Sentinels = append(s.Sentinels, Start(t, "redis-sentinel", conf))
		if err := waitRedis(addr, 15*time.Second); err != nil {
			t.Fatalf("redis-sentinel: %v", err)
		}
		s.SentinelAddrs = append(s.SentinelAddrs, addr)
	}
	// Every sentinel must know the replica and the other sentinels before
	// a failover can be agreed on.
	for _, addr := range s.SentinelAddrs {
		for {
			out := redisCLI(t, addr, "SENTINEL", "MASTER", s.MasterName)
			if fieldAfter(out, "num-slaves") == "1" && fieldAfter(out, "num-other-sentinels") == "2" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("sentinel %s does not see the set yet:\n%s", addr, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return s
}

// fieldAfter reads the value following name in redis-cli's one-per-line
// answer to SENTINEL MASTER.
func fieldAfter(out, name string) string {
	lines := strings.Split(out, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == name {
			return strings.TrimSpace(lines[i+1])
		}
	}
	return ""
}

// CurrentPrimary asks a sentinel for the primary's address.
func (s *SentinelSet) CurrentPrimary(t testing.TB) string {
	t.Helper()
	out := redisCLI(t, s.SentinelAddrs[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.MasterName)
	parts := strings.Fields(out)
	if len(parts) != 2 {
		t.Fatalf("sentinel answer %q", out)
	}
	return parts[0] + ":" + parts[1]
}
