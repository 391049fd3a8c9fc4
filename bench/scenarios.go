package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/tests/testbed"
)

const (
	// readyLimit bounds the wait for a node or cluster to become usable.
	readyLimit = 2 * time.Minute
	// failoverLimit bounds the wait for a write after the NB leader was killed.
	failoverLimit = time.Minute
	// centralMembers is how many members MicroOVN gives the central service.
	centralMembers = 3
)

// Names of the table rows.
const (
	rowDaemonStart     = "microovnd start until its socket accepts"
	rowBootstrapCmd    = "bootstrap: command returned"
	rowBootstrap       = "bootstrap: node usable"
	rowJoinToken       = "join: cluster add (token)"
	rowJoinCentral     = "join central member (2nd node)"
	rowJoinChassis     = "join chassis-only member (4th node)"
	rowScalePerNode    = "scale: join per chassis-only node"
	rowScaleFormed     = "scale: largest cluster formed"
	rowCLIStatus       = "CLI: microovn status"
	rowCLIList         = "CLI: microovn cluster list"
	rowCLISbctl        = "CLI: ovn-sbctl show (wrapped vs bare)"
	rowCLIStatusScale  = "CLI: microovn status at scale"
	rowIdleDaemonRSS   = "idle: microovnd RSS"
	rowIdleDaemonCPU   = "idle: microovnd CPU"
	rowIdleNodeRSS     = "idle: RSS of all processes of a node"
	rowIdleNodeCPU     = "idle: CPU of all processes of a node"
	rowCACmd           = "regenerate-ca: command returned"
	rowCA              = "regenerate-ca: cluster whole again"
	rowFailover        = "failover: write through a survivor"
	rowFailoverRecover = "failover: whole again after restart"
)

// rowForm returns the row name of forming a cluster of size nodes.
func rowForm(size int) string { return fmt.Sprintf("form %d nodes from nothing", size) }

// bench runs the benchmarks and records their figures.
type bench struct {
	env  *env
	plan plan
	rec  *recorder
}

// seconds returns the time since start in seconds.
func seconds(start time.Time) float64 { return time.Since(start).Seconds() }

// order returns both flavors, MicroOVN first on even runs, so that neither always
// runs first.
func order(run int) []flavor {
	if run%2 == 0 {
		return []flavor{microOVN, baseline}
	}

	return []flavor{baseline, microOVN}
}

// withBed builds a bed of hosts, runs fn on it and closes the bed, also when fn fails.
func (b *bench) withBed(hosts int, fn func(*testbed.Bed) error) error {
	bed, err := testbed.New(testbed.Options{Hosts: hosts, Bin: b.env.bin,
		ExtraArgs: b.env.daemonArgs})
	if err != nil {
		return fmt.Errorf("build test bed: %w", err)
	}

	runErr := fn(bed)
	if err := bed.Close(); err != nil {
		log.Printf("close test bed %s: %v", bed.Prefix, err)
	}

	return runErr
}

// nodesOf returns the hosts of bed from first to last (1-based, inclusive) as nodes
// of flavor f.
func (b *bench) nodesOf(bed *testbed.Bed, first, last int, f flavor) []*node {
	var nodes []*node
	for _, h := range bed.Hosts[first-1 : last] {
		nodes = append(nodes, newNode(h, f, b.env))
	}

	return nodes
}

// startDaemons starts microovnd on every MicroOVN node at the same time.
func startDaemons(nodes []*node) error {
	errs := make([]error, len(nodes))

	var wg sync.WaitGroup
	for i, n := range nodes {
		if n.flavor != microOVN {
			continue
		}

		wg.Go(func() { errs[i] = n.host.StartDaemon() })
	}

	wg.Wait()

	return errors.Join(errs...)
}

// checkUsable reports whether the bootstrapped node n is usable: both databases
// have a leader, its ovn-northd is active and its chassis is in the Southbound.
func checkUsable(ctx context.Context, n *node) (bool, string) {
	if ok, detail := checkMember(ctx, n); !ok {
		return false, detail
	}

	state, err := northdState(ctx, n)
	if err != nil {
		return false, err.Error()
	}

	if state != "active" {
		return false, "ovn-northd is " + state
	}

	return checkChassis(ctx, n, []*node{n})
}

