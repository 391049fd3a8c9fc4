package node

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/pki"
	"github.com/microovn/microovn/microovn/services"
)

func TestDesiredConfigEncapDefault(t *testing.T) {
	l := paths.Layout{Root: "/r"}
	cases := []struct {
		name    string
		encapIP string
		want    string
	}{
		{"encap defaults to address", "", "198.18.0.1"},
		{"invalid encap defaults to address", "not-an-ip", "198.18.0.1"},
		{"own encap", "198.18.1.1", "198.18.1.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Desired{Member: "node1", Address: "198.18.0.1", EncapIP: tc.encapIP}
			cfg := d.Config(l, services.DatapathNetdev)

			if got := cfg.EncapIP.String(); got != tc.want {
				t.Errorf("EncapIP = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDesiredConfigFields(t *testing.T) {
	l := paths.Layout{Root: "/r"}
	d := Desired{
		Member:   "node1",
		Address:  "fd00::1",
		Centrals: []string{"fd00::1", "bogus", "198.18.0.2"},
	}
	cfg := d.Config(l, services.DatapathSystem)

	if cfg.Layout != l {
		t.Errorf("Layout = %+v, want %+v", cfg.Layout, l)
	}

	if cfg.Member != "node1" {
		t.Errorf("Member = %q, want node1", cfg.Member)
	}

	if !cfg.Address.Equal(net.ParseIP("fd00::1")) {
		t.Errorf("Address = %s, want fd00::1", cfg.Address)
	}

	if cfg.Datapath != services.DatapathSystem {
		t.Errorf("Datapath = %q, want %q", cfg.Datapath, services.DatapathSystem)
	}

	// The unparsable central is dropped.
	if got, want := cfg.NBRemote(), "ssl:[fd00::1]:6641,ssl:198.18.0.2:6641"; got != want {
		t.Errorf("NBRemote() = %q, want %q", got, want)
	}
}

func TestDesiredPeersExcludesSelf(t *testing.T) {
	cases := []struct {
		name     string
		address  string
		centrals []string
		want     []string
	}{
		{"self among three", "198.18.0.2", []string{"198.18.0.1", "198.18.0.2", "198.18.0.3"},
			[]string{"198.18.0.1", "198.18.0.3"}},
		{"only self", "198.18.0.1", []string{"198.18.0.1"}, nil},
		{"not central", "198.18.0.9", []string{"198.18.0.1"}, []string{"198.18.0.1"}},
		{"IPv6", "fd00::1", []string{"fd00::1", "fd00::2"}, []string{"fd00::2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Desired{Address: tc.address, Centrals: tc.centrals}
			var got []string
			for _, ip := range d.Peers() {
				got = append(got, ip.String())
			}

			if !slices.Equal(got, tc.want) {
				t.Errorf("Peers() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDesiredCertificatesPerService(t *testing.T) {
	cases := []struct {
		services []string
		want     []string
	}{
		{nil, []string{pki.ServiceClient}},
		{[]string{services.Switch}, []string{pki.ServiceClient}},
		{[]string{services.Central}, []string{pki.ServiceClient, pki.ServiceNB, pki.ServiceSB,
			pki.ServiceNorthd}},
		{[]string{services.Chassis, services.Switch}, []string{pki.ServiceClient,
			pki.ServiceController}},
		{[]string{services.Switch, services.Central, services.Chassis}, []string{
			pki.ServiceClient, pki.ServiceNB, pki.ServiceSB, pki.ServiceNorthd,
			pki.ServiceController}},
	}
	for _, tc := range cases {
		d := Desired{Services: tc.services}
		if got := d.Certificates(); !slices.Equal(got, tc.want) {
			t.Errorf("Certificates() for %v = %v, want %v", tc.services, got, tc.want)
		}
	}
}

func TestLocalSaveLoadRoundTrip(t *testing.T) {
	l := paths.Layout{Root: t.TempDir()}
	local := Local{
		EncapIP: "198.18.1.1",
		Last: Desired{
			Member:   "node1",
			Address:  "198.18.0.1",
			EncapIP:  "198.18.1.1",
			Services: []string{services.Switch, services.Central},
			Centrals: []string{"198.18.0.1", "198.18.0.2"},
			// CACert and CAKey are tagged json:"-", so local.json does not store them.
			CACert: "CERT",
			CAKey:  "KEY",
		},
	}
	if err := SaveLocal(l, local); err != nil {
		t.Fatalf("SaveLocal: %v", err)
	}

	got, err := LoadLocal(l)
	if err != nil {
		t.Fatalf("LoadLocal: %v", err)
	}

	want := local
	want.Last.CACert = ""
	want.Last.CAKey = ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadLocal after SaveLocal = %+v, want %+v", got, want)
	}

	info, err := os.Stat(filepath.Join(l.Root, "data", "local.json"))
	if err != nil {
		t.Fatalf("local.json missing: %v", err)
	}

	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("local.json mode = %o, want 0600", mode)
	}
}

func TestLoadLocalMissingAndCorrupt(t *testing.T) {
	l := paths.Layout{Root: t.TempDir()}
	got, err := LoadLocal(l)
	if err != nil {
		t.Errorf("LoadLocal without a file: %v, want nil", err)
	}

	if !reflect.DeepEqual(got, Local{}) {
		t.Errorf("LoadLocal without a file = %+v, want zero values", got)
	}

	file := filepath.Join(l.Root, "data", "local.json")
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(file, []byte("{truncated"), 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := LoadLocal(l); err == nil {
		t.Errorf("LoadLocal of a corrupt %s succeeded, want an error", file)
	}
}

func TestMoveIntoKeepsRelativePath(t *testing.T) {
	root := t.TempDir()
	l := paths.Layout{Root: root}
	dbFile := filepath.Join(l.CentralData(), "ovnnb_db.db")
	logFile := filepath.Join(l.Logs(), "ovnnb_db.log")
	for _, f := range []string{dbFile, logFile} {
		if err := os.MkdirAll(filepath.Dir(f), 0o750); err != nil {
			t.Fatal(err)
		}

		if err := os.WriteFile(f, []byte(f), 0o640); err != nil {
			t.Fatal(err)
		}
	}

	backup := l.Backup("20240102-030405.000")
	missing := filepath.Join(root, "data", "switch", "db")
	if err := moveInto(backup, l.CentralData(), l.Logs(), missing); err != nil {
		t.Fatalf("moveInto: %v", err)
	}

	for _, rel := range []string{"data/central/db/ovnnb_db.db", "logs/ovnnb_db.log"} {
		moved := filepath.Join(backup, rel)
		data, err := os.ReadFile(moved)
		if err != nil {
			t.Errorf("%s not in the backup: %v", rel, err)
			continue
		}

		original := filepath.Join(root, rel)
		if string(data) != original {
			t.Errorf("%s holds %q, want the content of %s", moved, data, original)
		}
	}

	for _, src := range []string{l.CentralData(), l.Logs()} {
		if _, err := os.Stat(src); !os.IsNotExist(err) {
			t.Errorf("%s still exists after moveInto (error %v)", src, err)
		}
	}

	if _, err := os.Stat(filepath.Join(backup, "data", "switch")); !os.IsNotExist(err) {
		t.Errorf("moveInto created a backup of the missing %s (error %v)", missing, err)
	}
}
