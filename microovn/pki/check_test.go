package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckFilesStatuses(t *testing.T) {
	ca, err := NewCA(DefaultCALifetime)
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	foreign := newTestCA(t)
	dir := t.TempDir()
	now := time.Now()

	goodPEM, goodKeyPEM := mustIssue(t, ca, Request{Service: ServiceSB, Member: "good"})
	_, otherKeyPEM := mustIssue(t, ca, Request{Service: ServiceSB, Member: "other"})
	foreignPEM, foreignKeyPEM := mustIssue(t, foreign, Request{Service: ServiceSB, Member: "f"})
	shortPEM, shortKeyPEM := mustIssue(t, ca, Request{
		Service: ServiceController, Member: "short", Lifetime: time.Hour,
	})

	expiredKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	expiredPEM, expiredKeyPEM := signTemplate(t, ca,
		leafTemplateForTest("old", now.Add(-48*time.Hour), now.Add(-24*time.Hour)), expiredKey)

	good := writeTestFile(t, dir, "good.crt", goodPEM)
	goodKey := writeTestFile(t, dir, "good.key", goodKeyPEM)

	tests := []struct {
		name        string
		certPath    string
		keyPath     string
		want        Status
		wantProblem string
		wantSigned  bool
		wantMatch   bool
	}{
		{"ok", good, goodKey, StatusOK, "", true, true},
		{"CA itself", writeTestFile(t, dir, "ca.crt", ca.CertPEM), "", StatusOK, "", true, false},
		{"missing certificate", filepath.Join(dir, "absent.crt"), goodKey, StatusMissing,
			"does not exist", false, false},
		{"missing key", good, filepath.Join(dir, "absent.key"), StatusMissing,
			"does not exist", true, false},
		{"garbage certificate", writeTestFile(t, dir, "junk.crt", []byte("junk")), goodKey,
			StatusInvalid, "not valid", false, false},
		{"garbage key", good, writeTestFile(t, dir, "junk.key", []byte("junk")),
			StatusInvalid, "not valid", true, false},
		{"foreign CA", writeTestFile(t, dir, "foreign.crt", foreignPEM),
			writeTestFile(t, dir, "foreign.key", foreignKeyPEM), StatusUntrusted,
			"not signed by the cluster CA", false, true},
		{"foreign CA file", writeTestFile(t, dir, "foreign-ca.crt", foreign.CertPEM), "",
			StatusUntrusted, "not the cluster CA", false, false},
		{"key mismatch", good, writeTestFile(t, dir, "other.key", otherKeyPEM),
			StatusKeyMismatch, "does not match", true, false},
		{"expiring", writeTestFile(t, dir, "short.crt", shortPEM),
			writeTestFile(t, dir, "short.key", shortKeyPEM), StatusExpiring,
			"(renewal window 10 days)", true, true},
		{"expired", writeTestFile(t, dir, "old.crt", expiredPEM),
			writeTestFile(t, dir, "old.key", expiredKeyPEM), StatusExpired,
			"expired 24 hours ago", true, true},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			report := CheckFiles(tc.certPath, tc.keyPath, ca.Cert, now, DefaultRenewWindow)

			if report.Status != tc.want {
				t.Errorf("Status = %q, want %q (problem: %q)", report.Status, tc.want, report.Problem)
			}
			if !strings.Contains(report.Problem, tc.wantProblem) {
				t.Errorf("Problem = %q, want it to contain %q", report.Problem, tc.wantProblem)
			}
			if (report.Problem == "") != (tc.want == StatusOK) {
				t.Errorf("Problem = %q with Status %q", report.Problem, report.Status)
			}
			if report.SignedByCA != tc.wantSigned {
				t.Errorf("SignedByCA = %t, want %t", report.SignedByCA, tc.wantSigned)
			}
			if report.KeyMatches != tc.wantMatch {
				t.Errorf("KeyMatches = %t, want %t", report.KeyMatches, tc.wantMatch)
			}
		})
	}
}

