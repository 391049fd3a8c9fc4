// Command microovn-bench measures what MicroOVN costs compared with starting the same
// TLS-secured clustered OVN by hand (bench/baseline.sh), side by side in one run. It
// times the bootstrap and join of a node, forming clusters, CA regeneration, failover
// and client round trips, and measures the cost of an idle node.
//
//	microovn-bench -bin DIR [-script FILE] [-out FILE] [-quick] [-only LIST]
//
// It needs root, like the end-to-end tests, because it builds its nodes in network
// namespaces with the test bed of tests/testbed. It prints a table and writes every
// run's figures to a JSON file. No figure fails the run: failed steps are reported in
// the table and the JSON file, and the exit status is 1 only when the benchmark
// cannot start or cannot write its results.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// plan is how many runs and which sizes one benchmark run uses.
type plan struct {
	quick         bool
	bootstrapRuns int
	joinRuns      int
	formRuns      int
	formSize      int // 0 skips the separate formation runs
	scaleMax      int
	caRuns        int
	failoverRuns  int
	cliRuns       int
	idle          time.Duration
}

// fullPlan is the plan of `make bench`.
var fullPlan = plan{
	bootstrapRuns: 10,
	joinRuns:      5,
	formRuns:      3,
	formSize:      10,
	scaleMax:      30,
	caRuns:        5,
	failoverRuns:  5,
	cliRuns:       20,
	idle:          time.Minute,
}

// quickPlan is the plan of `make bench QUICK=1`.
var quickPlan = plan{
	quick:         true,
	bootstrapRuns: 2,
	joinRuns:      1,
	scaleMax:      5,
	caRuns:        1,
	failoverRuns:  1,
	cliRuns:       5,
	idle:          15 * time.Second,
}

// requiredTools are the programs that the benchmark and baseline.sh run.
var requiredTools = []string{"ip", "bash", "openssl", "ovsdb-tool", "ovsdb-server",
	"ovs-vswitchd", "ovs-vsctl", "ovs-appctl", "ovn-northd", "ovn-controller", "ovn-nbctl",
	"ovn-sbctl"}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("bench: ")

	bin := flag.String("bin", "bin", "folder with the built microovnd, microovn and microovn.TOOL links")
	script := flag.String("script", "bench/baseline.sh", "path of the baseline script")
	out := flag.String("out", "bench/results/latest.json", "file to write the results to")
	quick := flag.Bool("quick", false, "fewer runs and sizes, for a first look")
	only := flag.String("only", "", "comma-separated benchmarks to run (bootstrap, join, form, "+
		"scale, cluster); default all")
	daemonArgs := flag.String("daemon-args", "", "space-separated arguments added to every "+
		"microovnd command line, such as --debug to log the steps of microcluster")
	flag.Parse()

	e := &env{bin: *bin, script: *script, daemonArgs: strings.Fields(*daemonArgs)}
	if err := run(e, *out, *quick, *only); err != nil {
		log.Fatal(err)
	}
}

func run(e *env, out string, quick bool, only string) error {
	if os.Geteuid() != 0 {
		return errors.New("the benchmark needs root to create network namespaces: run it with sudo")
	}

	for _, tool := range requiredTools {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("missing program %s: install openvswitch-switch, ovn-central, "+
				"ovn-host, openssl and iproute2", tool)
		}
	}

	if _, err := os.Stat(e.script); err != nil {
		return fmt.Errorf("baseline script: %w", err)
	}

	b := &bench{env: e, plan: fullPlan, rec: newRecorder()}
	if quick {
		b.plan = quickPlan
	}

	rep := report{
		Started:  time.Now().UTC().Format(time.RFC3339),
		Quick:    quick,
		Command:  strings.Join(os.Args, " "),
		Machine:  readMachine(),
		Versions: readVersions(e.bin),
		Git:      readGit(),
	}
	rep.Machine.LoadBefore = readLoad()

	benchmarks := []struct {
		name string
		run  func(context.Context) error
	}{
		{"bootstrap", b.runBootstrap},
		{"join", b.runJoin},
		{"form", b.runForm},
		{"scale", b.runScale},
		{"cluster", b.runCluster},
	}

	selected := map[string]bool{}
	for _, name := range strings.Split(only, ",") {
		if name != "" {
			selected[strings.TrimSpace(name)] = true
		}
	}

	ctx := context.Background()
	begin := time.Now()
	for _, bm := range benchmarks {
		if len(selected) > 0 && !selected[bm.name] {
			continue
		}

		if bm.name == "form" && b.plan.formSize == 0 {
			continue
		}

		log.Printf("%s: start", bm.name)
		start := time.Now()
		if err := bm.run(ctx); err != nil {
			log.Printf("%s: failed: %v", bm.name, err)
			b.rec.fail("benchmark "+bm.name, "", err)
		}

		log.Printf("%s: done in %.0f s", bm.name, seconds(start))
		if err := b.rec.writeJSON(out, rep); err != nil {
			return err
		}
	}

	rep.Finished = time.Now().UTC().Format(time.RFC3339)
	rep.Machine.LoadAfter = readLoad()
	rep.Machine.DurationSeconds = seconds(begin)
	if err := b.rec.writeJSON(out, rep); err != nil {
		return err
	}

	fmt.Println()
	if err := b.rec.writeTable(os.Stdout); err != nil {
		return err
	}

	fmt.Printf("\n%d cores, load %s before and %s after, %.0f s; results in %s\n",
		rep.Machine.Cores, rep.Machine.LoadBefore, rep.Machine.LoadAfter,
		rep.Machine.DurationSeconds, out)

	return nil
}

// machine describes the computer that ran the benchmark.
type machine struct {
	Cores       int    `json:"cores"`
	CPU         string `json:"cpu"`
	MemoryBytes uint64 `json:"memory_bytes"`
	Kernel      string `json:"kernel"`
	// LoadBefore and LoadAfter are the 1, 5 and 15 minute load averages. A load well
	// above zero before the run means that other work shared the machine.
	LoadBefore      string  `json:"load_before"`
	LoadAfter       string  `json:"load_after"`
	DurationSeconds float64 `json:"duration_s"`
}

func readMachine() machine {
	m := machine{Cores: runtime.NumCPU()}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}

	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if key, value, found := strings.Cut(line, ":"); found &&
				strings.TrimSpace(key) == "model name" {
				m.CPU = strings.TrimSpace(value)
				break
			}
		}
	}

	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			var kib uint64
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kib); err == nil {
				m.MemoryBytes = kib * 1024
			}
		}
	}

	return m
}

// readLoad returns the first three fields of /proc/loadavg.
func readLoad() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}

	fields := strings.Fields(string(data))

	return strings.Join(fields[:min(3, len(fields))], " ")
}

// readVersions returns the versions that `microovn --version` prints: MicroOVN, OVN
// and Open vSwitch.
func readVersions(bin string) map[string]string {
	versions := map[string]string{}
	out, err := exec.Command(bin+"/microovn", "--version").CombinedOutput()
	if err != nil {
		versions["error"] = fmt.Sprintf("microovn --version: %v", err)
		return versions
	}

	for _, line := range strings.Split(string(out), "\n") {
		if key, value, found := strings.Cut(line, ":"); found {
			versions[strings.TrimSpace(key)] = strings.TrimSpace(value)
		}
	}

	return versions
}

// gitInfo is the commit of the working tree and whether it has changes.
type gitInfo struct {
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty"`
}

func readGit() gitInfo {
	var info gitInfo
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		info.Commit = strings.TrimSpace(string(out))
	}

	out, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	info.Dirty = err == nil && len(strings.TrimSpace(string(out))) > 0

	return info
}