// bootstrapNode bootstraps n and waits until it is usable. It returns the time the
// command took and the time until the node was usable, in seconds.
func bootstrapNode(ctx context.Context, n *node) (float64, float64, error) {
	start := time.Now()
	if err := n.bootstrap(ctx); err != nil {
		return 0, 0, err
	}

	returned := seconds(start)
	err := waitFor(ctx, "node "+n.name()+" usable", readyLimit, func(ctx context.Context) (bool,
		string) {
		return checkUsable(ctx, n)
	})

	return returned, seconds(start), err
}

// joinTimes are the parts of one join, in seconds.
type joinTimes struct {
	token    float64 // `microovn cluster add`; zero for the baseline
	returned float64 // until the join command returned
	total    float64 // until the node's chassis, and for a central its Raft servers, are up
}

// joinNode adds n to the cluster of members cluster, as a central member or as a
// chassis only. It waits until the chassis of n is in the Southbound and, for a
// central member, until both its database servers are members with a leader.
func joinNode(ctx context.Context, n *node, cluster []*node, central bool) (joinTimes, error) {
	var times joinTimes
	centrals := centralsOf(cluster)

	var token string
	if n.flavor == microOVN {
		start := time.Now()
		var err error
		if token, err = n.token(ctx, cluster[0]); err != nil {
			return times, err
		}

		times.token = seconds(start)
	}

	start := time.Now()
	var err error
	if n.flavor == microOVN {
		err = n.joinWithToken(ctx, token, central)
	} else {
		err = n.joinBaseline(ctx, centrals, central)
	}

	if err != nil {
		return times, err
	}

	times.returned = seconds(start)
	err = waitFor(ctx, "node "+n.name()+" joined", readyLimit, func(ctx context.Context) (bool,
		string) {
		if central {
			if ok, detail := checkMember(ctx, n); !ok {
				return false, detail
			}
		}

		return checkChassis(ctx, centrals[0], []*node{n})
	})
	times.total = seconds(start)

	if err == nil && !central {
		if _, statErr := os.Stat(n.nbControl()); statErr == nil {
			err = fmt.Errorf("node %s runs a Northbound server but should be a chassis only",
				n.name())
		}
	}

	return times, err
}

// runBootstrap measures the bootstrap of one node, MicroOVN against the baseline,
// each run on a fresh host whose processes are killed afterwards.
func (b *bench) runBootstrap(ctx context.Context) error {
	runs := b.plan.bootstrapRuns
	b.rec.note(rowBootstrap, "s", "from `cluster bootstrap` or baseline.sh until NB and SB "+
		"have a leader, ovn-northd is active and the chassis is in the SB")

	return b.withBed(2*runs, func(bed *testbed.Bed) error {
		for run := 0; run < runs; run++ {
			for i, f := range order(run) {
				n := newNode(bed.Hosts[2*run+i], f, b.env)
				if err := b.bootstrapOnce(ctx, n, run); err != nil {
					b.rec.fail(rowBootstrap, "s", fmt.Errorf("%s run %d: %w", f, run+1, err))
				}

				if err := n.host.KillAll(); err != nil {
					return err
				}
			}
		}

		return nil
	})
}

func (b *bench) bootstrapOnce(ctx context.Context, n *node, run int) error {
	if n.flavor == microOVN {
		start := time.Now()
		if err := n.host.StartDaemon(); err != nil {
			return err
		}

		b.rec.add(rowDaemonStart, "s", microOVN, seconds(start))
	}

	start := time.Now()
	returned, total, err := bootstrapNode(ctx, n)
	if err != nil {
		return err
	}

	b.rec.add(rowBootstrapCmd, "s", n.flavor, returned)
	b.rec.add(rowBootstrap, "s", n.flavor, total)
	if run == 0 {
		b.rec.extra("profile_bootstrap_"+string(n.flavor), b.profile(n, start))
	}

	return nil
}

// profile returns what n did from start until now: the microovnd log lines of a
// MicroOVN node, or the phases that baseline.sh printed.
func (b *bench) profile(n *node, start time.Time) []event {
	if n.flavor == microOVN {
		return logEvents(n, start, time.Now())
	}

	return phaseEvents(n.phases, start)
}

// runJoin measures the join of a central member (the 2nd node) and of a chassis-only
// member (the 4th node) into a cluster, MicroOVN against the baseline.
func (b *bench) runJoin(ctx context.Context) error {
	b.rec.note(rowJoinCentral, "s", "from `cluster join` or baseline.sh join until both "+
		"Raft servers of the node are members with a leader and its chassis is in the SB")
	b.rec.note(rowJoinChassis, "s", "from `cluster join` or baseline.sh chassis until the "+
		"chassis is in the SB")

	for run := 0; run < b.plan.joinRuns; run++ {
		for _, f := range order(run) {
			err := b.withBed(4, func(bed *testbed.Bed) error {
				return b.joinOnce(ctx, b.nodesOf(bed, 1, 4, f), run)
			})
			if err != nil {
				b.rec.fail(rowJoinCentral, "s", fmt.Errorf("%s run %d: %w", f, run+1, err))
			}
		}
	}

	return nil
}

