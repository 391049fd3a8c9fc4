package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestNewCAProperties(t *testing.T) {
	lifetime := 3 * 24 * time.Hour
	before := time.Now()
	ca, err := NewCA(lifetime)
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	after := time.Now()

	cert := ca.Cert
	if !cert.IsCA || !cert.BasicConstraintsValid {
		t.Errorf("IsCA = %t, BasicConstraintsValid = %t, want both true",
			cert.IsCA, cert.BasicConstraintsValid)
	}
	if cert.Subject.CommonName != "MicroOVN CA" {
		t.Errorf("CN = %q, want %q", cert.Subject.CommonName, "MicroOVN CA")
	}
	if !slices.Equal(cert.Subject.Organization, []string{"MicroOVN"}) {
		t.Errorf("O = %v, want [MicroOVN]", cert.Subject.Organization)
	}
	wantUsage := x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	if cert.KeyUsage != wantUsage {
		t.Errorf("KeyUsage = %b, want %b", cert.KeyUsage, wantUsage)
	}

	key, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P384() {
		t.Errorf("public key is %T, want ECDSA P-384", cert.PublicKey)
	}
	if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() > 128 {
		t.Errorf("serial %x is not a positive number of at most 128 bits", cert.SerialNumber)
	}

	if cert.NotBefore.After(before.Add(-50*time.Second)) ||
		cert.NotBefore.Before(before.Add(-2*time.Minute)) {
		t.Errorf("NotBefore = %s, want about one minute before %s", cert.NotBefore, before)
	}
	if cert.NotAfter.Before(before.Add(lifetime).Truncate(time.Second)) ||
		cert.NotAfter.After(after.Add(lifetime)) {
		t.Errorf("NotAfter = %s, want %s after creation", cert.NotAfter, lifetime)
	}

	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}
}

func TestNewCADefaultLifetime(t *testing.T) {
	ca := newTestCA(t)

	got := time.Until(ca.Cert.NotAfter)
	if got < DefaultCALifetime-time.Minute || got > DefaultCALifetime {
		t.Errorf("CA lives %s, want about %s", got, DefaultCALifetime)
	}
}

func TestNewCARoundTripsThroughLoadCA(t *testing.T) {
	ca := newTestCA(t)

	loaded, err := LoadCA(ca.CertPEM, ca.KeyPEM)
	if err != nil {
		t.Fatalf("LoadCA of a fresh CA: %v", err)
	}
	if !loaded.Cert.Equal(ca.Cert) {
		t.Errorf("loaded certificate differs from the created one")
	}
	if !loaded.Key.Public().(*ecdsa.PublicKey).Equal(ca.Key.Public()) {
		t.Errorf("loaded key differs from the created one")
	}
}

// keyEncoding generates a key and returns it with its PEM encoding.
type keyEncoding struct {
	name   string
	newKey func() (crypto.Signer, error)
	encode func(crypto.Signer) ([]byte, error)
}

func pkcs8PEM(key crypto.Signer) ([]byte, error) {
	return encodePrivateKey(key)
}

func keyEncodings() []keyEncoding {
	newRSA := func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }
	newECDSA := func() (crypto.Signer, error) {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	newEd25519 := func() (crypto.Signer, error) {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, err
	}

	return []keyEncoding{
		{"RSA PKCS#1", newRSA, func(key crypto.Signer) ([]byte, error) {
			return pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key.(*rsa.PrivateKey))), nil
		}},
		{"RSA PKCS#8", newRSA, pkcs8PEM},
		{"ECDSA SEC1", newECDSA, func(key crypto.Signer) ([]byte, error) {
			der, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
			// openssl ecparam -genkey writes an EC PARAMETERS block first.
			params := pemBlock("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
				0x3d, 0x03, 0x01, 0x07})
			return append(params, pemBlock("EC PRIVATE KEY", der)...), err
		}},
		{"ECDSA PKCS#8", newECDSA, pkcs8PEM},
		{"Ed25519 PKCS#8", newEd25519, pkcs8PEM},
	}
}

