package services

import (
	"fmt"
	"os"
	"path/filepath"
)

// Tools finds the OVN and Open vSwitch programs and schema files: on the host's
// own packages outside a snap, under $SNAP inside one.
type Tools struct {
	Prefix string // "" for the host, $SNAP inside a snap
}

// HostTools returns the Tools of this environment.
func HostTools() Tools {
	if os.Getenv("SNAP_NAME") != "" {
		return Tools{Prefix: os.Getenv("SNAP")}
	}

	return Tools{}
}

// binDirs lists where Debian and Ubuntu packages install the programs.
var binDirs = []string{"usr/sbin", "usr/bin", "sbin", "bin"}

// Path returns the absolute path of program, or an error that names the packages
// to install.
func (t Tools) Path(program string) (string, error) {
	for _, dir := range binDirs {
		path := filepath.Join("/", t.Prefix, dir, program)
		info, err := os.Stat(path)
		if err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return path, nil
		}
	}

	return "", fmt.Errorf("%s not found: install the packages ovn-central, ovn-host "+
		"and openvswitch-switch", program)
}

// Schema files of the three databases.
const (
	SchemaNB     = "usr/share/ovn/ovn-nb.ovsschema"
	SchemaSB     = "usr/share/ovn/ovn-sb.ovsschema"
	SchemaSwitch = "usr/share/openvswitch/vswitch.ovsschema"
)

// Schema returns the absolute path of a schema file such as SchemaNB.
func (t Tools) Schema(rel string) string { return filepath.Join("/", t.Prefix, rel) }
