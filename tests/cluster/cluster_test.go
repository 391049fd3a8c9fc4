package cluster

import (
	"slices"
	"sync"
	"testing"

	"github.com/microovn/microovn/tests/testbed"
)

// formCluster bootstraps the first host of bed and joins the others one at a time,
// each with a token from the first host.
func formCluster(t *testing.T, bed *testbed.Bed) {
	t.Helper()

	first := bed.Hosts[0]
	bootstrap(t, first)

	for _, h := range bed.Hosts[1:] {
		join(t, first, h)
	}
}

func TestThreeNodeClusterConverges(t *testing.T) {
	bed := newBed(t, 3, false)
	formCluster(t, bed)

	eventually(t, "three IPv4 members converge", settleTimeout, func(r reporter) {
		checkCluster(r, bed.Hosts, bed.Hosts)
	})
}

func TestIPv6ClusterConverges(t *testing.T) {
	bed := newBed(t, 3, true)
	formCluster(t, bed)

	eventually(t, "three IPv6 members converge", settleTimeout, func(r reporter) {
		checkCluster(r, bed.Hosts, bed.Hosts)
	})
}

// TestConcurrentJoinsConverge joins two nodes at the same moment while one central
// place is left, so both race for it: exactly one may take it, and every remote of
// every member must end up listing the three centrals.
func TestConcurrentJoinsConverge(t *testing.T) {
	bed := newBed(t, 4, false)
	h1, h2, h3, h4 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2], bed.Hosts[3]

	bootstrap(t, h1)
	join(t, h1, h2)

	racers := []*testbed.Host{h3, h4}
	tokens := []string{issueToken(t, h1, h3.Name), issueToken(t, h1, h4.Name)}
	errs := make([]error, len(racers))

	var wg sync.WaitGroup
	for i, h := range racers {
		wg.Go(func() { _, errs[i] = tryJoin(h, tokens[i], h.Name) })
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
		setupUnderlay(t, h)
	}

	eventually(t, "members converge after concurrent joins", settleTimeout, func(r reporter) {
		status, err := readStatus(h1)
		if err != nil {
			r.Errorf("read status on h1: %v", err)
			return
		}

		centrals := centralHosts(status, bed.Hosts)
		if len(centrals) != 3 {
			r.Errorf("status shows central on %v, want three members", names(centrals))
			return
		}

		for _, h := range []*testbed.Host{h1, h2} {
			if !slices.Contains(centrals, h) {
				r.Errorf("status shows central on %v, want it on %s", names(centrals), h.Name)
			}
		}

		checkCluster(r, bed.Hosts, centrals)
	})
}
