package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// Preseed is the set of replies to `microovn init`, given at the prompts or as YAML.
type Preseed struct {
	Mode     string   `yaml:"mode"`     // bootstrap or join
	Name     string   `yaml:"name"`     // default: the host name
	Address  string   `yaml:"address"`  // default: the address of the default route
	Services []string `yaml:"services"` // default: chosen by the cluster
	EncapIP  string   `yaml:"encap_ip"` // default: the address
	Token    string   `yaml:"token"`    // join only
	Tokens   []string `yaml:"tokens"`   // bootstrap only: names to print join tokens for
}

// validate checks every reply, so that nothing changes before all of them pass.
func (p *Preseed) validate() error {
	if p.Mode != "bootstrap" && p.Mode != "join" {
		return fmt.Errorf("invalid mode %q: use bootstrap or join", p.Mode)
	}

	if p.Mode == "join" && p.Token == "" {
		return errors.New("missing token: joining needs a token from `microovn cluster add`")
	}

	if p.Mode == "bootstrap" && p.Token != "" {
		return errors.New("token given with mode bootstrap: tokens are for joining")
	}

	if p.Mode == "join" && len(p.Tokens) > 0 {
		return errors.New("tokens given with mode join: only a new cluster issues tokens here")
	}

	if p.Token != "" {
		if err := checkToken(p.Token); err != nil {
			return err
		}
	}

	if err := checkTokenNames(p.Tokens); err != nil {
		return err
	}

	return checkServices(p.Services)
}

// checkTokenNames checks the names to print join tokens for, so that a bad name is
// found before the node bootstraps rather than after.
func checkTokenNames(names []string) error {
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			return fmt.Errorf("invalid tokens: %q is listed twice", name)
		}

		seen[name] = true
		if err := checkMemberName(name); err != nil {
			return fmt.Errorf("invalid tokens: %w", err)
		}
	}

	return nil
}

// checkMemberName accepts the names microcluster accepts for members: host names
// of letters, digits, hyphens and dots.
func checkMemberName(name string) error {
	if name == "" || len(name) > 253 {
		return fmt.Errorf("invalid member name %q: use 1 to 253 characters", name)
	}

	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") ||
			strings.HasSuffix(label, "-") {
			return fmt.Errorf("invalid member name %q: use a host name such as node-1", name)
		}

		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("invalid member name %q: use letters, digits, hyphens "+
					"and dots only", name)
			}
		}
	}

	return nil
}

func checkServices(list []string) error {
	for _, s := range list {
		if !slices.Contains(serviceNames, s) {
			return fmt.Errorf("invalid service %q: choose from %s", s, strings.Join(serviceNames, ", "))
		}
	}

	if slices.Contains(list, "chassis") && !slices.Contains(list, "switch") {
		return errors.New("invalid services: chassis needs switch")
	}

	return nil
}

func newInitCmd(g *global) *cobra.Command {
	var preseed string
	cmd := &cobra.Command{
		Use:   "init [--preseed FILE|-]",
		Short: "Set up this node by answering a few questions, or from a YAML file",
		Long: "Create a new cluster or join one, asking for each setting with a default.\n" +
			"With --preseed, the answers come from a YAML file (- for standard input) with the\n" +
			"keys mode (bootstrap or join), name, address, services, encap_ip, token (join)\n" +
			"and tokens (bootstrap: names to print join tokens for).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var p *Preseed
			var err error
			if preseed != "" {
				p, err = readPreseed(cmd.InOrStdin(), preseed)
			} else {
				p, err = askPreseed(bufio.NewReader(cmd.InOrStdin()), cmd.OutOrStdout())
			}

			if err != nil {
				return err
			}

			return runInit(cmd, g, p)
		},
	}

	cmd.Flags().StringVar(&preseed, "preseed", "", "YAML file with the answers, - for standard input")
	return cmd
}

func readPreseed(stdin io.Reader, file string) (*Preseed, error) {
	var r io.Reader = stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("read the preseed file: %w", err)
		}
		defer f.Close()

		r = f
	}

	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	p := &Preseed{}
	if err := dec.Decode(p); err != nil {
		// A yaml.TypeError lists one problem per line, but main prints only the
		// first line of an error, so the problems are joined into one line.
		var typeErr *yaml.TypeError
		if errors.As(err, &typeErr) {
			msg := strings.Join(typeErr.Errors, "; ")
			// "field x not found in type main.Preseed" names Go's type, not the file's.
			msg = strings.ReplaceAll(msg, " not found in type main.Preseed", " is not a known key")
			return nil, fmt.Errorf("invalid preseed: %s (valid keys: mode, name, address, "+
				"services, encap_ip, token, tokens)", msg)
		}

		if errors.Is(err, io.EOF) {
			return nil, errors.New("invalid preseed: the file is empty")
		}

		return nil, fmt.Errorf("invalid preseed: %w", err)
	}

	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("invalid preseed: %w", err)
	}

	return p, nil
}

