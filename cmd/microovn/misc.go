package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func newWaitReadyCmd(g *global) *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "waitready",
		Short: "Wait until microovnd is ready to take commands",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := withTimeout(cmd.Context(), timeout)
			defer cancel()

			// The daemon may be starting: wait for its socket first.
			var app interface {
				Ready(ctx context.Context) error
			}
			for {
				a, err := g.app()
				if err == nil {
					app = a
					break
				}

				select {
				case <-ctx.Done():
					return fmt.Errorf("microovnd not ready after %d seconds: %w", timeout, err)
				case <-time.After(200 * time.Millisecond):
				}
			}

			if err := app.Ready(ctx); err != nil {
				return fmt.Errorf("microovnd not ready: %w", err)
			}

			return nil
		},
	}

	cmd.Flags().IntVarP(&timeout, "timeout", "t", 0, "seconds to wait; 0 waits forever")
	return cmd
}

func newShutdownCmd(g *global) *cobra.Command {
	return &cobra.Command{
		Use:   "shutdown",
		Short: "Stop this node's OVN processes and microovnd, keeping all data",
		Long: "Stop every OVN and Open vSwitch process of this node, then microovnd itself.\n" +
			"The node stays a cluster member: starting microovnd again brings its services back.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.query(cmd.Context(), http.MethodPost, "shutdown", nil, nil)
		},
	}
}
