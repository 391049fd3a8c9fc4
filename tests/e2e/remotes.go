package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/microovn/microovn/tests/testbed"
)

// Endpoints returns the sorted endpoints "ssl:ADDR:PORT" of hosts.
func Endpoints(hosts []*testbed.Host, port int) []string {
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, "ssl:"+net.JoinHostPort(h.Addr.String(), strconv.Itoa(port)))
	}

	slices.Sort(out)

	return out
}

// SplitRemote returns the sorted endpoints of a connection string "ssl:A,ssl:B",
// with surrounding quotes and space removed.
func SplitRemote(remote string) []string {
	remote = strings.Trim(strings.TrimSpace(remote), `"`)
	if remote == "" {
		return nil
	}

	out := strings.Split(remote, ",")
	slices.Sort(out)

	return out
}

// ReadEnvFile returns the variables of ROOT/data/env/ovn.env of h.
func ReadEnvFile(h *testbed.Host) (map[string]string, error) {
	data, err := os.ReadFile(filepath.Join(h.Root, "data", "env", "ovn.env"))
	if err != nil {
		return nil, err
	}

	values := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, found := strings.Cut(strings.TrimSpace(line), "=")
		if found && !strings.HasPrefix(key, "#") {
			values[key] = strings.Trim(value, `"`)
		}
	}

	return values, nil
}

// ReadPidFile returns the process id in the pid file at path.
func ReadPidFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}

	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("invalid pid file %s: %q", path, data)
	}

	return pid, nil
}

// ProcessArgs returns the command line of the live process that the pid file
// ROOT/run/REL of h names.
func ProcessArgs(h *testbed.Host, rel string) ([]string, error) {
	pid, err := ReadPidFile(filepath.Join(h.Root, "run", rel))
	if err != nil {
		return nil, err
	}

	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(cmdline) == 0 {
		return nil, fmt.Errorf("process %d of %s (%s) is gone", pid, h.Name, rel)
	}

	return strings.Split(string(bytes.TrimRight(cmdline, "\x00")), "\x00"), nil
}

// OptionValue returns VALUE of the argument NAME=VALUE in args, or "".
func OptionValue(args []string, name string) string {
	for _, arg := range args {
		if value, found := strings.CutPrefix(arg, name+"="); found {
			return value
		}
	}

	return ""
}

// CheckChassisRemotes reports a failure unless ovn.env and the ovn-remote of
// ovn-controller on h name exactly the Northbound and Southbound endpoints of
// centrals.
func (r Runner) CheckChassisRemotes(rep Reporter, h *testbed.Host,
	centrals []*testbed.Host,
) {
	wantNB := Endpoints(centrals, Northbound.Port)
	wantSB := Endpoints(centrals, Southbound.Port)

	env, err := ReadEnvFile(h)
	if err != nil {
		rep.Errorf("read ovn.env of %s: %v", h.Name, err)
	} else {
		if got := SplitRemote(env["OVN_NB_CONNECT"]); !slices.Equal(got, wantNB) {
			rep.Errorf("ovn.env of %s has OVN_NB_CONNECT %v, want %v", h.Name, got, wantNB)
		}

		if got := SplitRemote(env["OVN_SB_CONNECT"]); !slices.Equal(got, wantSB) {
			rep.Errorf("ovn.env of %s has OVN_SB_CONNECT %v, want %v", h.Name, got, wantSB)
		}
	}

	out, err := r.Tool(h, "ovs-vsctl", "get", "open_vswitch", ".", "external_ids:ovn-remote")
	if err != nil {
		rep.Errorf("read ovn-remote of %s: %v", h.Name, err)
	} else if got := SplitRemote(out); !slices.Equal(got, wantSB) {
		rep.Errorf("ovn-controller of %s has ovn-remote %v, want %v", h.Name, got, wantSB)
	}
}

// CheckRemotes reports a failure unless every remote on h names exactly the
// endpoints of centrals: ovn.env, the ovn-remote of ovn-controller, and the
// --ovnnb-db and --ovnsb-db of ovn-northd when h is central. A member that is not
// central must not run ovn-northd.
func (r Runner) CheckRemotes(rep Reporter, h *testbed.Host, centrals []*testbed.Host) {
	r.CheckChassisRemotes(rep, h, centrals)

	args, err := ProcessArgs(h, filepath.Join("ovn", "ovn-northd.pid"))
	if !slices.Contains(centrals, h) {
		if err == nil {
			rep.Errorf("%s is not central but runs ovn-northd: %v", h.Name, args)
		}

		return
	}

	if err != nil {
		rep.Errorf("find ovn-northd of %s: %v", h.Name, err)
		return
	}

	wantNB := Endpoints(centrals, Northbound.Port)
	if got := SplitRemote(OptionValue(args, "--ovnnb-db")); !slices.Equal(got, wantNB) {
		rep.Errorf("ovn-northd of %s has --ovnnb-db %v, want %v", h.Name, got, wantNB)
	}

	wantSB := Endpoints(centrals, Southbound.Port)
	if got := SplitRemote(OptionValue(args, "--ovnsb-db")); !slices.Equal(got, wantSB) {
		rep.Errorf("ovn-northd of %s has --ovnsb-db %v, want %v", h.Name, got, wantSB)
	}
}
