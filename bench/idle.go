package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. Linux
	// fixes it at 100 on every architecture that this benchmark runs on.
	clockTicks = 100
	// rssSampleInterval is the pause between two readings of resident memory.
	rssSampleInterval = 5 * time.Second
)

// procUsage is the CPU time and resident memory of one process over a window.
type procUsage struct {
	startTicks uint64
	endTicks   uint64
	rssSum     uint64 // sum of the VmRSS readings, in KiB
	samples    int
	lost       bool // the process ended during the window
}

// readTicks returns the CPU time of pid and of the children it has waited for
// (utime+stime+cutime+cstime) in clock ticks. The children count because microovnd
// runs OVS tools such as ovs-appctl for its checks.
func readTicks(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}

	// The command name in brackets may contain spaces, so fields are counted from
	// the closing bracket: state is field 3 and utime, stime, cutime and cstime are
	// fields 14 to 17.
	text := string(data)
	fields := strings.Fields(text[strings.LastIndexByte(text, ')')+1:])
	if len(fields) < 15 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}

	var total uint64
	for _, field := range fields[11:15] {
		ticks, err := strconv.ParseUint(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
		}

		total += ticks
	}

	return total, nil
}

// readRSS returns VmRSS of pid in KiB.
func readRSS(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}

	for _, line := range strings.Split(string(data), "\n") {
		if value, found := strings.CutPrefix(line, "VmRSS:"); found {
			return strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		}
	}

	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// processesOf returns the live processes of node n by name: every pid file under
// ROOT/run, and microovnd for a MicroOVN node.
func processesOf(n *node) map[string]int {
	procs := n.host.Pids()
	if n.flavor == microOVN {
		data, err := os.ReadFile(filepath.Join(n.host.Root, "microovnd.pid"))
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
				procs["microovnd"] = pid
			}
		}
	}

	return procs
}

// nodeUsage is the measured idle cost of one node.
type nodeUsage struct {
	node  *node
	procs map[string]int
	usage map[string]*procUsage
}

// measureIdle samples the processes of every node over window while nothing else
// is asked of them, and returns the usage per node and the length of the window.
func measureIdle(ctx context.Context, nodes []*node, window time.Duration) ([]*nodeUsage,
	time.Duration, error) {
	var all []*nodeUsage
	for _, n := range nodes {
		nu := &nodeUsage{node: n, procs: processesOf(n), usage: map[string]*procUsage{}}
		for name, pid := range nu.procs {
			ticks, err := readTicks(pid)
			if err != nil {
				return nil, 0, fmt.Errorf("read CPU time of %s on %s: %w", name, n.name(), err)
			}

			nu.usage[name] = &procUsage{startTicks: ticks}
		}

		all = append(all, nu)
	}

	start := time.Now()
	sample := func() {
		for _, nu := range all {
			for name, pid := range nu.procs {
				u := nu.usage[name]
				rss, err := readRSS(pid)
				if err != nil {
					u.lost = true
					continue
				}

				u.rssSum += rss
				u.samples++
			}
		}
	}

	sample()
	samples := int(window / rssSampleInterval)
	for i := 0; i < samples; i++ {
		wait := min(rssSampleInterval, window-time.Since(start))
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(wait):
		}

		sample()
	}

	elapsed := time.Since(start)
	for _, nu := range all {
		for name, pid := range nu.procs {
			ticks, err := readTicks(pid)
			if err != nil {
				nu.usage[name].lost = true
				continue
			}

			nu.usage[name].endTicks = ticks
		}
	}

	for _, nu := range all {
		for name, u := range nu.usage {
			if u.lost {
				return nil, 0, fmt.Errorf("%s on %s ended during the idle window", name,
					nu.node.name())
			}
		}
	}

	return all, elapsed, nil
}

// cpuPerMinute returns the CPU time of u in milliseconds per minute of window.
func (u *procUsage) cpuPerMinute(window time.Duration) float64 {
	seconds := float64(u.endTicks-u.startTicks) / clockTicks

	return seconds / window.Seconds() * 60 * 1000
}

// rssMiB returns the mean resident memory of u in MiB.
func (u *procUsage) rssMiB() float64 {
	if u.samples == 0 {
		return 0
	}

	return float64(u.rssSum) / float64(u.samples) / 1024
}
