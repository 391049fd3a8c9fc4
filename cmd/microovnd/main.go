// Command microovnd is the MicroOVN daemon: a microcluster member that runs this
// node's OVN and Open vSwitch processes.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/canonical/microcluster/v3/microcluster"
	"github.com/spf13/cobra"

	"github.com/microovn/microovn/microovn/daemon"
	"github.com/microovn/microovn/microovn/database"
	"github.com/microovn/microovn/microovn/node"
	"github.com/microovn/microovn/microovn/ovn"
	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/pki"
	"github.com/microovn/microovn/microovn/securitylog"
	"github.com/microovn/microovn/microovn/services"
	"github.com/microovn/microovn/microovn/version"
)

type options struct {
	stateDir          string
	debug             bool
	verbose           bool
	heartbeatInterval time.Duration
	caLifetime        time.Duration
	certLifetime      time.Duration
	renewWindow       time.Duration
	noSecurityLog     bool
}

func main() {
	opts := &options{}
	cmd := &cobra.Command{
		Use:     "microovnd",
		Short:   "MicroOVN daemon: clustering and service control for OVN",
		Version: version.Version,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return run(cmd.Context(), opts) },
		// Errors are printed once by main.
		SilenceUsage:  true,
		SilenceErrors: true,
	}

	flags := cmd.Flags()
	cmd.PersistentFlags().StringVar(&opts.stateDir, "state-dir", "",
		"state directory; the node's files live beside it (default $"+paths.StateDirEnv+
			", $SNAP_COMMON/state in a snap, or "+paths.DefaultStateDir+")")
	flags.BoolVarP(&opts.debug, "debug", "d", false, "log debug messages")
	flags.BoolVarP(&opts.verbose, "verbose", "v", false, "log informational messages (default)")
	flags.BoolVar(&opts.noSecurityLog, "disable-security-logging", false,
		"leave out the security events (membership, service, config, CA and certificate changes)")
	flags.DurationVar(&opts.heartbeatInterval, "heartbeat-interval", 0,
		"interval between cluster heartbeats (default 10s)")
	flags.DurationVar(&opts.caLifetime, "test-ca-lifetime", pki.DefaultCALifetime,
		"FOR TESTS ONLY: lifetime of a CA this member creates")
	flags.DurationVar(&opts.certLifetime, "test-cert-lifetime", pki.DefaultCertLifetime,
		"FOR TESTS ONLY: lifetime of the service certificates this member issues")
	flags.DurationVar(&opts.renewWindow, "test-renew-window", pki.DefaultRenewWindow,
		"FOR TESTS ONLY: how long before expiry certificates are renewed")
	for _, name := range []string{"test-ca-lifetime", "test-cert-lifetime", "test-renew-window"} {
		_ = flags.MarkHidden(name)
	}

	cmd.AddCommand(newExecServiceCmd(opts))
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opts *options) error {
	level := slog.LevelInfo
	if opts.debug {
		level = slog.LevelDebug
	}

	handler := securitylog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}),
		opts.noSecurityLog)
	logger := slog.New(handler)

	stateDir := paths.StateDir(opts.stateDir)
	layout, err := paths.FromStateDir(stateDir)
	if err != nil {
		return fmt.Errorf("resolve the state directory %q: %w", stateDir, err)
	}

	if err := os.MkdirAll(layout.State(), 0o700); err != nil {
		return fmt.Errorf("create the state directory: %w", err)
	}

	tools := services.HostTools()
	manager := &node.Manager{Layout: layout, Tools: tools, Runner: services.NewRunner(tools),
		Datapath: ovn.DetectDatapath(), Log: logger, CertLifetime: opts.certLifetime,
		RenewWindow: opts.renewWindow}
	d := daemon.New(layout, manager, logger)
	d.CALifetime = opts.caLifetime
	d.SetShutdown(func() { _ = syscall.Kill(os.Getpid(), syscall.SIGTERM) })

	app, err := microcluster.App(microcluster.Args{StateDir: layout.State(), LogHandler: handler})
	if err != nil {
		return fmt.Errorf("set up the cluster state: %w", err)
	}

	if ctx == nil {
		ctx = context.Background()
	}

	err = app.Start(ctx, microcluster.DaemonArgs{
		Version:           version.Version,
		HeartbeatInterval: opts.heartbeatInterval,
		ExtensionsSchema:  database.SchemaExtensions,
		Hooks:             d.Hooks(),
		ExtensionServers:  d.Servers(),
	})
	logger.Info("Daemon stopped", "security", true)
	return err
}
