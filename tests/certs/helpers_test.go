// Package certs holds the end-to-end tests of MicroOVN's certificate life cycle:
// listing, reissue, CA replacement and automatic renewal on real microovnd, microovn
// and OVN processes in a multi-host test bed.
//
// Run as root with MICROOVN_BIN naming the folder of the built binaries:
//
//	make -s build && MICROOVN_BIN=$PWD/bin go test -count=1 -v -timeout 30m ./tests/certs/
package certs

import (
	"bytes"
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
	"github.com/microovn/microovn/tests/testbed"
)

const (
	// cmdTimeout bounds one command that should finish quickly.
	cmdTimeout = 60 * time.Second
	// caCmdTimeout bounds regenerate-ca and set-ca, which restart processes on
	// every member.
	caCmdTimeout = 4 * time.Minute
	// pollInterval is the pause between two checks of a polled condition.
	pollInterval = 500 * time.Millisecond
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

// binDir returns the folder of the built binaries, $MICROOVN_BIN or /work/main/bin,
// and skips the test when it contains no microovnd or the test does not run as root.
func binDir(t *testing.T) string {
	t.Helper()

	if os.Geteuid() != 0 {
		t.Skip("the certificate tests need root for network namespaces")
	}

	bin := os.Getenv("MICROOVN_BIN")
	if bin == "" {
		bin = "/work/main/bin"
	}

	if _, err := os.Stat(filepath.Join(bin, "microovnd")); err != nil {
		t.Skipf("no microovnd in %s (set MICROOVN_BIN after `make -s build`): %v", bin, err)
	}

	return bin
}

// cluster is a bed whose first hosts form a MicroOVN cluster.
type cluster struct {
	t     *testing.T
	bed   *testbed.Bed
	bin   string
	hosts []*testbed.Host // the members, in join order
}

// newCluster builds a bed of size hosts, starts microovnd with extraArgs on the first
// members of them, bootstraps h1 and joins the others. The bed is closed when the
// test ends, and the daemon logs are printed first when the test failed.
func newCluster(t *testing.T, size, members int, extraArgs ...string) *cluster {
	t.Helper()

	bin := binDir(t)
	bed := testbed.Start(t, testbed.Options{Hosts: size, Bin: bin, ExtraArgs: extraArgs})
	c := &cluster{t: t, bed: bed, bin: bin}
	t.Cleanup(c.dumpLogsOnFailure)

	first := bed.Hosts[0]
	c.startMember(first)
	out, err := c.microovn(first, "cluster", "bootstrap", "--name", first.Name,
		"--address", first.Addr.String(), "--encap-ip", first.EncapAddr.String())
	if err != nil {
		t.Fatalf("bootstrap %s: %v\n%s", first.Name, err, out)
	}

	c.setupUnderlay(first)
	c.hosts = append(c.hosts, first)

	for _, h := range bed.Hosts[1:members] {
		c.join(h)
	}

	return c
}

// startMember starts microovnd on h and fails the test when it does not come up.
func (c *cluster) startMember(h *testbed.Host) {
	c.t.Helper()

	if err := h.StartDaemon(); err != nil {
		c.t.Fatal(err)
	}
}

// setupUnderlay puts the Geneve address of h on its OVS bridge.
func (c *cluster) setupUnderlay(h *testbed.Host) {
	c.t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()

	if err := h.SetupUnderlay(ctx); err != nil {
		c.t.Fatal(err)
	}
}

// join starts microovnd on h and joins it to the cluster with a token from h1.
func (c *cluster) join(h *testbed.Host) {
	c.t.Helper()

	c.startMember(h)
	first := c.hosts[0]
	out, err := c.microovn(first, "cluster", "add", h.Name)
	if err != nil {
		c.t.Fatalf("cluster add %s: %v\n%s", h.Name, err, out)
	}

	outLines := strings.Split(strings.TrimSpace(out), "\n")
	token := strings.TrimSpace(outLines[len(outLines)-1])
	out, err = c.microovn(h, "cluster", "join", token, "--name", h.Name,
		"--address", h.Addr.String(), "--encap-ip", h.EncapAddr.String())
	if err != nil {
		// The error quotes the command line, so the token, a secret, is cut out.
		c.t.Fatalf("join %s: %s\n%s", h.Name, strings.ReplaceAll(err.Error(), token, "TOKEN"),
			out)
	}

	c.setupUnderlay(h)
	c.hosts = append(c.hosts, h)
}

// dumpLogsOnFailure prints the end of every daemon log of a failed test. It is
// registered after the bed's cleanup, so it runs before the bed is removed.
func (c *cluster) dumpLogsOnFailure() {
	if !c.t.Failed() {
		return
	}

	for _, h := range c.bed.Hosts {
		data, err := os.ReadFile(filepath.Join(h.Root, "logs", "microovnd.log"))
		if err != nil {
			continue
		}

		if len(data) > logTailSize {
			data = data[len(data)-logTailSize:]
		}

		c.t.Logf("end of microovnd.log of %s:\n%s", h.Name, data)
	}
}

// microovn runs the microovn client on h and returns its combined output.
func (c *cluster) microovn(h *testbed.Host, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), caCmdTimeout)
	defer cancel()

	return h.MicroOVN(ctx, args...)
}

