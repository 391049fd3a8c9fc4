package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"testing"
	"time"
)

func TestServicesAndIsServer(t *testing.T) {
	want := []string{"ovnnb", "ovnsb", "ovn-northd", "ovn-controller", "client"}
	if got := Services(); !slices.Equal(got, want) {
		t.Errorf("Services() = %v, want %v", got, want)
	}

	for _, service := range want {
		wantServer := service == "ovnnb" || service == "ovnsb"
		if got := IsServer(service); got != wantServer {
			t.Errorf("IsServer(%q) = %t, want %t", service, got, wantServer)
		}
	}
}

func TestIssueProperties(t *testing.T) {
	ca := newTestCA(t)
	addresses := []net.IP{net.ParseIP("10.1.2.3"), net.ParseIP("2001:db8::7")}
	clientOnly := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	serverAndClient := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}

	tests := []struct {
		service string
		usages  []x509.ExtKeyUsage
	}{
		{ServiceNB, serverAndClient},
		{ServiceSB, serverAndClient},
		{ServiceNorthd, clientOnly},
		{ServiceController, clientOnly},
		{ServiceClient, clientOnly},
	}

	for _, tc := range tests {
		t.Run(tc.service, func(t *testing.T) {
			certPEM, keyPEM := mustIssue(t, ca, Request{
				Service: tc.service, Member: "node-1", Addresses: addresses, Lifetime: time.Hour,
			})
			cert := mustParse(t, certPEM)

			if cert.Subject.CommonName != "node-1" {
				t.Errorf("CN = %q, want node-1", cert.Subject.CommonName)
			}
			if !slices.Equal(cert.Subject.OrganizationalUnit, []string{tc.service}) {
				t.Errorf("OU = %v, want [%s]", cert.Subject.OrganizationalUnit, tc.service)
			}
			if !slices.Equal(cert.Subject.Organization, []string{"MicroOVN"}) {
				t.Errorf("O = %v, want [MicroOVN]", cert.Subject.Organization)
			}
			if !slices.Equal(cert.DNSNames, []string{"node-1"}) {
				t.Errorf("DNS SANs = %v, want [node-1]", cert.DNSNames)
			}
			if !slices.EqualFunc(cert.IPAddresses, addresses, net.IP.Equal) {
				t.Errorf("IP SANs = %v, want %v", cert.IPAddresses, addresses)
			}
			if !slices.Equal(cert.ExtKeyUsage, tc.usages) {
				t.Errorf("ExtKeyUsage = %v, want %v", cert.ExtKeyUsage, tc.usages)
			}
			if cert.KeyUsage != x509.KeyUsageDigitalSignature {
				t.Errorf("KeyUsage = %b, want DigitalSignature only", cert.KeyUsage)
			}
			if cert.IsCA {
				t.Errorf("service certificate is a CA")
			}
			if lifetime := cert.NotAfter.Sub(time.Now()); lifetime > time.Hour ||
				lifetime < 59*time.Minute {
				t.Errorf("certificate lives %s more, want about 1h", lifetime)
			}

			pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
			if !ok || pub.Curve != elliptic.P384() {
				t.Errorf("public key is %T, want ECDSA P-384", cert.PublicKey)
			}
			key, _, err := parsePrivateKeyPEM(keyPEM)
			if err != nil {
				t.Fatalf("parse issued key: %v", err)
			}
			if err := checkKeyPair(cert, key); err != nil {
				t.Errorf("issued key does not match the certificate: %v", err)
			}

			_, err = cert.Verify(x509.VerifyOptions{
				Roots: rootPool(ca.Cert), DNSName: "node-1", KeyUsages: tc.usages,
			})
			if err != nil {
				t.Errorf("certificate does not verify against its CA: %v", err)
			}
		})
	}
}

func TestIssueDefaultLifetime(t *testing.T) {
	ca := newTestCA(t)
	certPEM, _ := mustIssue(t, ca, Request{Service: ServiceSB, Member: "m"})

	got := time.Until(mustParse(t, certPEM).NotAfter)
	if got < DefaultCertLifetime-time.Minute || got > DefaultCertLifetime {
		t.Errorf("certificate lives %s, want about %s", got, DefaultCertLifetime)
	}
}

func TestIssueSerialsDiffer(t *testing.T) {
	ca := newTestCA(t)
	req := Request{Service: ServiceNB, Member: "m"}
	firstPEM, _ := mustIssue(t, ca, req)
	secondPEM, _ := mustIssue(t, ca, req)

	first, second := mustParse(t, firstPEM), mustParse(t, secondPEM)
	if first.SerialNumber.Cmp(second.SerialNumber) == 0 {
		t.Errorf("two certificates share serial %x", first.SerialNumber)
	}
	if first.SerialNumber.Cmp(ca.Cert.SerialNumber) == 0 {
		t.Errorf("certificate shares serial %x with its CA", first.SerialNumber)
	}
}

func TestIssueCapsNotAfterAtCA(t *testing.T) {
	ca, err := NewCA(2 * time.Hour)
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}

	certPEM, _ := mustIssue(t, ca, Request{Service: ServiceNB, Member: "m", Lifetime: 24 * time.Hour})
	cert := mustParse(t, certPEM)
	if !cert.NotAfter.Equal(ca.Cert.NotAfter) {
		t.Errorf("NotAfter = %s, want CA NotAfter %s", cert.NotAfter, ca.Cert.NotAfter)
	}
}

