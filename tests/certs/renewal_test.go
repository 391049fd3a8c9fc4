package certs

import (
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
)

const (
	// Lifetimes given to every microovnd of the renewal test. A service certificate
	// is due for renewal 30 s after it was issued, and a self-made CA 90 s after it
	// was made.
	testCertLifetime = 90 * time.Second
	testCALifetime   = 150 * time.Second
	testRenewWindow  = 60 * time.Second

	// renewalTimeout bounds the wait for each automatic renewal. It covers a full
	// CA lifetime, although the CA is due 90 s after the bootstrap.
	renewalTimeout = 3 * time.Minute
	// userCAWatch is how long the test watches that a user CA stays in place.
	userCAWatch = 90 * time.Second
	// userCALifetime makes a user CA due for renewal 60 s after it was made, within
	// userCAWatch, were it self-made.
	userCALifetime = 2 * time.Minute
)

// TestAutomaticRenewal runs a three-member cluster whose daemons issue short-lived
// certificates and CAs, and checks that the reconcile loop renews service
// certificates and the self-made CA while the cluster keeps working, and that it
// keeps a CA installed with set-ca.
func TestAutomaticRenewal(t *testing.T) {
	t.Parallel()

	c := newCluster(t, 3, 3,
		"--test-cert-lifetime="+testCertLifetime.String(),
		"--test-ca-lifetime="+testCALifetime.String(),
		"--test-renew-window="+testRenewWindow.String())
	c.waitHealthy(formTimeout)

	t.Run("service certificate renewed", func(t *testing.T) { testServiceRenewed(t, c) })
	t.Run("self-made CA renewed", func(t *testing.T) { testCARenewed(t, c) })
	t.Run("user CA kept", func(t *testing.T) { testUserCAKept(t, c) })
}

// testServiceRenewed waits until the Southbound certificate of h1 is replaced by one
// signed by the same CA, so that the renewal came from the certificate's own expiry
// and not from a new CA.
func testServiceRenewed(t *testing.T, c *cluster) {
	h := c.hosts[0]
	caSerial := serialOf(caPath(h))
	certSerial := serialOf(certPath(h, "ovnsb"))
	oldPid := h.Pids()["ovnsb_db"]
	start := time.Now()

	e2e.WaitFor(t, "ovnsb certificate renewed under the same CA", renewalTimeout,
		func() (bool, string) {
			nowCA := serialOf(caPath(h))
			nowCert := serialOf(certPath(h, "ovnsb"))
			if nowCA != caSerial {
				// A new CA replaces every certificate, so the observation starts over.
				caSerial, certSerial, oldPid = nowCA, nowCert, h.Pids()["ovnsb_db"]
				return false, "the CA changed first, watching again"
			}

			return nowCert != certSerial, fmt.Sprintf("serial still %s", certSerial)
		})
	t.Logf("ovnsb certificate of %s renewed after %v", h.Name,
		time.Since(start).Round(time.Second))

	cert, err := readCertificate(certPath(h, "ovnsb"))
	if err != nil {
		t.Fatal(err)
	}

	if lifetime := cert.NotAfter.Sub(cert.NotBefore); lifetime > testCertLifetime+2*time.Minute {
		t.Errorf("renewed certificate lives %v, want at most %v plus the backdating",
			lifetime, testCertLifetime)
	}

	waitNewPid(t, h, "ovnsb_db", oldPid)
	c.waitHealthy(2 * time.Minute)
}

// testCARenewed waits until every member has a CA other than the current one, the
// same on all of them, and then checks that the cluster works with it.
func testCARenewed(t *testing.T, c *cluster) {
	oldSerial := serialOf(caPath(c.hosts[0]))
	start := time.Now()

	e2e.WaitFor(t, "CA renewed on every member", renewalTimeout, func() (bool, string) {
		got := map[string]string{}
		for _, h := range c.hosts {
			got[h.Name] = serialOf(caPath(h))
		}

		first := got[c.hosts[0].Name]
		for _, serial := range got {
			if serial == oldSerial || serial != first {
				return false, fmt.Sprintf("CA serials %v, old %s", got, oldSerial)
			}
		}

		return true, ""
	})
	t.Logf("CA renewed on every member after %v", time.Since(start).Round(time.Second))

	newCA, err := readCertificate(caPath(c.hosts[0]))
	if err != nil {
		t.Fatal(err)
	}

	if lifetime := newCA.NotAfter.Sub(newCA.NotBefore); lifetime > testCALifetime+2*time.Minute {
		t.Errorf("renewed CA lives %v, want at most %v plus the backdating", lifetime,
			testCALifetime)
	}

	c.waitHealthy(2 * time.Minute)
	c.waitSouthboundChassis(c.hosts[0], len(c.hosts), 90*time.Second)

	// A timed-out attempt may still have committed, so the switch may exist.
	e2e.WaitFor(t, "Northbound write", 90*time.Second, func() (bool, string) {
		out, err := runner.Tool(c.hosts[1], "ovn-nbctl", "--timeout=30", "--may-exist",
			"ls-add", "x")
		return err == nil, fmt.Sprintf("%v: %s", err, out)
	})

	out, err := runner.Tool(c.hosts[2], "ovn-nbctl", "--timeout=30", "ls-list")
	if err != nil || !strings.Contains(out, "(x)") {
		t.Errorf("switch x missing from ls-list on %s: %v\n%s", c.hosts[2].Name, err, out)
	}
}

// testUserCAKept installs a CA that is due for renewal 60 s after it was made and
// checks that no member replaces it for 90 s, although the loop replaces a self-made
// CA within 3 s of that point.
//
// NOTE: certificates end no later than their CA, so from 60 s on every member also
// reissues its certificates on each pass and the cluster is not expected to stay
// healthy. The test bed is closed before the CA expires at 120 s.
func testUserCAKept(t *testing.T, c *cluster) {
	h := c.hosts[0]
	now := time.Now()
	userCA := writeGoCA(t, t.TempDir(), "short-lived", now.Add(-time.Minute),
		now.Add(userCALifetime))

	out, err := runner.MicroOVN(h, "certificates", "set-ca", "--cert", userCA.cert,
		"--key", userCA.key)
	if err != nil {
		t.Fatalf("set-ca: %v\n%s", err, out)
	}

	c.wantCAResult(t, out)

	installed, err := readCertificate(userCA.cert)
	if err != nil {
		t.Fatal(err)
	}

	wantSerial := installed.SerialNumber.Text(16)
	dueAt := installed.NotAfter.Add(-testRenewWindow)
	deadline := now.Add(userCAWatch)
	t.Logf("user CA %s is due at %s, watching until %s", wantSerial,
		dueAt.Format(time.TimeOnly), deadline.Format(time.TimeOnly))

	for time.Now().Before(deadline) {
		for _, member := range c.hosts {
			if got := serialOf(caPath(member)); got != wantSerial {
				t.Fatalf("%s: CA serial %s at %s, want the user CA %s, due at %s", member.Name,
					got, time.Now().Format(time.TimeOnly), wantSerial,
					dueAt.Format(time.TimeOnly))
			}
		}

		time.Sleep(3 * time.Second)
	}

	wantInWindow(t, installed, dueAt)
}

// wantInWindow checks that the watch ran past dueAt, so that the loop had several
// passes in which it would have renewed a self-made CA.
func wantInWindow(t *testing.T, ca *x509.Certificate, dueAt time.Time) {
	t.Helper()

	if passed := time.Since(dueAt); passed < 15*time.Second {
		t.Errorf("watch ended %v after CA %q was due, want at least 15 s", passed,
			ca.Subject.CommonName)
	}
}
