package pki

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestOpenSSLAcceptsPurposes checks the certificates with the openssl binary, because
// OVS and OVN load them through OpenSSL, which matches ExtKeyUsage against the purpose.
func TestOpenSSLAcceptsPurposes(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on PATH")
	}

	ca := newTestCA(t)
	dir := t.TempDir()
	caPath := writeTestFile(t, dir, "ca.pem", ca.CertPEM)
	issueFiles := func(service string) (certPath, keyPath string) {
		certPEM, keyPEM := mustIssue(t, ca, Request{Service: service, Member: "node-1"})
		return writeTestFile(t, dir, service+".pem", certPEM),
			writeTestFile(t, dir, service+"-key.pem", keyPEM)
	}
	server, serverKey := issueFiles(ServiceSB)
	client, _ := issueFiles(ServiceController)

	tests := []struct {
		name    string
		purpose string
		cert    string
		wantOK  bool
	}{
		{"ovnsb as TLS server", "sslserver", server, true},
		{"ovnsb as Raft client", "sslclient", server, true},
		{"ovn-controller as TLS client", "sslclient", client, true},
		{"ovn-controller as TLS server", "sslserver", client, false},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			output, err := runOpenSSL(t, openssl, "verify", "-CAfile", caPath,
				"-purpose", tc.purpose, tc.cert)
			if ok := err == nil; ok != tc.wantOK {
				t.Errorf("openssl verify -purpose %s passed = %t, want %t; output:\n%s",
					tc.purpose, ok, tc.wantOK, output)
			}
			if !tc.wantOK && !strings.Contains(output, "certificate purpose") {
				t.Errorf("openssl verify failed for another reason than the purpose:\n%s", output)
			}
		})
	}

	// OpenSSL must also read the PKCS#8 key that Issue writes.
	if output, err := runOpenSSL(t, openssl, "pkey", "-in", serverKey, "-noout"); err != nil {
		t.Errorf("openssl pkey cannot read the issued key: %v; output:\n%s", err, output)
	}
}

// runOpenSSL runs openssl with args and returns its combined output.
func runOpenSSL(t *testing.T, openssl string, args ...string) (string, error) {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	output, err := exec.CommandContext(ctx, openssl, args...).CombinedOutput()

	return strings.TrimSpace(string(output)), err
}
