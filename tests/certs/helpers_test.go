// Package certs holds the end-to-end tests of MicroOVN's certificate life cycle:
// listing, reissue, CA replacement and automatic renewal on real microovnd, microovn
// and OVN processes in a multi-host test bed.
//
// Run as root with MICROOVN_BIN naming the folder of the built binaries:
//
//	make -s build && MICROOVN_BIN=$PWD/bin go test -count=1 -v -timeout 30m ./tests/certs/
package certs

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

const (
	// cmdTimeout bounds one command that should finish quickly.
	cmdTimeout = 60 * time.Second
	// caCmdTimeout bounds regenerate-ca and set-ca, which restart processes on
	// every member.
	caCmdTimeout = 4 * time.Minute
	// logTailSize is how much of each daemon log a failed test prints, in bytes.
	logTailSize = 3000
)

// serviceNames are the certificates of a member that runs central and chassis, in
// the order of `certificates list` after the CA.
var serviceNames = []string{"client", "ovnnb", "ovnsb", "ovn-northd", "ovn-controller"}

// processOf maps each service certificate to the key of the process that presents
// it in Host.Pids. The client certificate belongs to no long-running process.
var processOf = map[string]string{
	"ovnnb":          "ovnnb_db",
	"ovnsb":          "ovnsb_db",
	"ovn-northd":     "ovn-northd",
	"ovn-controller": "ovn-controller",
}

// runner runs microovn and the wrapped tools for the certificate tests. A run of
// microovn may be regenerate-ca or set-ca, so it gets caCmdTimeout.
var runner = e2e.Runner{MicroOVNTimeout: caCmdTimeout, ToolTimeout: cmdTimeout}

// cluster is a bed whose first hosts form a MicroOVN cluster.
type cluster struct {
	t     *testing.T
	bed   *testbed.Bed
	hosts []*testbed.Host // the members, in join order
}

// newCluster builds a bed of size hosts, starts microovnd with extraArgs on the first
// members of them, bootstraps h1 and joins the others. The bed is closed when the
// test ends, and the daemon logs are printed first when the test failed.
func newCluster(t *testing.T, size, members int, extraArgs ...string) *cluster {
	t.Helper()

	bin := e2e.RequireBinaries(t, "the certificate tests")
	bed := testbed.Start(t, testbed.Options{Hosts: size, Bin: bin, ExtraArgs: extraArgs})
	c := &cluster{t: t, bed: bed}
	// Cleanups run last first, so the logs are printed before the bed is removed.
	t.Cleanup(func() { e2e.DumpLogsOnFailure(t, bed.Hosts, logTailSize) })

	first := bed.Hosts[0]
	e2e.StartDaemons(t, first)
	runner.Bootstrap(t, first)
	c.hosts = append(c.hosts, first)

	for _, h := range bed.Hosts[1:members] {
		c.join(h)
	}

	return c
}

// join starts microovnd on h and joins it to the cluster with a token from h1.
func (c *cluster) join(h *testbed.Host) {
	c.t.Helper()

	e2e.StartDaemons(c.t, h)
	runner.Join(c.t, c.hosts[0], h)
	c.hosts = append(c.hosts, h)
}

// healthy reports whether the status on h shows both databases reachable with three servers and a
// leader, an active ovn-northd, and a registered chassis for every member.
func (c *cluster) healthy(h *testbed.Host) (bool, string) {
	st, err := runner.ReadStatus(h)
	if err != nil {
		return false, err.Error()
	}

	if len(st.Databases) != 2 {
		return false, fmt.Sprintf("want 2 databases, got %+v", st.Databases)
	}

	for _, db := range st.Databases {
		if !db.Reachable || db.Leader == "" || len(db.Servers) != 3 {
			return false, fmt.Sprintf("database %s: reachable %v, leader %q, %d servers, "+
				"error %q", db.Name, db.Reachable, db.Leader, len(db.Servers), db.Error)
		}
	}

	active := 0
	for _, northd := range st.Northd {
		if northd.State == "active" {
			active++
		}
	}

	if active != 1 {
		return false, fmt.Sprintf("want 1 active ovn-northd, got %+v", st.Northd)
	}

	if len(st.Chassis.Registered) != len(c.hosts) || len(st.Chassis.Missing) > 0 {
		return false, fmt.Sprintf("want %d registered chassis, got %+v", len(c.hosts),
			st.Chassis)
	}

	return true, ""
}

