package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"
)

// Names of the services that get a certificate on each member.
const (
	ServiceNB         = "ovnnb"
	ServiceSB         = "ovnsb"
	ServiceNorthd     = "ovn-northd"
	ServiceController = "ovn-controller"
	ServiceClient     = "client"
)

var (
	// ErrUnknownService means a service name is not one of Services().
	ErrUnknownService = errors.New("unknown service")
	// ErrInvalidRequest means a certificate request lacks a field or has a bad value.
	ErrInvalidRequest = errors.New("invalid certificate request")
)

// Services returns the names of all services that get a certificate.
func Services() []string {
	return []string{ServiceNB, ServiceSB, ServiceNorthd, ServiceController, ServiceClient}
}

// IsServer reports whether service accepts TLS connections, which is true for the
// ovnnb and ovnsb database servers only.
func IsServer(service string) bool {
	return service == ServiceNB || service == ServiceSB
}

// Request describes the certificate of one service on one cluster member.
type Request struct {
	Service   string        // one of Services(), stored as the OU
	Member    string        // cluster member name, stored as the CN and a DNS SAN
	Addresses []net.IP      // IP SANs, such as the member and encapsulation addresses
	Lifetime  time.Duration // 0 means DefaultCertLifetime
}

// validate checks req and returns its IP addresses without duplicates.
func (req Request) validate() ([]net.IP, error) {
	if !slices.Contains(Services(), req.Service) {
		return nil, fmt.Errorf("%w %q, expected one of %v",
			ErrUnknownService, req.Service, Services())
	}

	if req.Member == "" {
		return nil, fmt.Errorf("%w: member name is empty", ErrInvalidRequest)
	}

	if req.Lifetime < 0 {
		return nil, fmt.Errorf("%w: lifetime %s is negative", ErrInvalidRequest, req.Lifetime)
	}

	addresses := make([]net.IP, 0, len(req.Addresses))
	for i, ip := range req.Addresses {
		if len(ip) != net.IPv4len && len(ip) != net.IPv6len {
			return nil, fmt.Errorf("%w: address %d is not an IP address", ErrInvalidRequest, i)
		}

		if !slices.ContainsFunc(addresses, ip.Equal) {
			addresses = append(addresses, ip)
		}
	}

	return addresses, nil
}

// Issue creates an ECDSA P-384 key and a certificate for it signed by ca. The
// certificate names req.Member as CN and DNS SAN and req.Service as OU, lists
// req.Addresses as IP SANs, and allows serverAuth and clientAuth for the database
// servers and clientAuth alone for other services. It expires after req.Lifetime, or
// with the CA if that comes first. It returns ErrUnknownService for a service not in
// Services(), ErrInvalidRequest for other bad fields and ErrExpired when the CA is
// not valid now.
func Issue(ca *CA, req Request) (certPEM, keyPEM []byte, err error) {
	addresses, err := req.validate()
	if err != nil {
		return nil, nil, fmt.Errorf("issue %s certificate: %w", req.Service, err)
	}

	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, nil, fmt.Errorf("issue %s certificate: CA certificate or key is missing",
			req.Service)
	}

	now := time.Now()
	if err := checkValidity(ca.Cert, now); err != nil {
		return nil, nil, fmt.Errorf("issue %s certificate: CA: %w", req.Service, err)
	}

	template, err := leafTemplate(req, addresses, ca.Cert.NotAfter, now)
	if err != nil {
		return nil, nil, fmt.Errorf("issue %s certificate: %w", req.Service, err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("issue %s certificate: generate key: %w", req.Service, err)
	}

	der, err := x509.CreateCertificate(rand.Reader, template, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue %s certificate: sign: %w", req.Service, err)
	}

	keyPEM, err = encodePrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue %s certificate: %w", req.Service, err)
	}

	return encodeCertificate(der), keyPEM, nil
}

// leafTemplate builds the unsigned certificate for req, issued at now and ending no
// later than caNotAfter.
func leafTemplate(req Request, addresses []net.IP, caNotAfter, now time.Time) (
	*x509.Certificate, error,
) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}

	lifetime := req.Lifetime
	if lifetime == 0 {
		lifetime = DefaultCertLifetime
	}

	notAfter := now.Add(lifetime)
	if notAfter.After(caNotAfter) {
		notAfter = caNotAfter
	}

	usages := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if IsServer(req.Service) {
		usages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}

	return &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         req.Member,
			Organization:       []string{organization},
			OrganizationalUnit: []string{req.Service},
		},
		DNSNames:              []string{req.Member},
		IPAddresses:           addresses,
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		// KeyEncipherment is left out because ECDSA keys cannot encipher.
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: usages,
	}, nil
}
