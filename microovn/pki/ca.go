package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Default lifetimes of the CA and of service certificates, and the time before expiry
// from which a certificate is due for renewal.
const (
	DefaultCALifetime   = 10 * 365 * 24 * time.Hour
	DefaultCertLifetime = 2 * 365 * 24 * time.Hour
	DefaultRenewWindow  = 10 * 24 * time.Hour
)

// Subject names of every certificate this package creates.
const (
	caCommonName = "MicroOVN CA"
	organization = "MicroOVN"
)

// clockSkew backdates NotBefore so that members whose clocks run slightly behind the
// issuer accept a certificate right away.
const clockSkew = time.Minute

// Sentinel errors returned, wrapped with detail, by LoadCA and the other functions.
var (
	// ErrInvalidPEM means the input contains no usable certificate or private key.
	ErrInvalidPEM = errors.New("invalid PEM data")
	// ErrNotCA means the certificate may not sign other certificates.
	ErrNotCA = errors.New("certificate is not a CA")
	// ErrKeyMismatch means the private key does not belong to the certificate.
	ErrKeyMismatch = errors.New("private key does not match certificate")
	// ErrExpired means the certificate is past its NotAfter or before its NotBefore.
	ErrExpired = errors.New("certificate is expired or not yet valid")
)

// CA is the cluster certificate authority: its certificate and signing key, parsed
// and in PEM form.
type CA struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte
}

// NewCA creates a self-signed CA with an ECDSA P-384 key, valid from one minute ago
// for lifetime. A lifetime of zero or less means DefaultCALifetime.
func NewCA(lifetime time.Duration) (*CA, error) {
	if lifetime <= 0 {
		lifetime = DefaultCALifetime
	}

	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}

	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}

	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: caCommonName, Organization: []string{organization}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(lifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign |
			x509.KeyUsageDigitalSignature,
	}

	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}

	keyPEM, err := encodePrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode CA key: %w", err)
	}

	return newCAFromDER(der, key, keyPEM)
}

// newCAFromDER parses der and assembles a CA around it.
func newCAFromDER(der []byte, key crypto.Signer, keyPEM []byte) (*CA, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}

	return &CA{Cert: cert, Key: key, CertPEM: encodeCertificate(der), KeyPEM: keyPEM}, nil
}

// LoadCA parses a CA certificate and its private key from PEM and checks that the
// pair can sign certificates now. It returns ErrInvalidPEM, ErrNotCA, ErrKeyMismatch
// or ErrExpired, wrapped with detail, when it cannot.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("load CA certificate: %w", err)
	}

	key, keyBlock, err := parsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load CA key: %w", err)
	}

	// A certificate without the key usage extension (KeyUsage 0) may sign
	// certificates (RFC 5280, 4.2.1.3); one that lists usages must list keyCertSign.
	if !cert.IsCA || (cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0) {
		return nil, fmt.Errorf("load CA %q: %w: IsCA is %t, keyCertSign usage is %t",
			cert.Subject.CommonName, ErrNotCA, cert.IsCA,
			cert.KeyUsage&x509.KeyUsageCertSign != 0)
	}

	if err := checkKeyPair(cert, key); err != nil {
		return nil, fmt.Errorf("load CA %q: %w", cert.Subject.CommonName, err)
	}

	if err := checkValidity(cert, time.Now()); err != nil {
		return nil, fmt.Errorf("load CA %q: %w", cert.Subject.CommonName, err)
	}

	return &CA{Cert: cert, Key: key, CertPEM: encodeCertificate(cert.Raw), KeyPEM: keyBlock}, nil
}

// checkKeyPair returns ErrKeyMismatch unless key is the private half of the public
// key in cert.
func checkKeyPair(cert *x509.Certificate, key crypto.Signer) error {
	public, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !public.Equal(cert.PublicKey) {
		return fmt.Errorf("%w: %T key against %s certificate",
			ErrKeyMismatch, key, cert.PublicKeyAlgorithm)
	}

	return nil
}

// checkValidity returns ErrExpired unless now lies between the NotBefore and
// NotAfter of cert.
func checkValidity(cert *x509.Certificate, now time.Time) error {
	if now.After(cert.NotAfter) {
		return fmt.Errorf("%w: expired at %s", ErrExpired, cert.NotAfter.UTC().Format(time.RFC3339))
	}

	if now.Before(cert.NotBefore) {
		return fmt.Errorf("%w: not valid until %s", ErrExpired,
			cert.NotBefore.UTC().Format(time.RFC3339))
	}

	return nil
}

// newSerial returns a random positive serial number of at most 128 bits.
func newSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		serial, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("generate serial number: %w", err)
		}

		if serial.Sign() > 0 {
			return serial, nil
		}
	}
}
