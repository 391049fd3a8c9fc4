// Package node brings a member's OVN processes to the state the cluster database
// records. Bootstrap, join, removal, restarts and membership changes all end in
// the same reconcile step, so each action exists once.
package node

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"

	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/pki"
	"github.com/microovn/microovn/microovn/services"
)

// Desired is the state this member should run, as read from the cluster database.
type Desired struct {
	Member   string   `json:"member"`
	Address  string   `json:"address"`
	EncapIP  string   `json:"encap_ip"`
	Services []string `json:"services"`
	Centrals []string `json:"centrals"` // addresses of the central members
	CACert   string   `json:"-"`
	CAKey    string   `json:"-"`
}

// Has reports whether this member should run service.
func (d Desired) Has(service string) bool { return slices.Contains(d.Services, service) }

// Config returns the process configuration for d.
func (d Desired) Config(l paths.Layout, datapath string) services.Config {
	cfg := services.Config{
		Layout:   l,
		Member:   d.Member,
		Address:  net.ParseIP(d.Address),
		EncapIP:  net.ParseIP(d.EncapIP),
		Datapath: datapath,
	}
	if cfg.EncapIP == nil {
		cfg.EncapIP = cfg.Address
	}

	for _, a := range d.Centrals {
		if ip := net.ParseIP(a); ip != nil {
			cfg.Centrals = append(cfg.Centrals, ip)
		}
	}

	return cfg
}

// Peers returns the central addresses other than this member's.
func (d Desired) Peers() []net.IP {
	var out []net.IP
	for _, a := range d.Centrals {
		if a != d.Address {
			out = append(out, net.ParseIP(a))
		}
	}

	return out
}

// Certificates lists the certificates this member needs: the client tools'
// always, and each service's for the services it runs.
func (d Desired) Certificates() []string {
	certs := []string{pki.ServiceClient}
	if d.Has(services.Central) {
		certs = append(certs, pki.ServiceNB, pki.ServiceSB, pki.ServiceNorthd)
	}

	if d.Has(services.Chassis) {
		certs = append(certs, pki.ServiceController)
	}

	return certs
}

// Local holds what a member keeps of its own beside the cluster database: settings
// chosen at bootstrap or join, and the last Desired it applied, so that it can
// bring its processes back while the database is unreachable.
type Local struct {
	EncapIP string  `json:"encap_ip,omitempty"`
	Last    Desired `json:"last"`
}

func localFile(l paths.Layout) string { return filepath.Join(l.Root, "data", "local.json") }

// HasLocal reports whether the member saved local settings, which it does once
// its bootstrap or join recorded its services.
func HasLocal(l paths.Layout) bool {
	_, err := os.Stat(localFile(l))
	return err == nil
}

// LoadLocal reads the member's local settings; a missing file gives zero values.
func LoadLocal(l paths.Layout) (Local, error) {
	var local Local
	data, err := os.ReadFile(localFile(l))
	if os.IsNotExist(err) {
		return local, nil
	}

	if err != nil {
		return local, fmt.Errorf("read local settings: %w", err)
	}

	if err := json.Unmarshal(data, &local); err != nil {
		return local, fmt.Errorf("parse %s: %w", localFile(l), err)
	}

	return local, nil
}

// SaveLocal writes the member's local settings.
func SaveLocal(l paths.Layout, local Local) error {
	data, err := json.MarshalIndent(local, "", "  ")
	if err != nil {
		return err
	}

	if err := os.MkdirAll(filepath.Dir(localFile(l)), 0o750); err != nil {
		return err
	}

	return pki.WriteFile(localFile(l), data, 0o600)
}
