package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// cpuProcs is the -cpu flag: name=pid pairs whose CPU time is measured
// over the timed part of a row; "loadgen" is this process itself.
type cpuProcs []struct {
	name string
	pid  int
}

func parseCPUProcs(s string) (cpuProcs, error) {
	var out cpuProcs
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, pid, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || n <= 0 {
			return nil, fmt.Errorf("-cpu: %q is not name=pid", part)
		}
		out = append(out, struct {
			name string
			pid  int
		}{name, n})
	}
	return out, nil
}

// cpuSeconds reads the user+system CPU time of each process (and of this
// one as "loadgen").
func (p cpuProcs) cpuSeconds() (map[string]float64, error) {
	out := map[string]float64{}
	for _, pr := range p {
		s, err := procCPU(pr.pid)
		if err != nil {
			return nil, err
		}
		out[pr.name] += s
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		out["loadgen"] = tv(ru.Utime) + tv(ru.Stime)
	}
	return out, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// procCPU is utime+stime of a process, all its threads, from /proc.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu of pid %d: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("cpu of pid %d: unreadable stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 { // fields 3.. ; utime is field 14, stime 15
		return 0, fmt.Errorf("cpu of pid %d: short stat", pid)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cpu of pid %d: unreadable times", pid)
	}
	return (ut + st) / clockTicks, nil
}
