package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	mctypes "github.com/canonical/microcluster/v3/microcluster/types"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// DefaultPort is the port of microovnd's cluster listener.
const DefaultPort = 6686

// defaultTokenLifetime is how long a join token stays valid without --timeout.
const defaultTokenLifetime = 3 * time.Hour

func newClusterCmd(g *global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Create, grow, list and shrink the MicroOVN cluster",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}

	cmd.AddCommand(newBootstrapCmd(g), newAddCmd(g), newJoinCmd(g), newListCmd(g),
		newRemoveCmd(g), newTokensCmd(g), newRevokeCmd(g))
	return cmd
}

// memberFlags are the options of bootstrap and join.
type memberFlags struct {
	name    string
	address string
	encapIP string
}

func (f *memberFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.name, "name", "", "member name (default: the host name)")
	cmd.Flags().StringVar(&f.address, "address", "",
		"IP address to listen on (default: the address of the interface with the default route)")
	cmd.Flags().StringVar(&f.encapIP, "encap-ip", "",
		"IP address of this chassis's Geneve tunnels (default: --address)")
}

// resolve fills in defaults and checks the values, returning the member name,
// the listen address "ip:port" and the init config.
func (f *memberFlags) resolve() (string, string, map[string]string, error) {
	name := f.name
	if name == "" {
		host, err := os.Hostname()
		if err != nil {
			return "", "", nil, fmt.Errorf("find the host name: %w; give --name", err)
		}

		name = host
	}

	ip := f.address
	if ip == "" {
		found, err := defaultRouteAddress()
		if err != nil {
			return "", "", nil, err
		}

		ip = found
	}

	if err := checkLocalAddress("--address", ip); err != nil {
		return "", "", nil, err
	}

	config := map[string]string{}
	if f.encapIP != "" {
		// The tunnel address need not exist yet: with the userspace datapath it goes
		// on an Open vSwitch bridge, which only exists once the switch runs.
		if net.ParseIP(f.encapIP) == nil {
			return "", "", nil, fmt.Errorf("invalid --encap-ip %q: give an IPv4 or IPv6 address",
				f.encapIP)
		}

		config["encap-ip"] = net.ParseIP(f.encapIP).String()
	}

	addr := net.JoinHostPort(net.ParseIP(ip).String(), strconv.Itoa(DefaultPort))
	return name, addr, config, nil
}

func newBootstrapCmd(g *global) *cobra.Command {
	f := &memberFlags{}
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "Create a new cluster with this node as its first member",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			name, addr, config, err := f.resolve()
			if err != nil {
				return err
			}

			app, err := g.app()
			if err != nil {
				return err
			}

			ctx, cancel := membershipContext(cmd.Context())
			defer cancel()

			return explainInitError(app.NewCluster(ctx, name, addr, config))
		},
	}

	f.register(cmd)
	return cmd
}

func newJoinCmd(g *global) *cobra.Command {
	f := &memberFlags{}
	cmd := &cobra.Command{
		Use:   "join TOKEN",
		Short: "Join an existing cluster with a token from `microovn cluster add`",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, addr, config, err := f.resolve()
			if err != nil {
				return err
			}

			if err := checkToken(args[0]); err != nil {
				return err
			}

			app, err := g.app()
			if err != nil {
				return err
			}

			ctx, cancel := membershipContext(cmd.Context())
			defer cancel()

			err = app.JoinCluster(ctx, name, addr, args[0], config)
			return explainInitError(err)
		},
	}

	f.register(cmd)
	return cmd
}

// membershipTimeout bounds bootstrap, join and remove. Without a deadline the
// microcluster client gives up after 30 s, but a join may wait up to a minute for
// each OVN database to accept the new Raft server. microcluster also undoes a
// failed join fully only while the client still waits for the response.
const membershipTimeout = 10 * time.Minute

// membershipContext returns ctx with the membershipTimeout deadline.
func membershipContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, membershipTimeout)
}

// explainInitError rewords microcluster's errors for an operator.
func explainInitError(err error) error {
	if err == nil {
		return nil
	}

	msg := err.Error()
	switch {
	case strings.Contains(msg, "already initialized") || strings.Contains(msg, "Database is online"):
		return errors.New("this node is already a cluster member: " +
			"remove it with `microovn cluster remove NAME` before bootstrapping or joining again")
	case strings.Contains(msg, "Token expired"):
		return errors.New("the join token has expired: ask a member for a new one " +
			"with `microovn cluster add NAME`")
	case strings.Contains(msg, "does not contain join token name"):
		return errors.New("the join token was issued for another name: join with the " +
			"--name given to `microovn cluster add`, or ask for a token for this name")
	case strings.Contains(msg, "No matching join token") || strings.Contains(msg, "join token not found") ||
		strings.Contains(msg, "CoreTokenRecord not found"):
		// Members delete expired tokens at every heartbeat, so an expired token
		// mostly ends up here rather than as "Token expired".
		return errors.New("the join token is not valid: it has expired, was already used " +
			"or was revoked; ask a member for a new one with `microovn cluster add NAME`")
	}

	return err
}

// checkToken decodes a join token far enough to reject garbage before anything
// changes. Tokens from `cluster add` are base64 JSON naming a secret and the
// addresses of the members to contact.
func checkToken(token string) error {
	info, err := mctypes.DecodeToken(strings.TrimSpace(token))
	if err != nil || info.Secret == "" || len(info.JoinAddresses) == 0 {
		return errors.New("invalid join token: it is truncated or not a token from " +
			"`microovn cluster add`")
	}

	return nil
}