func TestIssueDeduplicatesAddresses(t *testing.T) {
	ca := newTestCA(t)
	addresses := []net.IP{net.ParseIP("10.0.0.1"), net.ParseIP("10.0.0.1").To4()}

	req := Request{Service: ServiceController, Member: "m", Addresses: addresses}
	certPEM, _ := mustIssue(t, ca, req)
	if got := mustParse(t, certPEM).IPAddresses; len(got) != 1 {
		t.Errorf("IP SANs = %v, want 10.0.0.1 once", got)
	}
}

func TestIssueRejectsBadRequests(t *testing.T) {
	ca := newTestCA(t)

	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"unknown service", Request{Service: "ovn-ic", Member: "m"}, ErrUnknownService},
		{"empty service", Request{Member: "m"}, ErrUnknownService},
		{"empty member", Request{Service: ServiceNB}, ErrInvalidRequest},
		{"negative lifetime", Request{Service: ServiceNB, Member: "m", Lifetime: -time.Hour},
			ErrInvalidRequest},
		{"malformed address", Request{Service: ServiceNB, Member: "m", Addresses: []net.IP{{1, 2}}},
			ErrInvalidRequest},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			certPEM, keyPEM, err := Issue(ca, tc.req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Issue error = %v, want %v", err, tc.want)
			}
			if certPEM != nil || keyPEM != nil {
				t.Errorf("Issue returned PEM data along with error %v", err)
			}
		})
	}
}

func TestIssueRejectsExpiredCA(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	certPEM, _ := signTemplate(t, nil, caTemplate(now.Add(-2*time.Hour), now.Add(-time.Hour)), ca.Key)
	expired := &CA{Cert: mustParse(t, certPEM), Key: ca.Key}

	_, _, err := Issue(expired, Request{Service: ServiceNB, Member: "m"})
	if !errors.Is(err, ErrExpired) {
		t.Errorf("Issue with an expired CA: error = %v, want %v", err, ErrExpired)
	}
}

func TestIssuedCertificateFailsAgainstOtherCA(t *testing.T) {
	caA, caB := newTestCA(t), newTestCA(t)
	certPEM, _ := mustIssue(t, caA, Request{Service: ServiceNB, Member: "m"})

	_, err := mustParse(t, certPEM).Verify(x509.VerifyOptions{
		Roots: rootPool(caB.Cert), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err == nil {
		t.Fatalf("certificate of CA A verifies against CA B")
	}

	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("error = %v, want x509.UnknownAuthorityError", err)
	}
}

// handshake runs a mutual TLS handshake over an in-memory pipe between a server and a
// client that both trust only ca, and returns the client and server errors.
func handshake(t *testing.T, ca *CA, server, client tls.Certificate, serverName string) (
	clientErr, serverErr error,
) {
	t.Helper()

	serverConn, clientConn := net.Pipe()
	defer serverConn.Close()
	defer clientConn.Close()

	deadline := time.Now().Add(10 * time.Second)
	_ = serverConn.SetDeadline(deadline)
	_ = clientConn.SetDeadline(deadline)

	tlsServer := tls.Server(serverConn, &tls.Config{
		Certificates: []tls.Certificate{server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    rootPool(ca.Cert),
	})
	tlsClient := tls.Client(clientConn, &tls.Config{
		Certificates: []tls.Certificate{client},
		RootCAs:      rootPool(ca.Cert),
		ServerName:   serverName,
	})

	serverDone := make(chan error, 1)
	go func() {
		err := tlsServer.Handshake()
		// Closing unblocks the client if the server rejected its certificate.
		_ = serverConn.Close()
		serverDone <- err
	}()

	clientErr = tlsClient.Handshake()
	_ = clientConn.Close()

	return clientErr, <-serverDone
}

func TestIssuedCertificatesInTLSHandshake(t *testing.T) {
	ca := newTestCA(t)
	pair := func(service string) tls.Certificate {
		certPEM, keyPEM := mustIssue(t, ca, Request{
			Service: service, Member: "node-" + service, Addresses: []net.IP{net.IPv6loopback},
		})
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatalf("load %s key pair: %v", service, err)
		}
		return cert
	}
	sb, nb, controller := pair(ServiceSB), pair(ServiceNB), pair(ServiceController)

	tests := []struct {
		name       string
		server     tls.Certificate
		client     tls.Certificate
		serverName string
		wantOK     bool
	}{
		{"controller to ovnsb", sb, controller, "node-ovnsb", true},
		{"ovnnb Raft peer to ovnnb", nb, nb, "node-ovnnb", true},
		{"ovnsb by IP address", sb, controller, "::1", true},
		{"controller as server", controller, sb, "node-ovn-controller", false},
		{"wrong server name", sb, controller, "node-other", false},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clientErr, serverErr := handshake(t, ca, tc.server, tc.client, tc.serverName)
			ok := clientErr == nil && serverErr == nil
			if ok != tc.wantOK {
				t.Errorf("handshake succeeded = %t, want %t (client: %v, server: %v)",
					ok, tc.wantOK, clientErr, serverErr)
			}
		})
	}
}
