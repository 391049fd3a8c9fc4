package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/microovn/microovn/microovn/node"
	"github.com/microovn/microovn/microovn/ovn"
	"github.com/microovn/microovn/microovn/paths"
	"github.com/microovn/microovn/microovn/services"
)

// newExecServiceCmd returns the command a snap's service app runs: it replaces
// itself with one OVN process, in the foreground, with the same command line the
// daemon uses when it starts processes itself.
func newExecServiceCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:    "exec-service PROCESS",
		Short:  "Run one OVN process of this node in the foreground (for service managers)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, ok := services.Lookup(args[0])
			if !ok {
				return fmt.Errorf("unknown process %q", args[0])
			}

			layout, err := paths.FromStateDir(paths.StateDir(opts.stateDir))
			if err != nil {
				return err
			}

			local, err := node.LoadLocal(layout)
			if err != nil {
				return err
			}

			if local.Last.Member == "" {
				return fmt.Errorf("%s has no recorded settings yet: microovnd starts it", p.Name)
			}

			tools := services.HostTools()
			program, err := tools.Path(p.Program)
			if err != nil {
				return err
			}

			cfg := local.Last.Config(layout, ovn.DetectDatapath())
			argv := append([]string{program}, p.Args(cfg)...)
			env := append(os.Environ(), services.EnvFor(layout, p)...)
			return syscall.Exec(program, argv, env)
		},
	}
}
