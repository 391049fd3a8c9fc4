package single

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
)

// certificateTitles are the sections of `certificates list` on a full node.
var certificateTitles = []string{
	"OVN CA", "OVN Northbound Service", "OVN Southbound Service", "OVN Northd Service",
	"OVN Chassis Service", "Client",
}

// TestCertificates checks the certificate listing of a healthy node, the modes of
// the private keys, and that a deleted certificate is reissued by the cluster CA.
func TestCertificates(t *testing.T) {
	n := newNode(t)
	n.bootstrapChassis()
	n.waitAllRunning(60 * time.Second)
	n.wantCertificatesOK()

	pki := n.path("data", "pki")
	cert := filepath.Join(pki, "ovnsb-cert.pem")
	old, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(cert); err != nil {
		t.Fatal(err)
	}

	e2e.WaitFor(t, "a new ovnsb-cert.pem", 30*time.Second, func() (bool, string) {
		data, err := os.ReadFile(cert)
		if err != nil {
			return false, err.Error()
		}

		return len(data) > 0 && !bytes.Equal(data, old), "the old certificate is back"
	})

	out, err := exec.Command("openssl", "verify", "-CAfile", filepath.Join(pki, "cacert.pem"),
		cert).CombinedOutput()
	if err != nil {
		t.Errorf("the reissued certificate does not verify against the CA: %v\n%s", err, out)
	}

	e2e.WaitFor(t, "healthy after the reissue", 30*time.Second, n.healthy)
	n.wantCertificatesOK()
	wantMode(t, pki, 0o700)

	keys, err := filepath.Glob(filepath.Join(pki, "*-privkey.pem"))
	if err != nil || len(keys) != 5 {
		t.Fatalf("want 5 private keys in %s, got %v (%v)", pki, keys, err)
	}

	for _, key := range keys {
		wantMode(t, key, 0o600)
	}
}

// wantCertificatesOK checks that every section of `certificates list` is present and
// healthy.
func (n *node) wantCertificatesOK() {
	n.t.Helper()

	out, err := runner.MicroOVN(n.h, "certificates", "list")
	if err != nil {
		n.t.Fatalf("certificates list: %v\n%s", err, out)
	}

	sections := map[string]string{}
	for _, section := range strings.Split(strings.TrimSpace(out), "\n\n") {
		title, _, _ := strings.Cut(section, "\n")
		sections[strings.Trim(title, "[]")] = section
	}

	for _, title := range certificateTitles {
		section, ok := sections[title]
		switch {
		case !ok:
			n.t.Errorf("certificates list has no [%s] section:\n%s", title, out)
		case !strings.Contains(section, "(OK: Present)") ||
			strings.Contains(section, "Missing") || !strings.Contains(section, "Status: ok"):
			n.t.Errorf("[%s] is not healthy:\n%s", title, section)
		}
	}
}

// wantMode checks the permission bits of path.
func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()

	info, err := os.Stat(path)
	if err != nil {
		t.Error(err)
		return
	}

	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s: mode %04o, want %04o", path, got, want)
	}
}