// waitHealthy waits up to limit until h1 reports the cluster healthy.
func (c *cluster) waitHealthy(limit time.Duration) {
	c.t.Helper()

	e2e.WaitFor(c.t, "cluster healthy", limit, func() (bool, string) {
		return c.healthy(c.hosts[0])
	})
}

// waitSouthboundChassis waits up to limit until `ovn-sbctl show` on h lists want
// chassis.
func (c *cluster) waitSouthboundChassis(h *testbed.Host, want int, limit time.Duration) {
	c.t.Helper()

	e2e.WaitFor(c.t, fmt.Sprintf("%d chassis in the Southbound", want), limit,
		func() (bool, string) {
			out, err := runner.Tool(h, "ovn-sbctl", "--timeout=20", "show")
			if err != nil {
				return false, err.Error()
			}

			got := strings.Count(out, "Chassis ")
			return got == want, fmt.Sprintf("ovn-sbctl show lists %d chassis:\n%s", got, out)
		})
}

// pkiDir returns the certificate folder of h.
func pkiDir(h *testbed.Host) string { return filepath.Join(h.Root, "data", "pki") }

// certPath returns the certificate file of service name on h.
func certPath(h *testbed.Host, name string) string {
	return filepath.Join(pkiDir(h), name+"-cert.pem")
}

// keyPath returns the private key file of service name on h.
func keyPath(h *testbed.Host, name string) string {
	return filepath.Join(pkiDir(h), name+"-privkey.pem")
}

// caPath returns the CA certificate file of h.
func caPath(h *testbed.Host) string { return filepath.Join(pkiDir(h), "cacert.pem") }

// readCertificate parses the first certificate of the PEM file at path.
func readCertificate(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}

	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("no CERTIFICATE block in %s", path)
	}

	return x509.ParseCertificate(block.Bytes)
}

// serialOf returns the serial number in hexadecimal of the certificate at path, or
// the read error in brackets so that a comparison with a real serial fails.
func serialOf(path string) string {
	cert, err := readCertificate(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}

	return cert.SerialNumber.Text(16)
}

// serials returns the serial of every service certificate of h, keyed by name.
func serials(h *testbed.Host) map[string]string {
	out := map[string]string{}
	for _, name := range serviceNames {
		out[name] = serialOf(certPath(h, name))
	}

	return out
}

// listCertificates returns `certificates list --format json` of h.
func (c *cluster) listCertificates(h *testbed.Host) ([]types.CertificateReport, error) {
	out, err := runner.MicroOVN(h, "certificates", "list", "--format", "json")
	if err != nil {
		return nil, err
	}

	var reports []types.CertificateReport
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		return nil, fmt.Errorf("decode certificates list: %w: %q", err, out)
	}

	return reports, nil
}

// findReport returns the entry named name of reports.
func findReport(reports []types.CertificateReport, name string) (types.CertificateReport,
	bool,
) {
	for _, r := range reports {
		if r.Name == name {
			return r, true
		}
	}

	return types.CertificateReport{}, false
}

// openssl runs openssl with args on the test machine and fails the test when it
// fails.
func openssl(t *testing.T, args ...string) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()

	out, err := exec.CommandContext(ctx, "openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// readFile returns the content of path and fails the test when it cannot be read.
func readFile(t *testing.T, path string) []byte {
	t.Helper()

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	return data
}
