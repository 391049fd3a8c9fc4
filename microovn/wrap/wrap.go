// Package wrap runs the OVN and Open vSwitch command-line tools against this
// node's cluster: database remotes, TLS client certificate, key and CA, and the
// run folders are filled in, so `microovn.ovn-sbctl show` needs no arguments.
//
// The microovn binary serves every wrapped tool: invoked as microovn.ovn-sbctl
// (a symbolic link, or a snap app of that name) it runs ovn-sbctl this way.
package wrap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/microovn/microovn/microovn/envfile"
	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/services"
)

// Prefix starts the name under which the microovn binary acts as a wrapped tool.
const Prefix = "microovn."

// Tool describes how one wrapped tool is completed.
type Tool struct {
	Name     string
	Database string // envfile key of the remote passed as --db, or "" for none
	Switch   bool   // passes the local Open vSwitch database as --db
	TLS      bool   // passes the client certificate, key and CA
	Appctl   bool   // resolves -t/--target names to this node's control sockets
}

// Tools lists every wrapped tool.
func Tools() []Tool {
	return []Tool{
		{Name: "ovn-nbctl", Database: envfile.NBConnect, TLS: true},
		{Name: "ovn-sbctl", Database: envfile.SBConnect, TLS: true},
		{Name: "ovn-trace", Database: envfile.SBConnect, TLS: true},
		{Name: "ovs-vsctl", Switch: true},
		{Name: "ovn-appctl", Appctl: true},
		{Name: "ovs-appctl", Appctl: true},
		{Name: "ovsdb-client", TLS: true},
		{Name: "ovs-ofctl"},
		{Name: "ovs-dpctl"},
		{Name: "ovsdb-tool"},
	}
}

// Lookup returns the wrapped tool that argv0 (a program path) names.
func Lookup(argv0 string) (Tool, bool) {
	base := filepath.Base(argv0)
	if !strings.HasPrefix(base, Prefix) {
		return Tool{}, false
	}

	name := strings.TrimPrefix(base, Prefix)
	i := slices.IndexFunc(Tools(), func(t Tool) bool { return t.Name == name })
	if i < 0 {
		return Tool{}, false
	}

	return Tools()[i], true
}

// ErrNotReady means the node lacks what the tool needs: it is not bootstrapped,
// its daemon has not set it up, or a file is gone.
var ErrNotReady = errors.New("node not ready")

// Command returns the program path, full argument list and environment for t.
func Command(t Tool, l paths.Layout, tools services.Tools, args []string) (
	string, []string, []string, error) {
	program, err := tools.Path(t.Name)
	if err != nil {
		return "", nil, nil, err
	}

	pre, err := t.prefixArgs(l, args)
	if err != nil {
		return "", nil, nil, err
	}

	if t.Appctl {
		args = resolveTarget(t, l, args)
	}

	env := append(os.Environ(), services.Env(l, l.OVNRun())...)
	return program, append(pre, args...), env, nil
}

// prefixArgs returns the options placed before the user's own. An option the user
// gives takes precedence because these tools read the last occurrence.
func (t Tool) prefixArgs(l paths.Layout, args []string) ([]string, error) {
	var pre []string
	if t.Database != "" && !hasOption(args, "--db") {
		remote, err := remoteFromEnv(l, t.Database)
		if err != nil {
			return nil, err
		}

		pre = append(pre, "--db="+remote)
	}

	if t.Switch && !hasOption(args, "--db") {
		if _, err := os.Stat(l.SwitchSocket()); err != nil {
			return nil, fmt.Errorf("%w: the Open vSwitch database socket %s does not exist: "+
				"the switch service is not running on this node (check microovn status)",
				ErrNotReady, l.SwitchSocket())
		}

		pre = append(pre, "--db=unix:"+l.SwitchSocket())
	}

	if t.TLS {
		tls, err := clientTLS(l)
		if err != nil {
			return nil, err
		}

		pre = append(pre, tls...)
	}

	return pre, nil
}

func remoteFromEnv(l paths.Layout, key string) (string, error) {
	values, err := envfile.Read(l.EnvFile())
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w: %s does not exist: this node is not part of a cluster "+
			"(run microovn cluster bootstrap or join, with %s=%s if that is not this node)",
			ErrNotReady, l.EnvFile(), paths.StateDirEnv, l.State())
	}

	if err != nil {
		return "", fmt.Errorf("read %s: %w", l.EnvFile(), err)
	}

	if values[key] == "" {
		return "", fmt.Errorf("%w: %s lists no central member: no OVN database to connect to",
			ErrNotReady, l.EnvFile())
	}

	return values[key], nil
}

// clientTLS returns the client certificate options after checking the files.
func clientTLS(l paths.Layout) ([]string, error) {
	files := []string{l.Key("client"), l.Cert("client"), l.CACert()}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%w: missing %s: bootstrap or join this node, or "+
				"restore its client certificate with microovn certificates reissue client",
				ErrNotReady, f)
		}
	}

	return []string{"--private-key=" + files[0], "--certificate=" + files[1],
		"--ca-cert=" + files[2]}, nil
}

func hasOption(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}

		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}

	return false
}

// resolveTarget turns a target name such as ovn-northd or ovnnb_db into the path
// of this node's control socket, and supplies the tool's default target.
func resolveTarget(t Tool, l paths.Layout, args []string) []string {
	out := slices.Clone(args)
	for i := 0; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "-T" || a == "--timeout":
			// A timeout given as a separate word is an option value, not the command.
			i++
		case (a == "-t" || a == "--target") && i+1 < len(out):
			out[i+1] = controlPath(l, out[i+1])
			return out
		case strings.HasPrefix(a, "--target="):
			out[i] = "--target=" + controlPath(l, strings.TrimPrefix(a, "--target="))
			return out
		case !strings.HasPrefix(a, "-"):
			// The first word that is not an option is the command.
			return defaultTarget(t, l, out)
		}
	}

	return defaultTarget(t, l, out)
}

func defaultTarget(t Tool, l paths.Layout, args []string) []string {
	name := services.ProcVswitchd
	if t.Name == "ovn-appctl" {
		name = services.ProcController
	}

	return append([]string{"-t", controlPath(l, name)}, args...)
}

// controlPath returns the control socket of the process called name on this
// node, or name itself when it is a path or no such process is known.
func controlPath(l paths.Layout, name string) string {
	if strings.Contains(name, "/") {
		return name
	}

	p, ok := services.Lookup(name)
	if !ok {
		return name
	}

	pid := services.PidFromFile(p.PidFile(l))
	return p.Control(l, pid)
}
