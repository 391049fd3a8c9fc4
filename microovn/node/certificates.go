package node

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"time"

	"github.com/microovn/microovn/microovn/pki"
	"github.com/microovn/microovn/microovn/services"
)

// ensurePKI writes the cluster's CA certificate and issues every certificate d
// needs that is missing, not signed by the current CA, not matching its key, or
// within the renewal window. A running process whose certificate changed is
// restarted so that it presents the new one.
func (m *Manager) ensurePKI(ctx context.Context, d Desired) error {
	// A Desired read from the local cache while the cluster database is out of
	// reach carries no CA: the certificates on disk stay as they are until then.
	if d.CACert == "" {
		return nil
	}

	// lastIssued lists what was issued under the current CA, so that a refresh after
	// a CA change also reports what the loop reissued before the refresh came.
	if old, err := os.ReadFile(m.Layout.CACert()); err != nil || string(old) != d.CACert {
		m.lastIssued = nil
	}

	if err := writeIfChanged(m.Layout.CACert(), []byte(d.CACert), 0o644); err != nil {
		return fmt.Errorf("write the CA certificate: %w", err)
	}

	ca, err := pki.LoadCA([]byte(d.CACert), []byte(d.CAKey))
	if err != nil {
		return fmt.Errorf("load the cluster CA: %w", err)
	}

	reissued, err := m.IssueCertificates(ca, d, d.Certificates(), false)
	for _, name := range reissued {
		if !slices.Contains(m.lastIssued, name) {
			m.lastIssued = append(m.lastIssued, name)
		}
	}
	if err != nil {
		return err
	}

	return m.restartUsers(ctx, d, reissued)
}

// IssueCertificates issues the certificates in names that need it, or all of them
// with force, and returns those it issued.
func (m *Manager) IssueCertificates(ca *pki.CA, d Desired, names []string, force bool) (
	[]string, error) {
	var issued []string
	now := time.Now()
	for _, name := range names {
		report := pki.CheckFiles(m.Layout.Cert(name), m.Layout.Key(name), ca.Cert, now,
			m.renewWindow())
		if !force && report.Status == pki.StatusOK {
			continue
		}

		// A certificate that already ends with its CA cannot be extended: issuing
		// it again would only restart its process on every pass until the CA is
		// replaced.
		if !force && report.Status == pki.StatusExpiring &&
			ca.Cert.NotAfter.Sub(report.NotAfter) < time.Minute {
			continue
		}

		if err := m.issue(ca, d, name); err != nil {
			return issued, err
		}

		m.Log.Info("Certificate issued", "certificate", name, "member", d.Member,
			"reason", string(report.Status), "security", true)
		issued = append(issued, name)
	}

	return issued, nil
}

func (m *Manager) issue(ca *pki.CA, d Desired, name string) error {
	var addrs []net.IP
	for _, a := range []string{d.Address, d.EncapIP} {
		if ip := net.ParseIP(a); ip != nil {
			addrs = append(addrs, ip)
		}
	}

	certPEM, keyPEM, err := pki.Issue(ca, pki.Request{Service: name, Member: d.Member,
		Addresses: addrs, Lifetime: m.CertLifetime})
	if err != nil {
		return fmt.Errorf("issue the %s certificate: %w", name, err)
	}

	// The key goes first: a certificate beside an old key would not load.
	if err := pki.WriteFile(m.Layout.Key(name), keyPEM, 0o600); err != nil {
		return fmt.Errorf("write the %s key: %w", name, err)
	}

	if err := pki.WriteFile(m.Layout.Cert(name), certPEM, 0o600); err != nil {
		return fmt.Errorf("write the %s certificate: %w", name, err)
	}

	return nil
}

func (m *Manager) renewWindow() time.Duration {
	if m.RenewWindow > 0 {
		return m.RenewWindow
	}

	return pki.DefaultRenewWindow
}

// restartUsers restarts the running processes that present a certificate in names.
func (m *Manager) restartUsers(ctx context.Context, d Desired, names []string) error {
	cfg := d.Config(m.Layout, m.Datapath)
	for _, name := range names {
		p, ok := services.Lookup(certificateUsers[name])
		if !ok || m.Runner.Pid(p, m.Layout) == 0 {
			continue
		}

		m.Log.Info("Restarting process for its new certificate", "process", p.Name)
		if err := m.Runner.Stop(ctx, p, m.Layout, false); err != nil {
			return err
		}

		if err := m.Runner.Start(ctx, p, cfg); err != nil {
			return err
		}
	}

	return nil
}

func writeIfChanged(path string, data []byte, perm os.FileMode) error {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return nil
	}

	return pki.WriteFile(path, data, perm)
}
