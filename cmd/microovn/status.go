package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/microovn/microovn/microovn/api/types"
)

func newStatusCmd(g *global) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the members, the OVN databases, northd and the chassis",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json", "yaml"); err != nil {
				return err
			}

			var st types.Status
			if err := g.query(cmd.Context(), http.MethodGet, "status", nil, &st); err != nil {
				return fmt.Errorf("read the deployment status: %w", err)
			}

			out := cmd.OutOrStdout()
			switch format {
			case "json":
				return json.NewEncoder(out).Encode(st)
			case "yaml":
				return yaml.NewEncoder(out).Encode(st)
			}

			printStatus(out, st)
			return nil
		},
	}

	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text, json or yaml")
	return cmd
}

func printStatus(w io.Writer, st types.Status) {
	fmt.Fprintln(w, "MicroOVN deployment summary:")
	for _, m := range st.Members {
		fmt.Fprintf(w, "- %s (%s) %s\n", m.Name, m.Address, m.Status)
		fmt.Fprintf(w, "  Services: %s\n", strings.Join(m.Services, ", "))
	}

	fmt.Fprintln(w, "OVN Database summary:")
	for _, db := range st.Databases {
		printDatabase(w, db)
	}

	fmt.Fprintln(w, "OVN Northd summary:")
	for _, n := range st.Northd {
		fmt.Fprintf(w, "- %s: %s\n", n.Member, n.State)
	}

	fmt.Fprintln(w, "OVN Chassis summary:")
	if st.Chassis.Error != "" {
		fmt.Fprintf(w, "- Southbound unreachable: %s\n", st.Chassis.Error)
	}

	for _, c := range st.Chassis.Registered {
		fmt.Fprintf(w, "- %s: encap %s\n", c.Name, c.EncapIP)
	}

	for _, name := range st.Chassis.Missing {
		fmt.Fprintf(w, "- %s: MISSING from the Southbound\n", name)
	}

	for _, warning := range st.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", warning)
	}
}

var databaseTitles = map[string]string{
	"OVN_Northbound": "OVN Northbound",
	"OVN_Southbound": "OVN Southbound",
}

func printDatabase(w io.Writer, db types.DatabaseStatus) {
	title := databaseTitles[db.Name]
	if !db.Reachable {
		fmt.Fprintf(w, "%s: UNREACHABLE (%s)\n", title, db.Error)
		return
	}

	leader := db.Leader
	if leader == "" {
		leader = "none"
	}

	health := "OK"
	if db.Leader == "" {
		health = "NO LEADER"
	}

	fmt.Fprintf(w, "%s: %s (schema %s, leader %s)\n", title, health, db.Schema, leader)
	for _, srv := range db.Servers {
		member := srv.Member
		if member == "" {
			member = "(no member)"
		}

		fmt.Fprintf(w, "  - %s %s: %s\n", member, srv.Address, srv.Role)
	}
}
