package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, stat string
		want       time.Duration
		wantErr    string
	}{
		{
			name: "plain",
			stat: "12509 (cat) R 12506 12506 19681 0 -1 4194304 99 0 0 0 250 37 0 0 20 0 1 0 668120 3133440 363",
			want: 2870 * time.Millisecond,
		},
		{
			// A command name with spaces and a ')' must not shift the fields.
			name: "tricky comm",
			stat: "7 (we ird) (x)) S 1 7 7 0 -1 4194560 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0",
			want: 30 * time.Millisecond,
		},
		{name: "no comm", stat: "7 cat R 1", wantErr: "no ')'"},
		{name: "short", stat: "7 (cat) R 1 2 3", wantErr: "fields after the command name"},
		{name: "bad utime", stat: "7 (cat) R 1 2 3 4 5 6 7 8 9 10 x 12 13", wantErr: `utime "x"`},
		{name: "negative stime", stat: "7 (cat) R 1 2 3 4 5 6 7 8 9 10 11 -12 13", wantErr: `stime "-12"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.stat)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestParseKB(t *testing.T) {
	status := "Name:\tcustodes\nState:\tS (sleeping)\nVmPeak:\t 1801016 kB\nVmHWM:\t   30484 kB\nVmRSS:\t   28592 kB\nThreads:\t9\n"
	got, err := parseKB(strings.NewReader(status), "Vm")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"VmPeak": 1801016 * 1024, "VmHWM": 30484 * 1024, "VmRSS": 28592 * 1024}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
	for _, bad := range []string{"VmRSS:\t 12 MB\n", "VmRSS:\t x kB\n", "VmRSS:\n"} {
		if _, err := parseKB(strings.NewReader(bad), "Vm"); err == nil || !strings.Contains(err.Error(), "line 1: VmRSS") {
			t.Errorf("%q: error %v, want one naming line 1 and VmRSS", bad, err)
		}
	}
}

func TestParseIO(t *testing.T) {
	in := "rchar: 6976\nwchar: 12\nsyscr: 10\nsyscw: 1\nread_bytes: 0\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n"
	got, err := parseIO(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got["write_bytes"] != 4096 || got["wchar"] != 12 || len(got) != 7 {
		t.Fatalf("got %v", got)
	}
	if _, err := parseIO(strings.NewReader("rchar: 1\nwrite_bytes 5\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("error %v, want one naming line 2", err)
	}
	if _, err := parseIO(strings.NewReader("write_bytes: lots\n")); err == nil || !strings.Contains(err.Error(), `"lots"`) {
		t.Fatalf("error %v, want one quoting the value", err)
	}
}

func TestParseMachineCPU(t *testing.T) {
	in := "cpu  409526 10 83324 464278 3053 0 2603 7462 100 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"
	got, err := parseMachineCPU(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// busy: user+nice+system+irq+softirq+steal; idle: idle+iowait; guest is inside user.
	wantBusy := ticksToDuration(409526 + 10 + 83324 + 0 + 2603 + 7462)
	wantIdle := ticksToDuration(464278 + 3053)
	if got.Busy != wantBusy || got.Idle != wantIdle {
		t.Fatalf("got %+v, want busy %v idle %v", got, wantBusy, wantIdle)
	}
	for in, want := range map[string]string{
		"cpu0 1 2 3 4\n":        "no aggregate cpu line",
		"cpu 1 2\n":             "want at least 4",
		"cpu 1 2 x 4 5 6 7 8\n": `"x"`,
	} {
		if _, err := parseMachineCPU(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", in, err, want)
		}
	}
}

// TestReadProcSelf reads this test process: the parsers must agree with
// the running kernel's formats.
func TestReadProcSelf(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS <= 0 || s.HWM < s.RSS || s.CPU < 0 {
		t.Fatalf("implausible sample %+v", s)
	}
	if _, err := readProc(-1); err == nil {
		t.Fatal("readProc(-1) succeeded")
	}
	m, err := readMachineCPU()
	if err != nil || m.Busy <= 0 || m.Idle < 0 {
		t.Fatalf("machine CPU %+v, %v", m, err)
	}
}