func newAddCmd(g *global) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Print a join token for a new member called NAME",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout <= 0 {
				return fmt.Errorf("invalid --timeout %s: give a positive duration such as 3h", timeout)
			}

			app, err := g.app()
			if err != nil {
				return err
			}

			members, err := app.GetClusterMembers(cmd.Context())
			if err != nil {
				return fmt.Errorf("list cluster members: %w", err)
			}

			for _, m := range members {
				if m.Name == args[0] {
					return fmt.Errorf("%q is already a cluster member: choose another name", args[0])
				}
			}

			token, err := app.NewJoinToken(cmd.Context(), args[0], timeout)
			if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return fmt.Errorf("a join token for %q is already pending: use it, or revoke "+
					"it with microovn cluster revoke %s", args[0], args[0])
			}

			if err != nil {
				return fmt.Errorf("issue a join token for %q: %w", args[0], err)
			}

			fmt.Fprintln(cmd.OutOrStdout(), token)
			return nil
		},
	}

	cmd.Flags().DurationVar(&timeout, "timeout", defaultTokenLifetime, "lifetime of the token")
	return cmd
}

func newRemoveCmd(g *global) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove member NAME from the cluster",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			app, err := g.app()
			if err != nil {
				return err
			}

			members, err := app.GetClusterMembers(cmd.Context())
			if err != nil {
				return fmt.Errorf("list cluster members: %w", err)
			}

			known := false
			for _, m := range members {
				known = known || m.Name == args[0]
			}

			if !known {
				return fmt.Errorf("no cluster member is called %q: see `microovn cluster list`",
					args[0])
			}

			ctx, cancel := membershipContext(cmd.Context())
			defer cancel()

			err = app.RemoveClusterMember(ctx, args[0], force)
			if err != nil && strings.Contains(err.Error(), "no remaining non-pending members") {
				return errors.New("the cluster's newest members are still pending promotion, " +
					"which takes up to one heartbeat (10 s by default): try again shortly")
			}

			if err != nil && !force && unreachable(err) {
				return fmt.Errorf("member %q is unreachable: bring it back and try again, or "+
					"remove it with --force if it is gone for good", args[0])
			}

			return err
		},
	}

	cmd.Flags().BoolVarP(&force, "force", "f", false,
		"remove a member that is gone for good, even if it cannot take part")
	return cmd
}

// memberRow is one line of `cluster list`.
type memberRow struct {
	Name        string `json:"name" yaml:"name"`
	Address     string `json:"address" yaml:"address"`
	Role        string `json:"role" yaml:"role"`
	Fingerprint string `json:"fingerprint" yaml:"fingerprint"`
	Status      string `json:"status" yaml:"status"`
}

func newListCmd(g *global) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the cluster members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json", "yaml", "csv"); err != nil {
				return err
			}

			rows, err := listMembers(cmd.Context(), g)
			if err != nil {
				return err
			}

			return printRows(cmd.OutOrStdout(), format, rows)
		},
	}

	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json, yaml or csv")
	return cmd
}

func listMembers(ctx context.Context, g *global) ([]memberRow, error) {
	app, err := g.app()
	if err != nil {
		return nil, err
	}

	members, err := app.GetClusterMembers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list cluster members: %w", err)
	}

	rows := make([]memberRow, 0, len(members))
	for _, m := range members {
		fp := ""
		if m.Certificate.Certificate != nil {
			fp = fingerprint(m.Certificate.Certificate.Raw)
		}

		rows = append(rows, memberRow{Name: m.Name, Address: m.Address.String(),
			Role: m.Role, Fingerprint: fp, Status: string(m.Status)})
	}

	return rows, nil
}

func printRows(w io.Writer, format string, rows []memberRow) error {
	switch format {
	case "json":
		return json.NewEncoder(w).Encode(rows)
	case "yaml":
		return yaml.NewEncoder(w).Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"name", "address", "role", "fingerprint", "status"})
		for _, r := range rows {
			_ = cw.Write([]string{r.Name, r.Address, r.Role, r.Fingerprint, r.Status})
		}

		cw.Flush()
		return cw.Error()
	}

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tROLE\tFINGERPRINT\tSTATUS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Address, r.Role, r.Fingerprint, r.Status)
	}

	return tw.Flush()
}

func checkFormat(format string, valid ...string) error {
	for _, v := range valid {
		if format == v {
			return nil
		}
	}

	return fmt.Errorf("invalid --format %q: use one of %s", format, strings.Join(valid, ", "))
}

// unreachable reports whether err is a failed connection to a member.
func unreachable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "Unable to connect") || strings.Contains(msg, "no route to host") ||
		strings.Contains(msg, "i/o timeout")
}

func newTokensCmd(g *global) *cobra.Command {
	return &cobra.Command{
		Use:   "tokens",
		Short: "List the join tokens not used yet, with their names and expiry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			app, err := g.app()
			if err != nil {
				return err
			}

			records, err := app.ListJoinTokens(cmd.Context())
			if err != nil {
				return fmt.Errorf("list join tokens: %w", err)
			}

			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tEXPIRES")
			for _, r := range records {
				fmt.Fprintf(tw, "%s\t%s\n", r.Name, r.ExpiresAt.UTC().Format(time.RFC3339))
			}

			return tw.Flush()
		},
	}
}

func newRevokeCmd(g *global) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke the join token issued for NAME",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			app, err := g.app()
			if err != nil {
				return err
			}

			err = app.RevokeJoinToken(cmd.Context(), args[0])
			if err != nil && strings.Contains(err.Error(), "not found") {
				return fmt.Errorf("no join token is pending for %q: see microovn cluster tokens",
					args[0])
			}

			return err
		},
	}
}
