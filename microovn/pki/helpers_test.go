package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// newTestCA creates a CA with the default lifetime or fails the test.
func newTestCA(t *testing.T) *CA {
	t.Helper()

	ca, err := NewCA(0)
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}

	return ca
}

// mustParse parses the first certificate in certPEM or fails the test.
func mustParse(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()

	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		t.Fatalf("ParseCertificatePEM: %v", err)
	}

	return cert
}

// mustIssue issues a certificate for req or fails the test.
func mustIssue(t *testing.T, ca *CA, req Request) (certPEM, keyPEM []byte) {
	t.Helper()

	certPEM, keyPEM, err := Issue(ca, req)
	if err != nil {
		t.Fatalf("Issue(%+v): %v", req, err)
	}

	return certPEM, keyPEM
}

// rootPool returns a pool holding ca alone.
func rootPool(ca *x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca)

	return pool
}

// signTemplate signs template for a new key with ca, or self-signs it with key when
// ca is nil. It returns the certificate and key as PEM. Tests use it for certificates
// that Issue refuses to make, such as expired ones.
func signTemplate(t *testing.T, ca *CA, template *x509.Certificate, key crypto.Signer) (
	certPEM, keyPEM []byte,
) {
	t.Helper()

	parent, signer := template, key
	if ca != nil {
		parent, signer = ca.Cert, ca.Key
	}

	if template.SerialNumber == nil {
		serial, err := newSerial()
		if err != nil {
			t.Fatalf("newSerial: %v", err)
		}
		template.SerialNumber = serial
	}

	der, err := x509.CreateCertificate(rand.Reader, template, parent, key.Public(), signer)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}

	keyPEM, err = encodePrivateKey(key)
	if err != nil {
		t.Fatalf("encodePrivateKey: %v", err)
	}

	return encodeCertificate(der), keyPEM
}

// caTemplate returns a CA certificate template valid from notBefore to notAfter.
func caTemplate(notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Test CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

// leafTemplateForTest returns a clientAuth leaf template for member valid from
// notBefore to notAfter.
func leafTemplateForTest(member string, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: member},
		DNSNames:    []string{member},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// pemBlock encodes der as one PEM block of blockType.
func pemBlock(blockType string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
}

// writeTestFile writes data to name inside dir and returns the path.
func writeTestFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()

	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}

	return path
}
