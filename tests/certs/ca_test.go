package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// testCA is a CA certificate and private key in PEM files of a test's folder.
type testCA struct {
	name string
	cert string // PEM file of the certificate
	key  string // PEM file of the private key
}

// newOpenSSLCA makes a self-signed CA named name in dir with a key of keyType: "rsa"
// (2048 bits), "ec" (P-256) or "ed25519". It is valid for 30 days and has the
// critical extensions CA:TRUE and keyCertSign.
func newOpenSSLCA(t *testing.T, dir, name, keyType string) testCA {
	t.Helper()

	ca := testCA{
		name: name,
		cert: filepath.Join(dir, name+"-ca.pem"),
		key:  filepath.Join(dir, name+"-ca-key.pem"),
	}

	args := []string{"req", "-x509", "-nodes", "-days", "30",
		"-subj", "/O=MicroOVN tests/CN=" + name + " test CA",
		"-keyout", ca.key, "-out", ca.cert,
		"-addext", "basicConstraints=critical,CA:TRUE",
		"-addext", "keyUsage=critical,keyCertSign,cRLSign"}
	args = append(args, keyArgs(keyType)...)
	openssl(t, args...)

	return ca
}

// keyArgs returns the openssl req options that generate a new key of keyType.
func keyArgs(keyType string) []string {
	switch keyType {
	case "rsa":
		return []string{"-newkey", "rsa:2048"}
	case "ec":
		return []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}
	default:
		return []string{"-newkey", keyType}
	}
}

// issueLeaf has ca sign a certificate with CA:FALSE for an ECDSA key, both written
// to dir under name, and returns the certificate and key files.
func (ca testCA) issueLeaf(t *testing.T, dir, name string) (string, string) {
	t.Helper()

	cert := filepath.Join(dir, name+"-leaf.pem")
	key := filepath.Join(dir, name+"-leaf-key.pem")
	csr := filepath.Join(dir, name+"-leaf.csr")
	ext := filepath.Join(dir, name+"-leaf.ext")

	extensions := "basicConstraints=critical,CA:FALSE\n" +
		"keyUsage=critical,digitalSignature\n" +
		"extendedKeyUsage=serverAuth,clientAuth\n"
	if err := os.WriteFile(ext, []byte(extensions), 0o600); err != nil {
		t.Fatal(err)
	}

	openssl(t, "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
		"-subj", "/O=MicroOVN tests/CN="+name, "-keyout", key, "-out", csr)
	openssl(t, "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-days", "30",
		"-extfile", ext, "-out", cert)

	return cert, key
}