func TestCheckFilesReportFields(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPEM, keyPEM := mustIssue(t, ca, Request{Service: ServiceNB, Member: "node-7"})
	cert := mustParse(t, certPEM)
	certPath := writeTestFile(t, dir, "ovnnb.crt", certPEM)
	keyPath := writeTestFile(t, dir, "ovnnb.key", keyPEM)

	report := CheckFiles(certPath, keyPath, ca.Cert, time.Now(), DefaultRenewWindow)

	if report.Path != certPath || report.KeyPath != keyPath {
		t.Errorf("paths = %q, %q, want %q, %q", report.Path, report.KeyPath, certPath, keyPath)
	}
	if !report.Present || !report.KeyPresent {
		t.Errorf("Present = %t, KeyPresent = %t, want both true", report.Present, report.KeyPresent)
	}
	if report.Subject != "node-7" {
		t.Errorf("Subject = %q, want node-7", report.Subject)
	}
	if report.Serial != cert.SerialNumber.Text(16) {
		t.Errorf("Serial = %q, want %x", report.Serial, cert.SerialNumber)
	}
	if !report.NotAfter.Equal(cert.NotAfter) {
		t.Errorf("NotAfter = %s, want %s", report.NotAfter, cert.NotAfter)
	}
}

func TestCheckFilesMissingReportsAbsence(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()

	report := CheckFiles(filepath.Join(dir, "a.crt"), filepath.Join(dir, "a.key"), ca.Cert,
		time.Now(), DefaultRenewWindow)
	if report.Present || report.KeyPresent {
		t.Errorf("Present = %t, KeyPresent = %t, want both false", report.Present, report.KeyPresent)
	}
}

func TestCheckFilesExpiredCertificateOfExpiredCA(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPEM, keyPEM := mustIssue(t, ca, Request{Service: ServiceNB, Member: "m"})
	certPath := writeTestFile(t, dir, "c.crt", certPEM)
	keyPath := writeTestFile(t, dir, "c.key", keyPEM)

	// Long after both expired, the signature still verifies and expiry is what counts.
	later := ca.Cert.NotAfter.Add(24 * time.Hour)
	report := CheckFiles(certPath, keyPath, ca.Cert, later, DefaultRenewWindow)
	if report.Status != StatusExpired {
		t.Errorf("Status = %q, want %q (problem: %q)", report.Status, StatusExpired, report.Problem)
	}
	if !report.SignedByCA {
		t.Errorf("SignedByCA = false for a certificate the CA signed")
	}
}

func TestCheckFilesNilCA(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPEM, keyPEM := mustIssue(t, ca, Request{Service: ServiceNB, Member: "m"})

	report := CheckFiles(writeTestFile(t, dir, "c.crt", certPEM),
		writeTestFile(t, dir, "c.key", keyPEM), nil, time.Now(), DefaultRenewWindow)
	if report.Status != StatusUntrusted {
		t.Errorf("Status = %q, want %q", report.Status, StatusUntrusted)
	}
}

func TestNeedsRenewal(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	window := 10 * 24 * time.Hour

	tests := []struct {
		name     string
		notAfter time.Time
		want     bool
	}{
		{"far away", now.Add(30 * 24 * time.Hour), false},
		{"just outside window", now.Add(window + time.Second), false},
		{"inside window", now.Add(3 * 24 * time.Hour), true},
		{"already expired", now.Add(-time.Hour), true},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cert := &x509.Certificate{NotAfter: tc.notAfter}
			if got := NeedsRenewal(cert, now, window); got != tc.want {
				t.Errorf("NeedsRenewal = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{3 * 24 * time.Hour, "3 days"},
		{10 * 24 * time.Hour, "10 days"},
		{36 * time.Hour, "36 hours"},
		{time.Hour - time.Millisecond, "60 minutes"},
		{90 * time.Second, "90 seconds"},
		{time.Second, "1 second"},
	}

	for _, tc := range tests {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
