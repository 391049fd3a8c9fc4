package certs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

const (
	// repairTimeout bounds the wait for the reconcile loop, which runs every 3 s, to
	// replace a broken certificate.
	repairTimeout = 30 * time.Second
	// breakAttempts bounds how often a step breaks a certificate again because the
	// loop repaired it before `certificates list` read it.
	breakAttempts = 10
)

// sectionTitles maps each certificate name to its section in `certificates list`.
var sectionTitles = map[string]string{
	"ca":             "OVN CA",
	"client":         "Client",
	"ovnnb":          "OVN Northbound Service",
	"ovnsb":          "OVN Southbound Service",
	"ovn-northd":     "OVN Northd Service",
	"ovn-controller": "OVN Chassis Service",
}

// testKeyModes checks on every member that the certificate folder is a root-owned
// folder of mode 0700 and that every private key has mode 0600.
func testKeyModes(t *testing.T, c *cluster) {
	for _, h := range c.hosts {
		wantOwnerMode(t, pkiDir(h), os.ModeDir|0o700)

		for _, name := range serviceNames {
			wantOwnerMode(t, keyPath(h, name), 0o600)
		}

		keys, err := filepath.Glob(filepath.Join(pkiDir(h), "*-privkey.pem"))
		if err != nil {
			t.Fatal(err)
		}

		if len(keys) != len(serviceNames) {
			t.Errorf("%s: want %d private keys in %s, got %v", h.Name, len(serviceNames),
				pkiDir(h), keys)
		}
	}
}

// wantOwnerMode checks that path is owned by root and has exactly mode.
func wantOwnerMode(t *testing.T, path string, mode os.FileMode) {
	t.Helper()

	info, err := os.Stat(path)
	if err != nil {
		t.Errorf("stat %s: %v", path, err)
		return
	}

	if got := info.Mode() & (os.ModeType | os.ModePerm); got != mode {
		t.Errorf("%s: mode %v, want %v", path, got, mode)
	}

	if stat, ok := info.Sys().(*syscall.Stat_t); ok && stat.Uid != 0 {
		t.Errorf("%s: owner uid %d, want 0", path, stat.Uid)
	}
}

// testListHealthy checks the text and JSON listing of every member of a healthy
// cluster.
func testListHealthy(t *testing.T, c *cluster) {
	for _, h := range c.hosts {
		out, err := runner.MicroOVN(h, "certificates", "list")
		if err != nil {
			t.Fatalf("%s: certificates list: %v\n%s", h.Name, err, out)
		}

		sections := parseSections(out)
		for _, name := range append([]string{"ca"}, serviceNames...) {
			wantHealthySection(t, h, name, sections[sectionTitles[name]])
		}

		if len(sections) != len(serviceNames)+1 {
			t.Errorf("%s: want %d sections, got %d:\n%s", h.Name, len(serviceNames)+1,
				len(sections), out)
		}

		reports, err := c.listCertificates(h)
		if err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}

		if len(reports) != len(serviceNames)+1 {
			t.Errorf("%s: want %d JSON entries, got %+v", h.Name, len(serviceNames)+1, reports)
		}

		for _, r := range reports {
			wantHealthyReport(t, h, r)
		}
	}
}

// parseSections splits the text of `certificates list` into sections keyed by the
// title between the brackets of their first line.
func parseSections(out string) map[string]string {
	sections := map[string]string{}
	for _, section := range strings.Split(strings.TrimSpace(out), "\n\n") {
		title, _, _ := strings.Cut(section, "\n")
		sections[strings.Trim(title, "[]")] = section
	}

	return sections
}

// wantHealthySection checks the text section of certificate name on h.
func wantHealthySection(t *testing.T, h *testbed.Host, name, section string) {
	t.Helper()

	if section == "" {
		t.Errorf("%s: no section [%s]", h.Name, sectionTitles[name])
		return
	}

	path := caPath(h)
	if name != "ca" {
		path = certPath(h, name)
	}

	want := []string{
		"Certificate: " + path + " (OK: Present)",
		"Expires: ",
		"Status: ok",
	}
	if name != "ca" {
		want = append(want, "Private key: "+keyPath(h, name)+" (OK: Present)",
			"Signed by the cluster CA: yes", "Key matches: yes")
	}

	for _, line := range want {
		if !strings.Contains(section, line) {
			t.Errorf("%s: section [%s] lacks %q:\n%s", h.Name, sectionTitles[name], line,
				section)
		}
	}
}

// wantHealthyReport checks one JSON entry of `certificates list` on h.
func wantHealthyReport(t *testing.T, h *testbed.Host, r types.CertificateReport) {
	t.Helper()

	if r.Status != "ok" {
		t.Errorf("%s: %s status %q (%s), want ok", h.Name, r.Name, r.Status, r.Problem)
	}

	if !r.Present {
		t.Errorf("%s: %s reported absent at %s", h.Name, r.Name, r.Path)
	}

	if r.Serial == "" || r.NotAfter == "" {
		t.Errorf("%s: %s has serial %q and not_after %q, want both set", h.Name, r.Name,
			r.Serial, r.NotAfter)
	}

	if r.Name == "ca" {
		return
	}

	if !r.SignedByCA {
		t.Errorf("%s: %s not signed by the cluster CA", h.Name, r.Name)
	}

	if !r.KeyPresent || !r.KeyMatches {
		t.Errorf("%s: %s key present %v, key matches %v, want both true", h.Name, r.Name,
			r.KeyPresent, r.KeyMatches)
	}

	if r.Serial != serialOf(r.Path) {
		t.Errorf("%s: %s serial %q in the list, %q in %s", h.Name, r.Name, r.Serial,
			serialOf(r.Path), r.Path)
	}
}

