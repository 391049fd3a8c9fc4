package cluster

import (
	"slices"
	"sync"
	"testing"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

func TestThreeNodeClusterConverges(t *testing.T) {
	bed := newBed(t, 3, false)
	runner.FormCluster(t, bed.Hosts)

	e2e.Eventually(t, "three IPv4 members converge", settleTimeout, func(r e2e.Reporter) {
		checkCluster(r, bed.Hosts, bed.Hosts)
	})
}

func TestIPv6ClusterConverges(t *testing.T) {
	bed := newBed(t, 3, true)
	runner.FormCluster(t, bed.Hosts)

	e2e.Eventually(t, "three IPv6 members converge", settleTimeout, func(r e2e.Reporter) {
		checkCluster(r, bed.Hosts, bed.Hosts)
	})
}

// TestConcurrentJoinsConverge joins two nodes at the same moment while one central
// place is left, so both race for it: exactly one may take it, and every remote of
// every member must end up listing the three centrals.
func TestConcurrentJoinsConverge(t *testing.T) {
	bed := newBed(t, 4, false)
	h1, h2, h3, h4 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2], bed.Hosts[3]

	runner.Bootstrap(t, h1)
	runner.Join(t, h1, h2)

	racers := []*testbed.Host{h3, h4}
	tokens := []string{runner.IssueToken(t, h1, h3.Name), runner.IssueToken(t, h1, h4.Name)}
	errs := make([]error, len(racers))

	var wg sync.WaitGroup
	for i, h := range racers {
		wg.Go(func() { _, errs[i] = runner.TryJoin(h, tokens[i], h.Name) })
	}

	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent join of %s failed: %v", racers[i].Name, err)
		}
	}

	if t.Failed() {
		t.FailNow()
	}

	for _, h := range racers {
		runner.SetupUnderlay(t, h)
	}

	e2e.Eventually(t, "members converge after concurrent joins", settleTimeout, func(r e2e.Reporter) {
		status, err := runner.ReadStatus(h1)
		if err != nil {
			r.Errorf("read status on h1: %v", err)
			return
		}

		centrals := centralHosts(status, bed.Hosts)
		if len(centrals) != 3 {
			r.Errorf("status shows central on %v, want three members", e2e.Names(centrals))
			return
		}

		for _, h := range []*testbed.Host{h1, h2} {
			if !slices.Contains(centrals, h) {
				r.Errorf("status shows central on %v, want it on %s", e2e.Names(centrals), h.Name)
			}
		}

		checkCluster(r, bed.Hosts, centrals)
	})
}