func (b *bench) joinOnce(ctx context.Context, nodes []*node, run int) error {
	f := nodes[0].flavor
	if err := startDaemons(nodes); err != nil {
		return err
	}

	if _, _, err := bootstrapNode(ctx, nodes[0]); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}

	start := time.Now()
	times, err := joinNode(ctx, nodes[1], nodes[:1], true)
	if err != nil {
		return fmt.Errorf("join %s: %w", nodes[1].name(), err)
	}

	b.rec.add(rowJoinCentral, "s", f, times.total)
	if f == microOVN {
		b.rec.add(rowJoinToken, "s", f, times.token)
	}

	if run == 0 {
		b.rec.extra("profile_join_central_"+string(f), b.profile(nodes[1], start))
	}

	if _, err := joinNode(ctx, nodes[2], nodes[:2], true); err != nil {
		return fmt.Errorf("join %s: %w", nodes[2].name(), err)
	}

	start = time.Now()
	times, err = joinNode(ctx, nodes[3], nodes[:3], false)
	if err != nil {
		return fmt.Errorf("join %s: %w", nodes[3].name(), err)
	}

	b.rec.add(rowJoinChassis, "s", f, times.total)
	if run == 0 {
		b.rec.extra("profile_join_chassis_"+string(f), b.profile(nodes[3], start))
	}

	return nil
}

// formation records the growth of a cluster from nothing.
type formation struct {
	Flavor flavor `json:"flavor"`
	Target int    `json:"target"`
	Formed int    `json:"formed"`
	// Cumulative[i] is the time from the bootstrap command until member i+1 was usable.
	Cumulative []float64 `json:"cumulative_s"`
	// Joins[i] is the time of `cluster add` and `cluster join` of member i+2 until it
	// was usable.
	Joins []float64 `json:"joins_s"`
	Error string    `json:"error,omitempty"`
}

// formCluster bootstraps nodes[0] and joins the others one after the other: the first
// three as central members, the rest as chassis only. It stops at the first failure
// and returns how far it came.
func formCluster(ctx context.Context, nodes []*node) (formation, error) {
	form := formation{Flavor: nodes[0].flavor, Target: len(nodes)}
	if err := startDaemons(nodes); err != nil {
		return form, err
	}

	start := time.Now()
	if _, _, err := bootstrapNode(ctx, nodes[0]); err != nil {
		return form, fmt.Errorf("bootstrap: %w", err)
	}

	form.Formed = 1
	form.Cumulative = append(form.Cumulative, seconds(start))
	for i := 1; i < len(nodes); i++ {
		times, err := joinNode(ctx, nodes[i], nodes[:i], i < centralMembers)
		if err != nil {
			return form, fmt.Errorf("join %s: %w", nodes[i].name(), err)
		}

		form.Formed++
		form.Cumulative = append(form.Cumulative, seconds(start))
		form.Joins = append(form.Joins, times.token+times.total)
	}

	return form, nil
}

// recordFormation adds the times to 3, 5 and 10 members that form contains.
func (b *bench) recordFormation(form formation) {
	for _, size := range []int{3, 5, 10} {
		if size <= form.Formed {
			b.rec.add(rowForm(size), "s", form.Flavor, form.Cumulative[size-1])
		}
	}
}

// runForm forms clusters of formSize nodes from nothing, MicroOVN against the baseline.
func (b *bench) runForm(ctx context.Context) error {
	var forms []formation
	for run := 0; run < b.plan.formRuns; run++ {
		for _, f := range order(run) {
			err := b.withBed(b.plan.formSize, func(bed *testbed.Bed) error {
				form, err := formCluster(ctx, b.nodesOf(bed, 1, b.plan.formSize, f))
				b.recordFormation(form)
				if err != nil {
					form.Error = err.Error()
				}

				forms = append(forms, form)

				return err
			})
			if err != nil {
				b.rec.fail(rowForm(b.plan.formSize), "s", fmt.Errorf("%s run %d: %w", f, run+1, err))
			}
		}
	}

	b.rec.extra("formations", forms)

	return nil
}

