package services

import (
	"path/filepath"
	"strconv"

	"github.com/microovn/microovn/microovn/paths"
)

// Process is one long-running OVN or Open vSwitch program of a service.
type Process struct {
	Name    string // unique name, also the base of its pid file and log file
	Service string
	Program string // executable, looked up by Tools
	SnapApp string // the snap's service app running this process

	runDir func(paths.Layout) string
	args   func(Config) []string
}

// RunDir is the folder of the process's pid file and control socket.
func (p Process) RunDir(l paths.Layout) string { return p.runDir(l) }

// PidFile is the file where the process writes its pid.
func (p Process) PidFile(l paths.Layout) string {
	return filepath.Join(p.runDir(l), p.Name+".pid")
}

// LogFile is the process's log file.
func (p Process) LogFile(l paths.Layout) string {
	return filepath.Join(l.Logs(), p.Name+".log")
}

// Control is the unixctl socket of the process. ovn-controller 23.03 has no
// --unixctl option and names its socket after its pid, so pid is needed for it.
func (p Process) Control(l paths.Layout, pid int) string {
	if p.Name == "ovn-controller" {
		return filepath.Join(p.runDir(l), "ovn-controller."+strconv.Itoa(pid)+".ctl")
	}

	return filepath.Join(p.runDir(l), p.Name+".ctl")
}

// Args returns the command line after the program name, without the flags that
// decide whether it runs in the foreground or detached.
func (p Process) Args(c Config) []string {
	args := []string{"--no-chdir", "--pidfile=" + p.PidFile(c.Layout),
		"--log-file=" + p.LogFile(c.Layout)}
	if p.Name != "ovn-controller" {
		args = append(args, "--unixctl="+p.Control(c.Layout, 0))
	}

	return append(args, p.args(c)...)
}

// Env returns the OVS and OVN folder variables the process runs with. Besides its
// own files, they tell ovn-controller where ovs-vswitchd keeps the bridges'
// OpenFlow sockets, and the command-line tools where the control sockets are.
func Env(l paths.Layout, ovnRun string) []string {
	return []string{
		"OVS_RUNDIR=" + l.SwitchRun(),
		"OVS_DBDIR=" + l.SwitchData(),
		"OVS_LOGDIR=" + l.Logs(),
		"OVN_RUNDIR=" + ovnRun,
		"OVN_DBDIR=" + l.CentralData(),
		"OVN_LOGDIR=" + l.Logs(),
	}
}

// Database files of the clustered databases and of the local switch.

// NBFile is the Northbound database file.
func NBFile(l paths.Layout) string { return filepath.Join(l.CentralData(), "ovnnb_db.db") }

// SBFile is the Southbound database file.
func SBFile(l paths.Layout) string { return filepath.Join(l.CentralData(), "ovnsb_db.db") }

// SwitchFile is the Open vSwitch database file.
func SwitchFile(l paths.Layout) string { return filepath.Join(l.SwitchData(), "conf.db") }

// Socket returns the local unix socket of a database server process.
func (p Process) Socket(l paths.Layout) string {
	if p.Name == ProcSwitchDB {
		return l.SwitchSocket()
	}

	return filepath.Join(p.runDir(l), p.Name+".sock")
}

// Names of the processes, used as keys in Lookup.
const (
	ProcSwitchDB   = "ovsdb-server"
	ProcVswitchd   = "ovs-vswitchd"
	ProcNB         = "ovnnb_db"
	ProcSB         = "ovnsb_db"
	ProcNorthd     = "ovn-northd"
	ProcController = "ovn-controller"
)

// Table lists every process in start order.
func Table() []Process {
	return []Process{
		{Name: ProcSwitchDB, Service: Switch, Program: "ovsdb-server", SnapApp: "switch-ovsdb",
			runDir: paths.Layout.SwitchRun, args: switchDBArgs},
		{Name: ProcVswitchd, Service: Switch, Program: "ovs-vswitchd", SnapApp: "switch",
			runDir: paths.Layout.SwitchRun, args: vswitchdArgs},
		{Name: ProcNB, Service: Central, Program: "ovsdb-server", SnapApp: "ovn-ovsdb-server-nb",
			runDir: paths.Layout.CentralRun, args: nbArgs},
		{Name: ProcSB, Service: Central, Program: "ovsdb-server", SnapApp: "ovn-ovsdb-server-sb",
			runDir: paths.Layout.CentralRun, args: sbArgs},
		{Name: ProcNorthd, Service: Central, Program: "ovn-northd", SnapApp: "ovn-northd",
			runDir: paths.Layout.OVNRun, args: northdArgs},
		{Name: ProcController, Service: Chassis, Program: "ovn-controller", SnapApp: "chassis",
			runDir: paths.Layout.OVNRun, args: controllerArgs},
	}
}

// Lookup returns the process called name.
func Lookup(name string) (Process, bool) {
	for _, p := range Table() {
		if p.Name == name {
			return p, true
		}
	}

	return Process{}, false
}

// Of returns the processes of service in start order.
func Of(service string) []Process {
	var out []Process
	for _, p := range Table() {
		if p.Service == service {
			out = append(out, p)
		}
	}

	return out
}

// TLS returns the flags that give a process its certificate, key and the CA.
func TLS(l paths.Layout, certName string) []string {
	return []string{
		"--private-key=" + l.Key(certName),
		"--certificate=" + l.Cert(certName),
		"--ca-cert=" + l.CACert(),
	}
}

func switchDBArgs(c Config) []string {
	return []string{"--remote=punix:" + c.Layout.SwitchSocket(), SwitchFile(c.Layout)}
}

func vswitchdArgs(c Config) []string {
	return []string{"unix:" + c.Layout.SwitchSocket()}
}

func centralDBArgs(c Config, proc string, port int, certName, file string) []string {
	p, _ := Lookup(proc)
	args := []string{
		"--remote=punix:" + p.Socket(c.Layout),
		"--remote=" + Listen(c.Address, port),
	}
	args = append(args, TLS(c.Layout, certName)...)

	return append(args, file)
}

func nbArgs(c Config) []string {
	return centralDBArgs(c, ProcNB, NBPort, "ovnnb", NBFile(c.Layout))
}

func sbArgs(c Config) []string {
	return centralDBArgs(c, ProcSB, SBPort, "ovnsb", SBFile(c.Layout))
}

func northdArgs(c Config) []string {
	args := []string{"--ovnnb-db=" + c.NBRemote(), "--ovnsb-db=" + c.SBRemote()}
	return append(args, TLS(c.Layout, "ovn-northd")...)
}

func controllerArgs(c Config) []string {
	args := TLS(c.Layout, "ovn-controller")
	return append(args, "unix:"+c.Layout.SwitchSocket())
}

// EnvFor returns the environment variables of process p.
func EnvFor(l paths.Layout, p Process) []string {
	ovnRun := l.OVNRun()
	if p.Service == Central && p.Name != ProcNorthd {
		ovnRun = l.CentralRun()
	}

	return Env(l, ovnRun)
}
