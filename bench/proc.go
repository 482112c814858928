package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat and /proc/stat.
// It is part of Linux's user-space ABI (USER_HZ) and 100 on every
// architecture Go supports; sysconf(_SC_CLK_TCK) would need cgo.
const userHZ = 100

// procSample is what the harness reads about one process at one instant.
type procSample struct {
	At       time.Time
	CPU      time.Duration // utime + stime
	RSS      int64         // VmRSS, bytes
	HWM      int64         // VmHWM (peak RSS), bytes
	Written  int64         // write_bytes: page-cache bytes this process dirtied (see README)
	Canceled int64         // cancelled_write_bytes (dirty pages truncated before writeback)
	WChar    int64         // wchar: bytes passed to write syscalls, files and sockets alike
}

// readProc samples pid's CPU, memory and disk writes from /proc.
func readProc(pid int) (procSample, error) {
	s := procSample{At: time.Now()}
	dir := fmt.Sprintf("/proc/%d/", pid)
	stat, err := os.ReadFile(dir + "stat")
	if err != nil {
		return s, err
	}
	if s.CPU, err = parseStatCPU(string(stat)); err != nil {
		return s, fmt.Errorf("%sstat: %w", dir, err)
	}
	status, err := os.Open(dir + "status")
	if err != nil {
		return s, err
	}
	mem, err := parseKB(status, "Vm")
	status.Close()
	if err != nil {
		return s, fmt.Errorf("%sstatus: %w", dir, err)
	}
	var ok bool
	if s.RSS, ok = mem["VmRSS"]; !ok {
		return s, fmt.Errorf("%sstatus: no VmRSS (has the process exited?)", dir)
	}
	s.HWM = mem["VmHWM"]
	ioFile, err := os.Open(dir + "io")
	if err != nil {
		return s, err
	}
	counters, err := parseIO(ioFile)
	ioFile.Close()
	if err != nil {
		return s, fmt.Errorf("%sio: %w", dir, err)
	}
	wb, found := counters["write_bytes"]
	if !found {
		return s, fmt.Errorf("%sio: no write_bytes (kernel without task I/O accounting?)", dir)
	}
	s.Written, s.Canceled, s.WChar = wb, counters["cancelled_write_bytes"], counters["wchar"]
	return s, nil
}

// parseStatCPU returns utime+stime from the text of /proc/<pid>/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no ')' closing the command name in %q", clip(stat))
	}
	f := strings.Fields(stat[end+1:])
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, c := range []struct {
		i    int
		name string
	}{{11, "utime"}, {12, "stime"}} {
		v, err := strconv.ParseInt(f[c.i], 10, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%s %q is not a tick count", c.name, f[c.i])
		}
		ticks += v
	}
	return ticksToDuration(ticks), nil
}

func ticksToDuration(ticks int64) time.Duration {
	return time.Duration(ticks) * (time.Second / userHZ)
}

// parseKB reads the "Name: N kB" lines of /proc/<pid>/status or
// /proc/meminfo whose name starts with prefix, in bytes. Other lines are
// skipped; a matching line of another shape is an error.
func parseKB(r io.Reader, prefix string) (map[string]int64, error) {
	out := map[string]int64{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(name, prefix) {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return nil, fmt.Errorf("line %d: %s: want \"<n> kB\", got %q", line, name, strings.TrimSpace(rest))
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("line %d: %s: %q is not a size", line, name, f[0])
		}
		out[name] = v * 1024
	}
	return out, sc.Err()
}

// parseIO reads the "name: N" counters of /proc/<pid>/io.
func parseIO(r io.Reader) (map[string]int64, error) {
	out := map[string]int64{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		name, val, ok := strings.Cut(text, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not \"name: value\"", line, clip(text))
		}
		v, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %q is not a number", line, name, strings.TrimSpace(val))
		}
		out[name] = v
	}
	return out, sc.Err()
}

// machineCPU is the first line of /proc/stat: CPU time of the whole
// machine, busy and idle, summed over all cores.
type machineCPU struct {
	Busy, Idle time.Duration
}

func readMachineCPU() (machineCPU, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return machineCPU{}, err
	}
	defer f.Close()
	m, err := parseMachineCPU(f)
	if err != nil {
		return m, fmt.Errorf("/proc/stat: %w", err)
	}
	return m, nil
}

// parseMachineCPU reads the aggregate "cpu" line of /proc/stat. Idle is
// idle+iowait; guest time is already counted in user and nice.
func parseMachineCPU(r io.Reader) (machineCPU, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "cpu" {
			continue
		}
		if len(f) < 5 {
			return machineCPU{}, fmt.Errorf("cpu line has %d values, want at least 4", len(f)-1)
		}
		var busy, idle int64
		for i, s := range f[1:] {
			if i >= 8 { // guest and guest_nice are included in user and nice
				break
			}
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				return machineCPU{}, fmt.Errorf("cpu value %d %q is not a tick count", i+1, s)
			}
			if i == 3 || i == 4 { // idle, iowait
				idle += v
			} else {
				busy += v
			}
		}
		return machineCPU{Busy: ticksToDuration(busy), Idle: ticksToDuration(idle)}, nil
	}
	if err := sc.Err(); err != nil {
		return machineCPU{}, err
	}
	return machineCPU{}, fmt.Errorf("no aggregate cpu line")
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