// runScale forms the largest cluster up to scaleMax nodes, three central members and
// the rest chassis only, and records the time per added chassis-only node.
func (b *bench) runScale(ctx context.Context) error {
	size := b.plan.scaleMax
	b.rec.note(rowScalePerNode, "s", fmt.Sprintf("cluster add + join until the chassis is in "+
		"the SB, for each of nodes 4 to %d", size))

	var forms []formation
	for _, f := range []flavor{microOVN, baseline} {
		err := b.withBed(size, func(bed *testbed.Bed) error {
			nodes := b.nodesOf(bed, 1, size, f)
			form, err := formCluster(ctx, nodes)
			b.recordFormation(form)
			b.rec.add(rowScaleFormed, "nodes", f, float64(form.Formed))
			for i, join := range form.Joins {
				if i+2 > centralMembers {
					b.rec.add(rowScalePerNode, "s", f, join)
				}
			}

			if err != nil {
				form.Error = err.Error()
			}

			forms = append(forms, form)
			if f == microOVN && form.Formed > 0 {
				b.timeStatus(ctx, nodes[0], form.Formed)
			}

			return err
		})
		if err != nil {
			b.rec.fail(rowScaleFormed, "nodes", fmt.Errorf("%s: %w", f, err))
		}
	}

	b.rec.extra("scale", forms)

	return nil
}

// timeStatus times `microovn status` on n in a cluster of members nodes.
func (b *bench) timeStatus(ctx context.Context, n *node, members int) {
	b.rec.note(rowCLIStatusScale, "s", fmt.Sprintf("on the largest cluster formed (%d nodes)",
		members))
	for i := 0; i < b.plan.cliRuns; i++ {
		start := time.Now()
		if _, err := n.microovn(ctx, "status"); err != nil {
			b.rec.fail(rowCLIStatusScale, "s", err)
			return
		}

		b.rec.add(rowCLIStatusScale, "s", microOVN, seconds(start))
	}
}

// runCluster forms a MicroOVN and a baseline cluster of three nodes in one bed and
// measures on them, in this order: CLI round trips, the idle cost, CA regeneration
// and failover.
func (b *bench) runCluster(ctx context.Context) error {
	return b.withBed(2*centralMembers, func(bed *testbed.Bed) error {
		clusters := map[flavor][]*node{
			microOVN: b.nodesOf(bed, 1, centralMembers, microOVN),
			baseline: b.nodesOf(bed, centralMembers+1, 2*centralMembers, baseline),
		}

		for _, f := range []flavor{microOVN, baseline} {
			form, err := formCluster(ctx, clusters[f])
			b.recordFormation(form)
			if err != nil {
				return fmt.Errorf("form %s cluster: %w", f, err)
			}
		}

		for _, f := range []flavor{microOVN, baseline} {
			err := waitFor(ctx, string(f)+" cluster whole", readyLimit,
				func(ctx context.Context) (bool, string) { return checkHealthy(ctx, clusters[f]) })
			if err != nil {
				return err
			}
		}

		steps := []struct {
			row string
			run func(context.Context, map[flavor][]*node) error
		}{
			{rowCLIStatus, b.runCLI},
			{rowIdleNodeCPU, b.runIdle},
			{rowCA, b.runRegenerateCA},
			{rowFailover, b.runFailover},
		}
		for _, step := range steps {
			if err := step.run(ctx, clusters); err != nil {
				b.rec.fail(step.row, "s", err)
			}
		}

		return nil
	})
}

// runCLI times the client commands on the first MicroOVN node, and the wrapped
// ovn-sbctl against bare ovn-sbctl with the same remote and certificates.
func (b *bench) runCLI(ctx context.Context, clusters map[flavor][]*node) error {
	n := clusters[microOVN][0]
	remote, err := sbRemote(n)
	if err != nil {
		return err
	}

	bare := append([]string{"--db=" + remote}, tlsArgs(n)...)
	bare = append(bare, "show")
	commands := []struct {
		row string
		f   flavor
		run func() error
	}{
		{rowCLIStatus, microOVN, func() error { _, err := n.microovn(ctx, "status"); return err }},
		{rowCLIList, microOVN, func() error { _, err := n.microovn(ctx, "cluster", "list"); return err }},
		{rowCLISbctl, microOVN, func() error { _, err := n.tool(ctx, "ovn-sbctl", "show"); return err }},
		{rowCLISbctl, baseline, func() error { _, err := n.host.Run(ctx, "ovn-sbctl", bare...); return err }},
	}

	b.rec.note(rowCLISbctl, "s", "microovn.ovn-sbctl show against ovn-sbctl show with the "+
		"same remote and certificates; every command runs through ip netns exec")

	// One call of each first, unrecorded, so that every recorded call finds warm caches.
	for _, c := range commands {
		if err := c.run(); err != nil {
			return fmt.Errorf("%s: %w", c.row, err)
		}
	}

	for i := 0; i < b.plan.cliRuns; i++ {
		for _, c := range commands {
			start := time.Now()
			if err := c.run(); err != nil {
				b.rec.fail(c.row, "s", err)
				continue
			}

			b.rec.add(c.row, "s", c.f, seconds(start))
		}
	}

	return nil
}

