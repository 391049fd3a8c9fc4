package services

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// systemProcess is a process that a distribution's own OVN or Open vSwitch
// packages run, found by the pid file their service units write.
type systemProcess struct {
	service string // the MicroOVN service it collides with
	pidFile string // relative to the system root
	unit    string // the distribution's systemd unit
}

var systemProcesses = []systemProcess{
	{Switch, "run/openvswitch/ovsdb-server.pid", "openvswitch-switch"},
	{Switch, "run/openvswitch/ovs-vswitchd.pid", "openvswitch-switch"},
	{Central, "run/ovn/ovnnb_db.pid", "ovn-central"},
	{Central, "run/ovn/ovnsb_db.pid", "ovn-central"},
	{Central, "run/ovn/ovn-northd.pid", "ovn-central"},
	{Chassis, "run/ovn/ovn-controller.pid", "ovn-host"},
}

// SystemConflict returns an error naming the distribution service to stop when
// the system's own packages already run a process of service. MicroOVN's own
// processes (whose command line names ownRoot) never count. sysRoot is "/" except
// in tests.
func SystemConflict(sysRoot, ownRoot, service string) error {
	for _, sp := range systemProcesses {
		if sp.service != service {
			continue
		}

		pid, name := livePid(filepath.Join(sysRoot, sp.pidFile), ownRoot)
		if pid == 0 {
			continue
		}

		return fmt.Errorf("the system's %s service already runs %s (pid %d): stop and "+
			"disable it (systemctl disable --now %s) so that MicroOVN can run its own %s",
			sp.unit, name, pid, sp.unit, service)
	}

	return nil
}

// livePid returns the pid and program name of a live process named by pidFile,
// unless its command line mentions ownRoot.
func livePid(pidFile, ownRoot string) (int, string) {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, ""
	}

	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 || !alive(pid) {
		return 0, ""
	}

	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || (ownRoot != "" && bytes.Contains(cmdline, []byte(ownRoot))) {
		return 0, ""
	}

	name, _, _ := bytes.Cut(cmdline, []byte{0})
	return pid, filepath.Base(string(name))
}
