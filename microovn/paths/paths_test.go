package paths

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStateDirPrecedence(t *testing.T) {
	cases := []struct {
		name       string
		flag       string
		env        string
		snapCommon string
		snapName   string
		want       string
	}{
		{"flag wins", "/flag/state", "/env/state", "/var/snap/microovn/common", "microovn",
			"/flag/state"},
		{"environment over snap", "", "/env/state", "/var/snap/microovn/common", "microovn",
			"/env/state"},
		{"snap common", "", "", "/var/snap/microovn/common", "microovn",
			"/var/snap/microovn/common/state"},
		{"snap common without snap name", "", "", "/var/snap/microovn/common", "",
			DefaultStateDir},
		{"default", "", "", "", "", DefaultStateDir},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(StateDirEnv, tc.env)
			t.Setenv("SNAP_COMMON", tc.snapCommon)
			t.Setenv("SNAP_NAME", tc.snapName)

			if got := StateDir(tc.flag); got != tc.want {
				t.Errorf("StateDir(%q) = %q, want %q", tc.flag, got, tc.want)
			}
		})
	}
}

func TestFromStateDirRootIsParent(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		stateDir string
		want     string
	}{
		{"/var/lib/microovn/state", "/var/lib/microovn"},
		{"/var/snap/microovn/common/state/", "/var/snap/microovn/common"},
		{"/a/b/../c/state", "/a/c"},
		{"node1/state", filepath.Join(cwd, "node1")},
	}
	for _, tc := range cases {
		l, err := FromStateDir(tc.stateDir)
		if err != nil {
			t.Errorf("FromStateDir(%q) error: %v", tc.stateDir, err)
			continue
		}

		if l.Root != tc.want {
			t.Errorf("FromStateDir(%q).Root = %q, want %q", tc.stateDir, l.Root, tc.want)
		}
	}
}

func TestLayoutFileNames(t *testing.T) {
	l := Layout{Root: "/r"}
	cases := []struct {
		what string
		got  string
		want string
	}{
		{"State", l.State(), "/r/state"},
		{"ControlSocket", l.ControlSocket(), "/r/state/control.socket"},
		{"PKI", l.PKI(), "/r/data/pki"},
		{"CACert", l.CACert(), "/r/data/pki/cacert.pem"},
		{"Cert(ovnnb)", l.Cert("ovnnb"), "/r/data/pki/ovnnb-cert.pem"},
		{"Key(ovnnb)", l.Key("ovnnb"), "/r/data/pki/ovnnb-privkey.pem"},
		{"Cert(client)", l.Cert("client"), "/r/data/pki/client-cert.pem"},
		{"CentralData", l.CentralData(), "/r/data/central/db"},
		{"SwitchData", l.SwitchData(), "/r/data/switch/db"},
		{"EnvFile", l.EnvFile(), "/r/data/env/ovn.env"},
		{"CentralRun", l.CentralRun(), "/r/run/central"},
		{"OVNRun", l.OVNRun(), "/r/run/ovn"},
		{"SwitchRun", l.SwitchRun(), "/r/run/switch"},
		{"SwitchSocket", l.SwitchSocket(), "/r/run/switch/db.sock"},
		{"Logs", l.Logs(), "/r/logs"},
		{"Backup", l.Backup("20240102-030405.000"), "/r/backup_20240102-030405.000"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.what, tc.got, tc.want)
		}
	}
}

func TestCreateFolderModes(t *testing.T) {
	l := Layout{Root: t.TempDir()}
	// A PKI folder left too open by an earlier run is tightened.
	if err := os.MkdirAll(l.PKI(), 0o755); err != nil {
		t.Fatal(err)
	}

	if err := l.Create(); err != nil {
		t.Fatalf("Create: %v", err)
	}

	for dir, mode := range l.Dirs() {
		info, err := os.Stat(dir)
		if err != nil {
			t.Errorf("Create left %s missing: %v", dir, err)
			continue
		}

		if !info.IsDir() {
			t.Errorf("Create made %s, which is not a folder", dir)
		}

		if got := info.Mode().Perm(); got != mode {
			t.Errorf("%s mode = %o, want %o", dir, got, mode)
		}
	}

	if mode := l.Dirs()[l.PKI()]; mode != 0o700 {
		t.Errorf("Dirs() gives PKI mode %o, want 0700", mode)
	}

	if err := l.Create(); err != nil {
		t.Errorf("second Create: %v", err)
	}
}