// writeGoCA makes a self-signed ECDSA CA valid from notBefore to notAfter with
// crypto/x509 and writes its certificate and key to dir under name. openssl 3.0
// cannot give `req -x509` an end date in the past or a lifetime of seconds.
func writeGoCA(t *testing.T, dir, name string, notBefore, notAfter time.Time) testCA {
	t.Helper()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}

	template := &x509.Certificate{
		SerialNumber: serial.Add(serial, big.NewInt(1)),
		Subject: pkix.Name{CommonName: name + " test CA",
			Organization: []string{"MicroOVN tests"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}

	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}

	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}

	ca := testCA{
		name: name,
		cert: filepath.Join(dir, name+"-ca.pem"),
		key:  filepath.Join(dir, name+"-ca-key.pem"),
	}

	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(ca.cert, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(ca.key, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	return ca
}

// caFiles returns the content of cacert.pem of every member, keyed by host name.
func (c *cluster) caFiles(t *testing.T) map[string][]byte {
	t.Helper()

	files := map[string][]byte{}
	for _, h := range c.hosts {
		files[h.Name] = readFile(t, caPath(h))
	}

	return files
}

// wantSignedBy checks that every service certificate of every member verifies
// against the CA certificate ca.
func (c *cluster) wantSignedBy(t *testing.T, ca *x509.Certificate) {
	t.Helper()

	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, h := range c.hosts {
		for _, name := range serviceNames {
			cert, err := readCertificate(certPath(h, name))
			if err != nil {
				t.Errorf("%s: %v", h.Name, err)
				continue
			}

			_, err = cert.Verify(x509.VerifyOptions{Roots: roots,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			if err != nil {
				t.Errorf("%s: %s certificate does not verify against CA %q: %v", h.Name,
					name, ca.Subject.CommonName, err)
			}
		}
	}
}

// wantCAResult checks the output of regenerate-ca or set-ca: the new CA line, a
// section for every member, and no failure.
func (c *cluster) wantCAResult(t *testing.T, out string) {
	t.Helper()

	if !strings.HasPrefix(out, "New CA certificate: issued\n") {
		t.Errorf("output does not start with the new CA line:\n%s", out)
	}

	if strings.Contains(out, "FAILED") {
		t.Errorf("output reports a failure:\n%s", out)
	}

	results := parseCAResult(out)
	for _, h := range c.hosts {
		if _, found := results[h.Name]; !found {
			t.Errorf("output lacks member section [%s]:\n%s", h.Name, out)
		}
	}
}

// parseCAResult returns the lines of each member section in the output of
// regenerate-ca or set-ca, without indentation, keyed by member name.
func parseCAResult(out string) map[string][]string {
	sections := map[string][]string{}
	member := ""
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			member = strings.Trim(line, "[]")
			sections[member] = []string{}
		case member != "" && strings.TrimSpace(line) != "":
			sections[member] = append(sections[member], strings.TrimSpace(line))
		}
	}

	return sections
}

// testRegenerateCA replaces the CA with a new self-made one and checks that every
// member uses it, the cluster recovers, and a client with the old client
// certificate is rejected while the new one is accepted.
func testRegenerateCA(t *testing.T, c *cluster) {
	h := c.hosts[0]
	client := c.hosts[2]
	dir := t.TempDir()
	oldCA := copyClientFiles(t, client, dir, "old")
	oldCASerial := serialOf(caPath(h))

	start := time.Now()
	out, err := runner.MicroOVN(h, "certificates", "regenerate-ca")
	t.Logf("regenerate-ca took %v:\n%s", time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("regenerate-ca: %v\n%s", err, out)
	}

	c.wantCAResult(t, out)
	results := parseCAResult(out)
	for _, member := range c.hosts {
		for _, name := range serviceNames {
			if !slices.Contains(results[member.Name], name+": issued") {
				t.Errorf("section [%s] lacks %q: %q", member.Name, name+": issued",
					results[member.Name])
			}
		}
	}

	newCA, err := readCertificate(caPath(h))
	if err != nil {
		t.Fatal(err)
	}

	if newCA.SerialNumber.Text(16) == oldCASerial {
		t.Fatalf("CA serial still %s after regenerate-ca", oldCASerial)
	}

	newSerial := newCA.SerialNumber.Text(16)
	for _, member := range c.hosts {
		if got := serialOf(caPath(member)); got != newSerial {
			t.Errorf("%s: cacert.pem has serial %s, want the new CA %s", member.Name, got,
				newSerial)
		}
	}

	c.wantSignedBy(t, newCA)
	c.waitHealthy(2 * time.Minute)
	c.waitSouthboundChassis(h, len(c.hosts), 90*time.Second)

	newFiles := copyClientFiles(t, client, dir, "new")
	target := "ssl:" + h.Addr.String() + ":6642"
	e2e.WaitFor(t, "new client certificate accepted", 60*time.Second, func() (bool, string) {
		out, err := listDBs(client, newFiles, target)
		return err == nil && strings.Contains(out, "OVN_Southbound"),
			fmt.Sprintf("%v: %s", err, out)
	})

	rejected := []struct {
		description string
		files       clientFiles
	}{
		{"old certificate with the new CA", clientFiles{oldCA.cert, oldCA.key, newFiles.ca}},
		{"old certificate with the old CA", oldCA},
	}
	for _, tc := range rejected {
		out, err := listDBs(client, tc.files, target)
		if err == nil {
			t.Errorf("client with %s was accepted by %s:\n%s", tc.description, target, out)
			continue
		}

		t.Logf("client with %s rejected: %v", tc.description, err)
	}
}

// clientFiles are the certificate, private key and CA certificate of a TLS client.
type clientFiles struct {
	cert, key, ca string
}

// copyClientFiles copies the client certificate, key and CA certificate of h to dir
// with prefix in their names, so that they outlive a reissue.
func copyClientFiles(t *testing.T, h *testbed.Host, dir, prefix string) clientFiles {
	t.Helper()

	files := clientFiles{
		cert: filepath.Join(dir, prefix+"-client-cert.pem"),
		key:  filepath.Join(dir, prefix+"-client-privkey.pem"),
		ca:   filepath.Join(dir, prefix+"-cacert.pem"),
	}

	copies := map[string]string{
		certPath(h, "client"): files.cert,
		keyPath(h, "client"):  files.key,
		caPath(h):             files.ca,
	}
	for from, to := range copies {
		if err := os.WriteFile(to, readFile(t, from), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	return files
}

// listDBs runs ovsdb-client list-dbs on h against target with the client files.
func listDBs(h *testbed.Host, files clientFiles, target string) (string, error) {
	return runner.Run(h, "ovsdb-client", "--timeout=5", "-p", files.key, "-c", files.cert,
		"-C", files.ca, "list-dbs", target)
}

// testSetCAKeyTypes installs an RSA, an ECDSA and an Ed25519 CA made by openssl in
// turn, and checks each time that every member uses it and the cluster works.
func testSetCAKeyTypes(t *testing.T, c *cluster) {
	dir := t.TempDir()
	h := c.hosts[0]

	for _, keyType := range []string{"rsa", "ec", "ed25519"} {
		ca := newOpenSSLCA(t, dir, "user-"+keyType, keyType)
		certPEM := readFile(t, ca.cert)

		var out string
		var err error
		start := time.Now()
		if keyType == "ed25519" {
			// One key type goes through --combined to cover reading standard input.
			stdin := append(append([]byte{}, certPEM...), readFile(t, ca.key)...)
			out, err = runner.MicroOVNInput(h, bytes.NewReader(stdin), "certificates", "set-ca",
				"--combined")
		} else {
			out, err = runner.MicroOVN(h, "certificates", "set-ca", "--cert", ca.cert,
				"--key", ca.key)
		}

		t.Logf("set-ca with the %s CA took %v:\n%s", keyType,
			time.Since(start).Round(time.Millisecond), out)
		if err != nil {
			t.Fatalf("set-ca with the %s CA: %v\n%s", keyType, err, out)
		}

		c.wantCAResult(t, out)

		wantCA, err := readCertificate(ca.cert)
		if err != nil {
			t.Fatal(err)
		}

		for name, data := range c.caFiles(t) {
			block, _ := pem.Decode(data)
			if block == nil || !bytes.Equal(block.Bytes, wantCA.Raw) {
				t.Errorf("%s: cacert.pem differs from the %s CA given to set-ca:\n%s", name,
					keyType, data)
			}
		}

		c.wantSignedBy(t, wantCA)
		c.waitSouthboundChassis(h, len(c.hosts), 2*time.Minute)
		c.waitHealthy(2 * time.Minute)
	}
}

// testSetCARejects checks that set-ca rejects a leaf certificate, a key of another
// CA, an expired CA and input that is not PEM, each with a message that names the
// problem, and that cacert.pem stays unchanged on every member.
func testSetCARejects(t *testing.T, c *cluster) {
	dir := t.TempDir()
	h := c.hosts[0]

	rsaCA := newOpenSSLCA(t, dir, "reject-rsa", "rsa")
	ecCA := newOpenSSLCA(t, dir, "reject-ec", "ec")
	leafCert, leafKey := rsaCA.issueLeaf(t, dir, "leaf")
	now := time.Now()
	expired := writeGoCA(t, dir, "expired", now.Add(-48*time.Hour), now.Add(-time.Hour))

	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("this is not PEM\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name      string
		cert, key string
		stdin     []byte // with --combined in place of cert and key
		want      string
	}{
		{name: "leaf certificate", cert: leafCert, key: leafKey,
			want: "certificate is not a CA"},
		{name: "key of another CA", cert: rsaCA.cert, key: ecCA.key,
			want: "private key does not match certificate"},
		{name: "expired CA", cert: expired.cert, key: expired.key,
			want: "certificate is expired or not yet valid"},
		{name: "garbage files", cert: garbage, key: garbage, want: "invalid PEM data"},
		{name: "garbage on standard input", stdin: []byte("not PEM either\n"),
			want: "invalid PEM data"},
	}

	before := c.caFiles(t)
	for _, tc := range cases {
		var out string
		var err error
		if tc.stdin != nil {
			out, err = runner.MicroOVNInput(h, bytes.NewReader(tc.stdin), "certificates",
				"set-ca", "--combined")
		} else {
			out, err = runner.MicroOVN(h, "certificates", "set-ca", "--cert", tc.cert,
				"--key", tc.key)
		}

		if err == nil {
			t.Errorf("set-ca with a %s succeeded:\n%s", tc.name, out)
			continue
		}

		for _, want := range []string{"CA rejected", tc.want} {
			if !strings.Contains(out, want) {
				t.Errorf("set-ca with a %s: output lacks %q:\n%s", tc.name, want, out)
			}
		}

		for name, data := range c.caFiles(t) {
			if !bytes.Equal(data, before[name]) {
				t.Errorf("%s: cacert.pem changed after set-ca with a %s", name, tc.name)
			}
		}
	}
}
