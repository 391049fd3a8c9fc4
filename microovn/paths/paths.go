// Package paths decides where every file of a MicroOVN node lives.
//
// All of a node's files sit under one root. The microcluster state directory is
// ROOT/state, so a --state-dir given as in a snap ($SNAP_COMMON/state) puts the OVN
// data, run and log folders beside it, where snap users expect them.
package paths

import (
	"os"
	"path/filepath"
)

// StateDirEnv names the environment variable that selects the node's state directory
// for microovnd, microovn and the wrapped tools alike.
const StateDirEnv = "MICROOVN_STATE_DIR"

// DefaultStateDir is the state directory of an unpackaged install.
const DefaultStateDir = "/var/lib/microovn/state"

// Layout is the file layout of one node, derived from its root.
type Layout struct {
	Root string
}

// StateDir returns the state directory chosen by flag, environment or packaging, in
// that order. An empty flag means "not given".
func StateDir(flag string) string {
	if flag != "" {
		return flag
	}

	if dir := os.Getenv(StateDirEnv); dir != "" {
		return dir
	}

	if common := os.Getenv("SNAP_COMMON"); common != "" && os.Getenv("SNAP_NAME") != "" {
		return filepath.Join(common, "state")
	}

	return DefaultStateDir
}

// FromStateDir returns the layout whose state directory is stateDir.
func FromStateDir(stateDir string) (Layout, error) {
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return Layout{}, err
	}

	return Layout{Root: filepath.Dir(filepath.Clean(abs))}, nil
}

// State is the microcluster state directory, which holds the dqlite database and
// the daemon's control socket.
func (l Layout) State() string { return filepath.Join(l.Root, "state") }

// ControlSocket is the daemon's unix socket, usable by root only.
func (l Layout) ControlSocket() string { return filepath.Join(l.State(), "control.socket") }

// PKI is the folder with the CA certificate and every service's certificate and key.
func (l Layout) PKI() string { return filepath.Join(l.Root, "data", "pki") }

// CACert is the cluster's CA certificate as written on this node.
func (l Layout) CACert() string { return filepath.Join(l.PKI(), "cacert.pem") }

// Cert is the certificate of service (ovnnb, ovnsb, ovn-northd, ovn-controller, client).
func (l Layout) Cert(service string) string {
	return filepath.Join(l.PKI(), service+"-cert.pem")
}

// Key is the private key of service.
func (l Layout) Key(service string) string {
	return filepath.Join(l.PKI(), service+"-privkey.pem")
}

// CentralData is the folder of the Northbound and Southbound database files.
func (l Layout) CentralData() string { return filepath.Join(l.Root, "data", "central", "db") }

// SwitchData is the folder of the Open vSwitch database.
func (l Layout) SwitchData() string { return filepath.Join(l.Root, "data", "switch", "db") }

// EnvDir is the folder of the env file that other software on the node reads.
func (l Layout) EnvDir() string { return filepath.Join(l.Root, "data", "env") }

// EnvFile lists the cluster's central endpoints in shell syntax.
func (l Layout) EnvFile() string { return filepath.Join(l.EnvDir(), "ovn.env") }

// CentralRun is the run folder of the Northbound and Southbound ovsdb-servers.
func (l Layout) CentralRun() string { return filepath.Join(l.Root, "run", "central") }

// OVNRun is the run folder of ovn-northd and ovn-controller.
func (l Layout) OVNRun() string { return filepath.Join(l.Root, "run", "ovn") }

// SwitchRun is the run folder of the Open vSwitch database and ovs-vswitchd.
func (l Layout) SwitchRun() string { return filepath.Join(l.Root, "run", "switch") }

// SwitchSocket is the unix socket of the local Open vSwitch database.
func (l Layout) SwitchSocket() string { return filepath.Join(l.SwitchRun(), "db.sock") }

// Logs is the folder of every OVN and Open vSwitch log file.
func (l Layout) Logs() string { return filepath.Join(l.Root, "logs") }

// Backup is the folder that takes a leaving node's OVN data, named by stamp.
func (l Layout) Backup(stamp string) string {
	return filepath.Join(l.Root, "backup_"+stamp)
}

// Dirs lists every folder a node needs, each with its mode. PKI is 0700 because it
// holds private keys.
func (l Layout) Dirs() map[string]os.FileMode {
	return map[string]os.FileMode{
		l.PKI():         0o700,
		l.CentralData(): 0o750,
		l.SwitchData():  0o750,
		l.EnvDir():      0o755,
		l.CentralRun():  0o755,
		l.OVNRun():      0o755,
		l.SwitchRun():   0o755,
		l.Logs():        0o750,
	}
}

// Create makes every folder in Dirs.
func (l Layout) Create() error {
	for dir, mode := range l.Dirs() {
		if err := os.MkdirAll(dir, mode); err != nil {
			return err
		}

		if err := os.Chmod(dir, mode); err != nil {
			return err
		}
	}

	return nil
}