// runIdle measures the resident memory and CPU time of both clusters over the same
// idle window.
func (b *bench) runIdle(ctx context.Context, clusters map[flavor][]*node) error {
	nodes := append(append([]*node{}, clusters[microOVN]...), clusters[baseline]...)
	usage, window, err := measureIdle(ctx, nodes, b.plan.idle)
	if err != nil {
		return err
	}

	note := fmt.Sprintf("mean over %.0f s with both clusters up; one run per node", window.Seconds())
	b.rec.note(rowIdleNodeRSS, "MiB", note)
	b.rec.note(rowIdleNodeCPU, "ms/min", note)

	perProcess := map[string]map[string]float64{}
	for _, nu := range usage {
		var rss, cpu float64
		for name, u := range nu.usage {
			rss += u.rssMiB()
			cpu += u.cpuPerMinute(window)
			key := string(nu.node.flavor) + " " + name
			if perProcess[key] == nil {
				perProcess[key] = map[string]float64{}
			}

			perProcess[key][nu.node.name()+" rss_mib"] = u.rssMiB()
			perProcess[key][nu.node.name()+" cpu_ms_per_min"] = u.cpuPerMinute(window)
		}

		f := nu.node.flavor
		if daemon, ok := nu.usage["microovnd"]; ok {
			b.rec.add(rowIdleDaemonRSS, "MiB", f, daemon.rssMiB())
			b.rec.add(rowIdleDaemonCPU, "ms/min", f, daemon.cpuPerMinute(window))
		}

		b.rec.add(rowIdleNodeRSS, "MiB", f, rss)
		b.rec.add(rowIdleNodeCPU, "ms/min", f, cpu)
	}

	b.rec.extra("idle_per_process", perProcess)

	return nil
}

// runRegenerateCA replaces the CA of the MicroOVN cluster and waits until every
// certificate is replaced and every link is back.
func (b *bench) runRegenerateCA(ctx context.Context, clusters map[flavor][]*node) error {
	nodes := clusters[microOVN]
	b.rec.note(rowCA, "s", "until every Raft link and every ovn-controller connection is "+
		"back and `microovn status` on each member shows 3 servers per database with a "+
		"leader, ovn-northd active and 3 chassis")

	for run := 0; run < b.plan.caRuns; run++ {
		old, err := os.ReadFile(nodes[0].layout.CACert())
		if err != nil {
			return err
		}

		start := time.Now()
		if _, err := nodes[0].microovn(ctx, "certificates", "regenerate-ca"); err != nil {
			b.rec.fail(rowCA, "s", err)
			continue
		}

		returned := seconds(start)
		err = waitFor(ctx, "cluster whole with the new CA", readyLimit,
			func(ctx context.Context) (bool, string) {
				for _, n := range nodes {
					current, err := os.ReadFile(n.layout.CACert())
					if err != nil || bytes.Equal(current, old) {
						return false, "old CA still on " + n.name()
					}
				}

				if ok, detail := checkHealthy(ctx, nodes); !ok {
					return false, detail
				}

				for _, n := range nodes {
					if ok, detail := statusWhole(ctx, n, len(nodes)); !ok {
						return false, detail
					}
				}

				return true, ""
			})
		if err != nil {
			b.rec.fail(rowCA, "s", err)
			continue
		}

		b.rec.add(rowCACmd, "s", microOVN, returned)
		b.rec.add(rowCA, "s", microOVN, seconds(start))
		if run == 0 {
			for _, n := range nodes {
				b.rec.extra("profile_regenerate_ca_"+n.name(), b.profile(n, start))
			}
		}
	}

	return nil
}