// breakAndList calls damage, then reads `certificates list` of h in JSON and text
// until the entry of name shows wantStatus, and returns that entry and text section.
//
// The reconcile loop of microovnd repairs a broken certificate within about 3 s and
// cannot be paused, while `certificates list` needs the daemon running. So the list
// is read right after the damage, and the whole step is repeated when the loop won
// the race, at most breakAttempts times.
func (c *cluster) breakAndList(t *testing.T, h *testbed.Host, name, wantStatus string,
	damage func() error,
) (types.CertificateReport, string) {
	t.Helper()

	var last string
	for attempt := 1; attempt <= breakAttempts; attempt++ {
		if err := damage(); err != nil {
			t.Fatalf("break %s on %s: %v", name, h.Name, err)
		}

		reports, err := c.listCertificates(h)
		if err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}

		out, err := runner.MicroOVN(h, "certificates", "list")
		if err != nil {
			t.Fatalf("%s: certificates list: %v\n%s", h.Name, err, out)
		}

		report, found := findReport(reports, name)
		if !found {
			t.Fatalf("%s: no %s entry in %+v", h.Name, name, reports)
		}

		section := parseSections(out)[sectionTitles[name]]
		if report.Status == wantStatus && strings.Contains(section, "Status: "+wantStatus) {
			t.Logf("%s: %s reported %s on attempt %d", h.Name, name, wantStatus, attempt)
			return report, section
		}

		last = fmt.Sprintf("JSON status %q, text section:\n%s", report.Status, section)
	}

	t.Fatalf("%s: %s never reported %s in %d attempts; last %s", h.Name, name, wantStatus,
		breakAttempts, last)

	return types.CertificateReport{}, ""
}

// waitRepaired waits until `certificates list` on h reports name healthy with a
// serial other than badSerial, and checks that the repaired file has that serial.
func (c *cluster) waitRepaired(t *testing.T, h *testbed.Host, name, badSerial string) {
	t.Helper()

	e2e.WaitFor(t, fmt.Sprintf("%s repaired on %s", name, h.Name), repairTimeout,
		func() (bool, string) {
			reports, err := c.listCertificates(h)
			if err != nil {
				return false, err.Error()
			}

			r, _ := findReport(reports, name)
			ok := r.Status == "ok" && r.SignedByCA && r.KeyMatches && r.Serial != badSerial
			return ok, fmt.Sprintf("entry %+v", r)
		})

	if got := serialOf(certPath(h, name)); got == badSerial {
		t.Errorf("%s: %s still has serial %s after the repair", h.Name, name, got)
	}
}

// testListDeleted deletes the Southbound certificate of h2 and checks that the list
// reports it missing and that the daemon issues a new one.
func testListDeleted(t *testing.T, c *cluster) {
	h := c.hosts[1]
	path := certPath(h, "ovnsb")
	oldSerial := serialOf(path)

	report, section := c.breakAndList(t, h, "ovnsb", "missing", func() error {
		err := os.Remove(path)
		if os.IsNotExist(err) {
			return nil
		}

		return err
	})

	if report.Present {
		t.Errorf("deleted %s reported present", path)
	}

	wantLine := "Certificate: " + path + " (Error: Missing file)"
	if !strings.Contains(section, wantLine) {
		t.Errorf("section lacks %q:\n%s", wantLine, section)
	}

	c.waitRepaired(t, h, "ovnsb", oldSerial)
	c.waitHealthy(90 * time.Second)
}

// testListForeign replaces the Southbound certificate and key of h3 with a pair
// signed by a CA that openssl made, and checks that the list reports it untrusted
// and that the daemon replaces it.
func testListForeign(t *testing.T, c *cluster) {
	h := c.hosts[2]
	dir := t.TempDir()
	foreign := newOpenSSLCA(t, dir, "foreign", "ec")
	leafCert, leafKey := foreign.issueLeaf(t, dir, "ovnsb")
	foreignSerial := serialOf(leafCert)
	certData := readFile(t, leafCert)
	keyData := readFile(t, leafKey)

	report, section := c.breakAndList(t, h, "ovnsb", "untrusted", func() error {
		// The key goes first, as the daemon writes them, and each file is renamed
		// into place so that the daemon never reads half a file.
		if err := replaceFile(keyPath(h, "ovnsb"), keyData); err != nil {
			return err
		}

		return replaceFile(certPath(h, "ovnsb"), certData)
	})

	if report.SignedByCA {
		t.Errorf("foreign certificate reported signed by the cluster CA: %+v", report)
	}

	if report.Serial != foreignSerial {
		t.Errorf("listed serial %q, want the foreign serial %q", report.Serial, foreignSerial)
	}

	for _, line := range []string{"Signed by the cluster CA: NO", "Status: untrusted: "} {
		if !strings.Contains(section, line) {
			t.Errorf("section lacks %q:\n%s", line, section)
		}
	}

	c.waitRepaired(t, h, "ovnsb", foreignSerial)
	c.waitHealthy(90 * time.Second)
}

// replaceFile writes data to a temporary file beside path with mode 0600 and
// renames it to path.
func replaceFile(path string, data []byte) error {
	tmp := path + ".test-tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}

	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}

	return nil
}
