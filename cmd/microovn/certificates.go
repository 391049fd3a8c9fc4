package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/microovn/microovn/microovn/api/types"
)

func newCertificatesCmd(g *global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "certificates",
		Short: "Inspect and manage this node's TLS certificates",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}

	cmd.AddCommand(newCertificatesListCmd(g), newReissueCmd(g), newRegenerateCACmd(g),
		newSetCACmd(g))
	return cmd
}

func newCertificatesListCmd(g *global) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the CA and this node's certificates with their health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}

			var reports []types.CertificateReport
			err := g.query(cmd.Context(), http.MethodGet, "certificates", nil, &reports)
			if err != nil {
				return fmt.Errorf("read the certificates: %w", err)
			}

			if format == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(reports)
			}

			printCertificates(cmd.OutOrStdout(), reports)
			return nil
		},
	}

	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json")
	return cmd
}

func fileState(present bool) string {
	if present {
		return "(OK: Present)"
	}

	return "(Error: Missing file)"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}

	return "NO"
}

func printCertificates(w io.Writer, reports []types.CertificateReport) {
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}

		fmt.Fprintf(w, "[%s]\n", r.Title)
		fmt.Fprintf(w, "Certificate: %s %s\n", r.Path, fileState(r.Present))
		if r.KeyPath != "" {
			fmt.Fprintf(w, "Private key: %s %s\n", r.KeyPath, fileState(r.KeyPresent))
		}

		if r.NotAfter != "" {
			fmt.Fprintf(w, "Expires: %s\n", r.NotAfter)
		}

		if r.Present && r.Name != "ca" {
			fmt.Fprintf(w, "Signed by the cluster CA: %s\n", yesNo(r.SignedByCA))
			fmt.Fprintf(w, "Key matches: %s\n", yesNo(r.KeyMatches && r.KeyPresent))
		}

		if r.Problem != "" {
			fmt.Fprintf(w, "Status: %s: %s\n", r.Status, r.Problem)
		} else {
			fmt.Fprintf(w, "Status: %s\n", r.Status)
		}
	}
}