func TestLoadCAKeyTypesIssueVerifiableCertificates(t *testing.T) {
	for _, tc := range keyEncodings() {
		t.Run(tc.name, func(t *testing.T) {
			key, err := tc.newKey()
			if err != nil {
				t.Fatalf("generate key: %v", err)
			}
			now := time.Now()
			certPEM, _ := signTemplate(t, nil, caTemplate(now.Add(-time.Hour), now.Add(time.Hour)), key)
			keyPEM, err := tc.encode(key)
			if err != nil {
				t.Fatalf("encode key: %v", err)
			}

			ca, err := LoadCA(certPEM, keyPEM)
			if err != nil {
				t.Fatalf("LoadCA: %v", err)
			}

			leafPEM, _ := mustIssue(t, ca, Request{Service: ServiceController, Member: "m1"})
			leaf := mustParse(t, leafPEM)
			_, err = leaf.Verify(x509.VerifyOptions{
				Roots:     rootPool(ca.Cert),
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			})
			if err != nil {
				t.Errorf("certificate issued by a %s CA does not verify: %v", tc.name, err)
			}
			if !leaf.NotAfter.Equal(ca.Cert.NotAfter) {
				t.Errorf("leaf NotAfter = %s, want capped to CA NotAfter %s",
					leaf.NotAfter, ca.Cert.NotAfter)
			}
		})
	}
}

func TestLoadCARejects(t *testing.T) {
	ca := newTestCA(t)
	other := newTestCA(t)
	leafPEM, leafKeyPEM := mustIssue(t, ca, Request{Service: ServiceNB, Member: "m1"})

	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	expiredPEM, expiredKeyPEM := signTemplate(t, nil,
		caTemplate(now.Add(-48*time.Hour), now.Add(-time.Hour)), caKey)
	futurePEM, futureKeyPEM := signTemplate(t, nil,
		caTemplate(now.Add(time.Hour), now.Add(48*time.Hour)), caKey)

	tests := []struct {
		name    string
		certPEM []byte
		keyPEM  []byte
		want    error
	}{
		{"leaf certificate", leafPEM, leafKeyPEM, ErrNotCA},
		{"key of another CA", ca.CertPEM, other.KeyPEM, ErrKeyMismatch},
		{"expired CA", expiredPEM, expiredKeyPEM, ErrExpired},
		{"CA not yet valid", futurePEM, futureKeyPEM, ErrExpired},
		{"garbage certificate", []byte("not PEM at all"), ca.KeyPEM, ErrInvalidPEM},
		{"empty certificate", nil, ca.KeyPEM, ErrInvalidPEM},
		{"garbage key", ca.CertPEM, []byte("-----BEGIN NOTHING-----"), ErrInvalidPEM},
		{"key given as certificate", ca.KeyPEM, ca.KeyPEM, ErrInvalidPEM},
		{"certificate given as key", ca.CertPEM, ca.CertPEM, ErrInvalidPEM},
		{"corrupt certificate DER", pemBlock("CERTIFICATE", []byte{1, 2, 3}), ca.KeyPEM, ErrInvalidPEM},
		{"corrupt key DER", ca.CertPEM, pemBlock("PRIVATE KEY", []byte{1, 2, 3}), ErrInvalidPEM},
		{"encrypted key", ca.CertPEM, pemBlock("ENCRYPTED PRIVATE KEY", []byte{1}), ErrInvalidPEM},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loaded, err := LoadCA(tc.certPEM, tc.keyPEM)
			if !errors.Is(err, tc.want) {
				t.Fatalf("LoadCA error = %v, want %v", err, tc.want)
			}
			if loaded != nil {
				t.Errorf("LoadCA returned a CA along with error %v", err)
			}
		})
	}
}