// runInit bootstraps or joins with the replies, then prints the requested tokens.
func runInit(cmd *cobra.Command, g *global, p *Preseed) error {
	flags := memberFlags{name: p.Name, address: p.Address, encapIP: p.EncapIP}
	name, addr, config, err := flags.resolve()
	if err != nil {
		return err
	}

	if len(p.Services) > 0 {
		config["services"] = strings.Join(p.Services, ",")
	}

	app, err := g.app()
	if err != nil {
		return err
	}

	ctx, cancel := membershipContext(cmd.Context())
	defer cancel()

	if p.Mode == "join" {
		return explainInitError(app.JoinCluster(ctx, name, addr, p.Token, config))
	}

	if err := explainInitError(app.NewCluster(ctx, name, addr, config)); err != nil {
		return err
	}

	for _, joiner := range p.Tokens {
		token, err := app.NewJoinToken(cmd.Context(), joiner, defaultTokenLifetime)
		if err != nil {
			return fmt.Errorf("issue a join token for %q: %w", joiner, err)
		}

		fmt.Fprintf(cmd.OutOrStdout(), "Join token for %s: %s\n", joiner, token)
	}

	return nil
}

// question is one interactive prompt with its default and check.
type question struct {
	prompt string
	def    string
	check  func(string) error
}

// ask prints q and reads answers until one passes the check. An empty answer
// takes the default.
func ask(in *bufio.Reader, out io.Writer, q question) (string, error) {
	for range 20 {
		if q.def != "" {
			fmt.Fprintf(out, "%s [%s]: ", q.prompt, q.def)
		} else {
			fmt.Fprintf(out, "%s: ", q.prompt)
		}

		line, err := in.ReadString('\n')
		answer := strings.TrimSpace(line)
		if err != nil && answer == "" {
			return "", fmt.Errorf("missing reply to %q: %w", q.prompt, err)
		}

		if answer == "" {
			answer = q.def
		}

		if q.check == nil {
			return answer, nil
		}

		if cerr := q.check(answer); cerr != nil {
			fmt.Fprintf(out, "%s. Please try again.\n", cerr)
			continue
		}

		return answer, nil
	}

	return "", fmt.Errorf("too many invalid replies to %q", q.prompt)
}

func askPreseed(in *bufio.Reader, out io.Writer) (*Preseed, error) {
	p := &Preseed{}
	host, _ := os.Hostname()
	addr, _ := defaultRouteAddress()
	steps := []struct {
		q   question
		set func(string)
		on  string // only for this mode, "" for both
	}{
		{question{"Create a new cluster or join an existing one? (bootstrap/join)", "bootstrap",
			oneOf("bootstrap", "join")}, func(v string) { p.Mode = v }, ""},
		{question{"Name of this member", host, nonEmpty}, func(v string) { p.Name = v }, ""},
		{question{"Address for the cluster and the OVN databases", addr,
			func(v string) error { return checkLocalAddress("address", v) }},
			func(v string) { p.Address = v }, ""},
		{question{"Services for this member (comma-separated from central, chassis, switch, " +
			"or auto)", "auto", checkServiceAnswer}, func(v string) { p.Services = servicesOf(v) }, ""},
		{question{"Custom Geneve encapsulation IP (empty: the address above)", "", optionalIP},
			func(v string) { p.EncapIP = v }, ""},
		{question{"Join token", "", checkToken}, func(v string) { p.Token = v }, "join"},
		{question{"Names to print join tokens for (comma-separated, empty for none)", "", nil},
			func(v string) { p.Tokens = splitComma(v) }, "bootstrap"},
	}
	for _, s := range steps {
		if s.on != "" && s.on != p.Mode {
			continue
		}

		answer, err := ask(in, out, s.q)
		if err != nil {
			return nil, err
		}

		s.set(answer)
	}

	return p, p.validate()
}

func oneOf(valid ...string) func(string) error {
	return func(v string) error {
		if slices.Contains(valid, v) {
			return nil
		}

		return fmt.Errorf("%q is not one of %s", v, strings.Join(valid, ", "))
	}
}

func nonEmpty(v string) error {
	if v == "" {
		return errors.New("a reply is required")
	}

	return nil
}

func optionalIP(v string) error {
	if v != "" && net.ParseIP(v) == nil {
		return fmt.Errorf("%q is not an IP address", v)
	}

	return nil
}

func checkServiceAnswer(v string) error {
	if v == "auto" {
		return nil
	}

	return checkServices(servicesOf(v))
}

func servicesOf(v string) []string {
	if v == "auto" {
		return nil
	}

	return splitComma(v)
}

func splitComma(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}

	return out
}
