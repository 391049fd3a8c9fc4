package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/microovn/microovn/microovn/api/types"
)

// certificateNames are the valid arguments of `certificates reissue`.
var certificateNames = []string{"client", "ovnnb", "ovnsb", "ovn-northd", "ovn-controller", "all"}

func newReissueCmd(g *global) *cobra.Command {
	return &cobra.Command{
		Use:   "reissue " + strings.Join(certificateNames, "|"),
		Short: "Issue a new certificate for one service of this node, or for all of them",
		Long: "Issue a new certificate, signed by the cluster's CA, for one service of this\n" +
			"node (" + strings.Join(certificateNames[:5], ", ") + ") or for all of them, and\n" +
			"restart the processes that present it. Other members are not affected.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				_ = cmd.Usage()
				return fmt.Errorf("give one certificate name: %s", strings.Join(certificateNames, ", "))
			}

			return nil
		},
		ValidArgs: certificateNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			var result types.ReissueResult
			err := g.query(cmd.Context(), http.MethodPut, "certificates/"+args[0], nil, &result)
			if err != nil {
				return fmt.Errorf("reissue %s: %w", args[0], err)
			}

			printReissue(cmd.OutOrStdout(), "", result)
			if len(result.Failed) > 0 {
				return errors.New("some certificates were not reissued")
			}

			return nil
		},
	}
}

func printReissue(w io.Writer, indent string, r types.ReissueResult) {
	for _, name := range r.Issued {
		fmt.Fprintf(w, "%s%s: issued\n", indent, name)
	}

	failed := make([]string, 0, len(r.Failed))
	for name := range r.Failed {
		failed = append(failed, name)
	}

	sort.Strings(failed)
	for _, name := range failed {
		fmt.Fprintf(w, "%s%s: FAILED: %s\n", indent, name, r.Failed[name])
	}
}

func printCAResult(w io.Writer, r types.CAResult) error {
	fmt.Fprintln(w, "New CA certificate: issued")
	var failed bool
	for _, m := range r.Members {
		fmt.Fprintf(w, "[%s]\n", m.Member)
		if len(m.Issued) == 0 && len(m.Failed) == 0 {
			fmt.Fprintln(w, "  nothing to reissue")
		}

		printReissue(w, "  ", m)
		failed = failed || len(m.Failed) > 0
	}

	if failed {
		return errors.New("some members did not reissue their certificates")
	}

	return nil
}

func newRegenerateCACmd(g *global) *cobra.Command {
	return &cobra.Command{
		Use:   "regenerate-ca",
		Short: "Replace the cluster's CA with a new self-made one and reissue everywhere",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var result types.CAResult
			if err := g.query(cmd.Context(), http.MethodPost, "ca", nil, &result); err != nil {
				return fmt.Errorf("regenerate the CA: %w", err)
			}

			return printCAResult(cmd.OutOrStdout(), result)
		},
	}
}

func newSetCACmd(g *global) *cobra.Command {
	var certFile, keyFile string
	var combined bool
	cmd := &cobra.Command{
		Use:   "set-ca (--cert FILE --key FILE | --combined)",
		Short: "Install your own CA for the cluster and reissue everywhere",
		Long: "Install a CA certificate and its private key (RSA, ECDSA or Ed25519) as the\n" +
			"cluster's CA; every member then reissues its certificates. With --combined, one\n" +
			"PEM stream holding both is read from standard input. A CA installed this way\n" +
			"is never replaced automatically.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := readCA(cmd.InOrStdin(), certFile, keyFile, combined)
			if err != nil {
				return err
			}

			var result types.CAResult
			if err := g.query(cmd.Context(), http.MethodPut, "ca", req, &result); err != nil {
				return fmt.Errorf("set the CA: %w", err)
			}

			return printCAResult(cmd.OutOrStdout(), result)
		},
	}

	cmd.Flags().StringVar(&certFile, "cert", "", "PEM file of the CA certificate")
	cmd.Flags().StringVar(&keyFile, "key", "", "PEM file of the CA private key")
	cmd.Flags().BoolVar(&combined, "combined", false,
		"read the certificate and key as one PEM stream from standard input")
	return cmd
}

func readCA(stdin io.Reader, certFile, keyFile string, combined bool) (types.SetCARequest, error) {
	var req types.SetCARequest
	switch {
	case combined && (certFile != "" || keyFile != ""):
		return req, errors.New("give either --combined or --cert and --key, not both")
	case combined:
		data, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return req, fmt.Errorf("read standard input: %w", err)
		}

		// The daemon splits and checks the PEM blocks.
		req.Certificate, req.PrivateKey = string(data), string(data)
		return req, nil
	case certFile == "" || keyFile == "":
		return req, errors.New("give --cert FILE and --key FILE, or --combined with the PEM " +
			"on standard input")
	}

	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return req, fmt.Errorf("read --cert: %w", err)
	}

	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return req, fmt.Errorf("read --key: %w", err)
	}

	req.Certificate, req.PrivateKey = string(certPEM), string(keyPEM)
	return req, nil
}