// microovnStdin runs the microovn client on h with stdin as its standard input.
func (c *cluster) microovnStdin(h *testbed.Host, stdin []byte, args ...string) (string,
	error,
) {
	ctx, cancel := context.WithTimeout(context.Background(), caCmdTimeout)
	defer cancel()

	cmdArgs := append([]string{"--state-dir", h.StateDir()}, args...)
	cmd := h.Command(ctx, filepath.Join(c.bin, "microovn"), cmdArgs...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()

	return string(out), err
}

// tool runs a wrapped tool such as "ovn-sbctl" through its microovn.* link on h.
func (c *cluster) tool(h *testbed.Host, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()

	return h.Run(ctx, filepath.Join(c.bin, "microovn."+name), args...)
}

// run runs a program inside the namespace of h and returns its combined output.
func run(h *testbed.Host, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()

	return h.Run(ctx, name, args...)
}

// status returns `microovn status --format json` as h sees it.
func (c *cluster) status(h *testbed.Host) (types.Status, error) {
	var st types.Status
	out, err := c.microovn(h, "status", "--format", "json")
	if err != nil {
		return st, err
	}

	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return st, fmt.Errorf("decode status: %w: %q", err, out)
	}

	return st, nil
}

// healthy reports whether h sees both databases reachable with three servers and a
// leader, an active ovn-northd, and a registered chassis for every member.
func (c *cluster) healthy(h *testbed.Host) (bool, string) {
	st, err := c.status(h)
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

	waitFor(c.t, limit, "cluster healthy", func() (bool, string) {
		return c.healthy(c.hosts[0])
	})
}

// waitSouthboundChassis waits up to limit until `ovn-sbctl show` on h lists want
// chassis.
func (c *cluster) waitSouthboundChassis(h *testbed.Host, want int, limit time.Duration) {
	c.t.Helper()

	waitFor(c.t, limit, fmt.Sprintf("%d chassis in the Southbound", want),
		func() (bool, string) {
			out, err := c.tool(h, "ovn-sbctl", "--timeout=20", "show")
			if err != nil {
				return false, err.Error()
			}

			got := strings.Count(out, "Chassis ")
			return got == want, fmt.Sprintf("ovn-sbctl show lists %d chassis:\n%s", got, out)
		})
}

// waitFor polls check until it returns true, and fails the test when that takes
// longer than limit, with the last reason check gave.
func waitFor(t *testing.T, limit time.Duration, what string, check func() (bool, string)) {
	t.Helper()

	deadline := time.Now().Add(limit)
	for {
		ok, reason := check()
		if ok {
			return
		}

		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v: %s", what, limit, reason)
		}

		time.Sleep(pollInterval)
	}
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
	out, err := c.microovn(h, "certificates", "list", "--format", "json")
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
