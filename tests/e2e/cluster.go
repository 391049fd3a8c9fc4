package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/testbed"
)

// Bootstrap creates a cluster on h with EncapAddr as its encapsulation address and
// sets up the underlay of h.
func (r Runner) Bootstrap(t testing.TB, h *testbed.Host) {
	t.Helper()

	r.MustMicroOVN(t, h, "cluster", "bootstrap", "--name", h.Name,
		"--address", h.Addr.String(), "--encap-ip", h.EncapAddr.String())
	r.SetupUnderlay(t, h)
}

// IssueToken requests a join token for name from member from, with extra appended
// to `cluster add`, and returns it.
func (r Runner) IssueToken(t testing.TB, from *testbed.Host, name string,
	extra ...string,
) string {
	t.Helper()

	args := append([]string{"cluster", "add", name}, extra...)
	out := r.MustMicroOVN(t, from, args...)

	token := lastLine(out)
	if token == "" {
		t.Fatalf("microovn cluster add %s on %s printed no token: %q", name, from.Name, out)
	}

	return token
}

// TryJoin runs `cluster join` on h with token under name and EncapAddr as the
// encapsulation address. The error quotes the command line, so the token, a secret,
// is replaced by "TOKEN" in a returned error.
func (r Runner) TryJoin(h *testbed.Host, token, name string) (string, error) {
	out, err := r.MicroOVN(h, "cluster", "join", token, "--name", name,
		"--address", h.Addr.String(), "--encap-ip", h.EncapAddr.String())
	if err != nil && len(token) > 0 {
		err = fmt.Errorf("%s", strings.ReplaceAll(err.Error(), token, "TOKEN"))
	}

	return out, err
}

// Join adds h to the cluster of member from and sets up the underlay of h.
func (r Runner) Join(t testing.TB, from, h *testbed.Host) {
	t.Helper()

	token := r.IssueToken(t, from, h.Name)
	if _, err := r.TryJoin(h, token, h.Name); err != nil {
		t.Fatal(err)
	}

	r.SetupUnderlay(t, h)
}

// FormCluster bootstraps the first host of hosts and joins the others one at a
// time, each with a token from the first host.
func (r Runner) FormCluster(t testing.TB, hosts []*testbed.Host) {
	t.Helper()

	start := time.Now()
	r.Bootstrap(t, hosts[0])
	for _, h := range hosts[1:] {
		r.Join(t, hosts[0], h)
	}

	t.Logf("cluster of %d members formed in %.1f s", len(hosts), time.Since(start).Seconds())
}

// lastLine returns the last line of out that is not blank, without surrounding space.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")

	return strings.TrimSpace(lines[len(lines)-1])
}

// Names returns the names of hosts in order.
func Names(hosts []*testbed.Host) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, h.Name)
	}

	return out
}
