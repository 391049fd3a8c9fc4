package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/microovn/microovn/microovn/api/types"
)

// serviceNames are the services operators enable and disable.
var serviceNames = []string{"central", "chassis", "switch"}

func newEnableCmd(g *global) *cobra.Command {
	var member string
	cmd := &cobra.Command{
		Use:       "enable " + strings.Join(serviceNames, "|"),
		Short:     "Run a service on this member or on --node",
		Args:      serviceArgs,
		ValidArgs: serviceNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return changeService(cmd, g, http.MethodPut, args[0], member, nil)
		},
	}

	cmd.Flags().StringVar(&member, "node", "", "member to change (default: this one)")
	return cmd
}

func newDisableCmd(g *global) *cobra.Command {
	var member string
	var allowLast bool
	cmd := &cobra.Command{
		Use:   "disable " + strings.Join(serviceNames, "|"),
		Short: "Stop running a service on this member or on --node",
		Long: "Stop running a service on a member. Disabling central makes the member leave\n" +
			"the Northbound and Southbound Raft clusters first. Disabling the last central\n" +
			"member deletes both databases and every logical network in them, so it is\n" +
			"refused unless --allow-disable-last-central is given.",
		Args:      serviceArgs,
		ValidArgs: serviceNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &types.ServiceRequest{AllowDisableLastCentral: allowLast}
			return changeService(cmd, g, http.MethodDelete, args[0], member, req)
		},
	}

	cmd.Flags().StringVar(&member, "node", "", "member to change (default: this one)")
	cmd.Flags().BoolVar(&allowLast, "allow-disable-last-central", false,
		"allow disabling central on the last member that runs it, deleting the databases")
	return cmd
}

func serviceArgs(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("give one service: %s", strings.Join(serviceNames, ", "))
	}

	return nil
}

func changeService(cmd *cobra.Command, g *global, method, service, member string,
	req *types.ServiceRequest) error {
	path := "services/" + service
	var result types.ServiceResult
	var body any
	if req != nil {
		body = req
	}

	err := g.queryOn(cmd.Context(), member, method, path, body, &result)
	if err != nil && member != "" && strings.Contains(err.Error(), "CoreClusterMember not found") {
		return fmt.Errorf("no cluster member is called %q: see microovn cluster list", member)
	}

	if err != nil && member != "" && unreachable(err) {
		return fmt.Errorf("member %q is unreachable: its services change only while it runs; "+
			"bring it back and try again", member)
	}

	if err != nil {
		return err
	}

	out := cmd.OutOrStdout()
	fmt.Fprintln(out, result.Message)
	for _, w := range result.Warnings {
		fmt.Fprintf(out, "Warning: %s\n", w)
	}

	return nil
}

func newConfigCmd(g *global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Read and change cluster-wide settings (key: ovn.central-ips)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}

	cmd.AddCommand(
		&cobra.Command{Use: "set KEY VALUE", Short: "Set a key", Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				entry := types.ConfigEntry{Key: args[0], Value: args[1]}
				var results []types.ReissueResult
				err := g.query(cmd.Context(), http.MethodPut, configPath(args[0]), entry, &results)
				if err != nil {
					return err
				}

				return reportRefresh(cmd, results)
			}},
		&cobra.Command{Use: "get KEY", Short: "Print a key's value if it is set",
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var entry types.ConfigEntry
				err := g.query(cmd.Context(), http.MethodGet, configPath(args[0]), nil, &entry)
				if err != nil {
					return err
				}

				if entry.Value != "" {
					fmt.Fprintln(cmd.OutOrStdout(), entry.Value)
				}

				return nil
			}},
		&cobra.Command{Use: "delete KEY", Short: "Delete a key", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var results []types.ReissueResult
				err := g.query(cmd.Context(), http.MethodDelete, configPath(args[0]), nil, &results)
				if err != nil {
					return err
				}

				return reportRefresh(cmd, results)
			}},
		&cobra.Command{Use: "list", Short: "List the keys that are set", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				var entries []types.ConfigEntry
				if err := g.query(cmd.Context(), http.MethodGet, "config", nil, &entries); err != nil {
					return err
				}

				for _, e := range entries {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", e.Key, e.Value)
				}

				return nil
			}},
	)
	return cmd
}

func configPath(key string) string { return "config/" + key }

// reportRefresh prints the members that did not apply a cluster-wide change and
// fails when there is one.
func reportRefresh(cmd *cobra.Command, results []types.ReissueResult) error {
	failed := 0
	for _, r := range results {
		for what, problem := range r.Failed {
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s failed: %s\n", r.Member, what, problem)
			failed++
		}
	}

	if failed > 0 {
		return fmt.Errorf("the change is stored, but %d member(s) did not apply it yet; "+
			"they apply it once they are back and healthy", failed)
	}

	return nil
}
