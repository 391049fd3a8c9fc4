// Command microovn is the MicroOVN command-line client. It talks to the local
// microovnd over its unix socket and, invoked as microovn.ovn-sbctl and the like,
// runs the wrapped OVN tools against this node's cluster.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/canonical/microcluster/v3/microcluster"
	"github.com/spf13/cobra"

	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/services"
	"github.com/microovn/microovn/microovn/version"
	"github.com/microovn/microovn/microovn/wrap"
)

// global holds the options every command shares.
type global struct {
	stateDir string
	debug    bool
	verbose  bool
	version  bool
}

// layout returns the node's file layout.
func (g *global) layout() (paths.Layout, error) {
	return paths.FromStateDir(paths.StateDir(g.stateDir))
}

// app returns the microcluster handle of the local daemon, after checking that
// the daemon's socket exists.
func (g *global) app() (*microcluster.MicroCluster, error) {
	l, err := g.layout()
	if err != nil {
		return nil, err
	}

	if _, err := os.Stat(l.ControlSocket()); err != nil {
		return nil, fmt.Errorf("cannot reach microovnd: %s does not exist; start microovnd "+
			"(state directory %s)", l.ControlSocket(), l.State())
	}

	return microcluster.App(microcluster.Args{StateDir: l.State(), LogHandler: g.logHandler()})
}

// logHandler returns where the cluster client's own messages go: warnings only by
// default, informational ones with --verbose, everything with --debug.
func (g *global) logHandler() slog.Handler {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelInfo
	}

	if g.debug {
		level = slog.LevelDebug
	}

	return slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
}

func main() {
	if tool, ok := wrap.Lookup(os.Args[0]); ok {
		os.Exit(runWrapped(tool, os.Args[1:]))
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", oneLine(err))
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	g := &global{}
	root := &cobra.Command{
		Use:   "microovn",
		Short: "Run and manage an OVN deployment with built-in clustering",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.version {
				return printVersion(cmd)
			}

			return cmd.Help()
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}

	flags := root.PersistentFlags()
	flags.StringVar(&g.stateDir, "state-dir", "",
		"state directory of the node (default $"+paths.StateDirEnv+", $SNAP_COMMON/state in a "+
			"snap, or "+paths.DefaultStateDir+")")
	flags.BoolVarP(&g.debug, "debug", "d", false, "show debug messages")
	flags.BoolVarP(&g.verbose, "verbose", "v", false, "show informational messages")
	root.Flags().BoolVar(&g.version, "version", false,
		"print the versions of MicroOVN, OVN and Open vSwitch")

	root.AddCommand(newClusterCmd(g), newStatusCmd(g), newCertificatesCmd(g),
		newWaitReadyCmd(g), newShutdownCmd(g), newEnableCmd(g), newDisableCmd(g),
		newConfigCmd(g), newInitCmd(g))
	return root
}

func printVersion(cmd *cobra.Command) error {
	tools := services.HostTools()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "microovn: %s\n", version.Version)
	fmt.Fprintf(out, "ovn: %s\n", toolVersion(tools, "ovn-northd"))
	fmt.Fprintf(out, "openvswitch: %s\n", toolVersion(tools, "ovs-vswitchd"))
	return nil
}

// toolVersion returns the version number a program prints on its first line.
func toolVersion(tools services.Tools, program string) string {
	path, err := tools.Path(program)
	if err != nil {
		return "not installed"
	}

	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "unknown"
	}

	first, _, _ := strings.Cut(string(out), "\n")
	fields := strings.Fields(first)
	if len(fields) == 0 {
		return "unknown"
	}

	return fields[len(fields)-1]
}

// runWrapped runs a wrapped tool and returns its exit code.
func runWrapped(tool wrap.Tool, args []string) int {
	g := &global{}
	l, err := g.layout()
	if err == nil {
		var program string
		var full, env []string
		program, full, env, err = wrap.Command(tool, l, services.HostTools(), args)
		if err == nil {
			cmd := exec.Command(program, full...)
			cmd.Env = env
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
			err = cmd.Run()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return exit.ExitCode()
			}
		}
	}

	if err != nil {
		fmt.Fprintf(os.Stderr, "%s%s: %s\n", wrap.Prefix, tool.Name, oneLine(err))
		return 1
	}

	return 0
}

// oneLine keeps the first line of an error, since some daemon errors carry a
// multi-line body.
func oneLine(err error) string {
	first, _, _ := strings.Cut(err.Error(), "\n")
	return first
}

// withTimeout returns a context ending after seconds, or ctx when seconds <= 0.
func withTimeout(ctx context.Context, seconds int) (context.Context, context.CancelFunc) {
	if seconds <= 0 {
		return context.WithCancel(ctx)
	}

	return context.WithTimeout(ctx, time.Duration(seconds)*time.Second)
}