// statusWhole reports whether `microovn status` on n shows every database with a
// leader and members servers that are leader or follower, an active ovn-northd and
// members chassis with none missing.
func statusWhole(ctx context.Context, n *node, members int) (bool, string) {
	out, err := n.microovn(ctx, "status", "--format", "json")
	if err != nil {
		return false, err.Error()
	}

	var status types.Status
	if err := json.Unmarshal([]byte(out), &status); err != nil {
		return false, fmt.Sprintf("decode status of %s: %v", n.name(), err)
	}

	for _, db := range status.Databases {
		if !db.Reachable || db.Leader == "" || len(db.Servers) != members {
			return false, fmt.Sprintf("status on %s: %s reachable %v, leader %q, %d servers",
				n.name(), db.Name, db.Reachable, db.Leader, len(db.Servers))
		}

		for _, s := range db.Servers {
			if s.Role != "leader" && s.Role != "follower" {
				return false, fmt.Sprintf("status on %s: %s server %s is %s", n.name(), db.Name,
					s.Member, s.Role)
			}
		}
	}

	active := false
	for _, northd := range status.Northd {
		active = active || northd.State == "active"
	}

	if !active {
		return false, fmt.Sprintf("status on %s: no active ovn-northd", n.name())
	}

	if len(status.Chassis.Registered) != members || len(status.Chassis.Missing) > 0 {
		return false, fmt.Sprintf("status on %s: %d chassis, missing %v", n.name(),
			len(status.Chassis.Registered), status.Chassis.Missing)
	}

	return true, ""
}

// runFailover kills every process of the member that leads the Northbound and times
// a write through a survivor, then restarts the member and times until the cluster
// is whole again.
func (b *bench) runFailover(ctx context.Context, clusters map[flavor][]*node) error {
	b.rec.note(rowFailover, "s", "from SIGKILL of every process of the NB leader's node "+
		"until `ovn-nbctl --timeout=2 ls-add` through a survivor succeeds")
	b.rec.note(rowFailoverRecover, "s", "from restarting the killed node (microovnd, or "+
		"baseline.sh restart) until the cluster is whole")

	for run := 0; run < b.plan.failoverRuns; run++ {
		for _, f := range order(run) {
			if err := b.failoverOnce(ctx, clusters[f], run); err != nil {
				b.rec.fail(rowFailover, "s", fmt.Errorf("%s run %d: %w", f, run+1, err))
			}
		}
	}

	return nil
}

func (b *bench) failoverOnce(ctx context.Context, nodes []*node, run int) error {
	f := nodes[0].flavor
	var leader *node
	for _, n := range nodes {
		v, err := readRaft(ctx, n.nbControl(), "OVN_Northbound")
		if err == nil && v.role == "leader" {
			leader = n
		}
	}

	if leader == nil {
		return errors.New("no Northbound leader found")
	}

	var survivor *node
	for _, n := range nodes {
		if n != leader {
			survivor = n
			break
		}
	}

	name := fmt.Sprintf("bench-failover-%d", run)
	write := func(ctx context.Context) (bool, string) {
		var err error
		args := []string{"--timeout=2", "--may-exist", "ls-add", name}
		if f == microOVN {
			_, err = survivor.tool(ctx, "ovn-nbctl", args...)
		} else {
			full := append([]string{"--db=" + remotes(nodes, 6641)}, tlsArgs(survivor)...)
			_, err = survivor.host.Run(ctx, "ovn-nbctl", append(full, args...)...)
		}

		if err != nil {
			return false, err.Error()
		}

		return true, ""
	}

	if err := leader.host.KillAll(); err != nil {
		return err
	}

	start := time.Now()
	if err := waitFor(ctx, "a write through "+survivor.name(), failoverLimit, write); err != nil {
		return err
	}

	b.rec.add(rowFailover, "s", f, seconds(start))

	start = time.Now()
	if f == microOVN {
		if err := leader.host.StartDaemon(); err != nil {
			return err
		}
	} else {
		var addrs []string
		for _, n := range nodes {
			addrs = append(addrs, n.host.Addr.String())
		}

		if _, err := leader.script(ctx, "restart", addrs...); err != nil {
			return err
		}
	}

	err := waitFor(ctx, "cluster whole after restart", readyLimit,
		func(ctx context.Context) (bool, string) { return checkHealthy(ctx, nodes) })
	if err != nil {
		return err
	}

	b.rec.add(rowFailoverRecover, "s", f, seconds(start))
	if run == 0 {
		b.rec.extra("profile_failover_restart_"+string(f), b.profile(leader, start))
	}

	return nil
}
