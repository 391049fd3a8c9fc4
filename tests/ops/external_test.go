package ops

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/microovn/microovn/tests/e2e"
	"github.com/microovn/microovn/tests/testbed"
)

// makeSharedCA creates a self-signed ECDSA CA with openssl in a temporary folder and
// returns the paths of its certificate and private key.
func makeSharedCA(t *testing.T) (string, string) {
	t.Helper()

	dir := t.TempDir()
	cert := filepath.Join(dir, "ca.pem")
	key := filepath.Join(dir, "ca.key")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	out, err := exec.CommandContext(ctx, "openssl", "req", "-x509", "-newkey", "ec",
		"-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
		"-days", "30", "-subj", "/CN=MicroOVN ops shared CA",
		"-addext", "basicConstraints=critical,CA:TRUE",
		"-addext", "keyUsage=critical,keyCertSign,cRLSign").CombinedOutput()
	if err != nil {
		t.Fatalf("create the shared CA with openssl: %v\n%s", err, out)
	}

	return cert, key
}

// joinToken returns the token that `microovn init` printed for name, or "".
func joinToken(out, name string) string {
	prefix := "Join token for " + name + ": "
	for _, line := range strings.Split(out, "\n") {
		if token, found := strings.CutPrefix(strings.TrimSpace(line), prefix); found {
			return strings.TrimSpace(token)
		}
	}

	return ""
}

// wantServices fails the test unless status on h shows exactly want for member.
func wantServices(t *testing.T, h *testbed.Host, member string, want []string) {
	t.Helper()

	status, err := runner.ReadStatus(h)
	if err != nil {
		t.Fatal(err)
	}

	if got := memberServices(status, member); !slices.Equal(got, want) {
		t.Errorf("status on %s shows services %v on %s, want %v", h.Name, got, member, want)
	}
}

func TestChassisClusterUsesExternalCentral(t *testing.T) {
	bed := newBed(t, 3)
	h1, h2, h3 := bed.Hosts[0], bed.Hosts[1], bed.Hosts[2]

	// Cluster A is h1 with central only, and cluster B is h2 and h3 without central.
	preseedA := "mode: bootstrap\nname: h1\naddress: " + h1.Addr.String() +
		"\nservices: [central]\n"
	if out, err := runner.MicroOVNInput(h1, strings.NewReader(preseedA), "init",
		"--preseed", "-"); err != nil {
		t.Fatalf("bootstrap cluster A: %v\n%s", err, out)
	}

	preseedB := filepath.Join(t.TempDir(), "cluster-b.yaml")
	content := "mode: bootstrap\nname: h2\naddress: " + h2.Addr.String() +
		"\nservices: [switch, chassis]\nencap_ip: " + h2.EncapAddr.String() +
		"\ntokens: [h3]\n"
	if err := os.WriteFile(preseedB, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	out := runner.MustMicroOVN(t, h2, "init", "--preseed", preseedB)
	token := joinToken(out, h3.Name)
	if token == "" {
		t.Fatalf("init on h2 printed no join token for h3: %q", out)
	}

	runner.SetupUnderlay(t, h2)
	wantServices(t, h1, h1.Name, []string{"central"})
	wantServices(t, h2, h2.Name, []string{"switch", "chassis"})

	// Both clusters take one CA, so that the chassis of B and the databases of A
	// trust each other's certificates.
	caCert, caKey := makeSharedCA(t)
	for _, h := range []*testbed.Host{h1, h2} {
		out := runner.MustMicroOVN(t, h, "certificates", "set-ca", "--cert", caCert, "--key", caKey)
		if !strings.Contains(out, "New CA certificate: issued") {
			t.Errorf("set-ca on %s printed %q, want the new CA reported", h.Name, out)
		}
	}

	t.Run("invalid config", func(t *testing.T) {
		cases := []struct {
			key, value string
			reasons    []string
		}{
			{"ovn.central-ip", h1.Addr.String(),
				[]string{`unknown config key "ovn.central-ip"`, "valid keys are ovn.central-ips"}},
			{"ovn.central-ips", "198.18.0.1,198.18.0.300",
				[]string{`"198.18.0.300" is not an IP address`}},
			{"ovn.central-ips", "central.example",
				[]string{`"central.example" is not an IP address`}},
			{"ovn.central-ips", " , ", []string{"give one or more IP addresses"}},
		}
		for _, c := range cases {
			out, err := runner.MicroOVN(h2, "config", "set", c.key, c.value)
			if err == nil {
				t.Errorf("config set %s %q succeeded: %q", c.key, c.value, out)
				continue
			}

			for _, reason := range c.reasons {
				if !strings.Contains(out, reason) {
					t.Errorf("config set %s %q printed %q, want it to contain %q", c.key,
						c.value, out, reason)
				}
			}
		}

		if out := runner.MustMicroOVN(t, h2, "config", "list"); strings.TrimSpace(out) != "" {
			t.Errorf("config list after rejected values printed %q, want nothing", out)
		}
	})

	// The repeated address and the spaces are normalised away.
	value := h1.Addr.String() + ", " + h1.Addr.String()
	runner.MustMicroOVN(t, h2, "config", "set", "ovn.central-ips", value)
	got := strings.TrimSpace(runner.MustMicroOVN(t, h2, "config", "get", "ovn.central-ips"))
	if got != h1.Addr.String() {
		t.Errorf("config get ovn.central-ips printed %q, want %s", got, h1.Addr)
	}

	// With external centrals set, a member that joins with automatic services gets
	// no central.
	if _, err := runner.TryJoin(h3, token, h3.Name); err != nil {
		t.Fatal(err)
	}

	runner.SetupUnderlay(t, h3)
	wantServices(t, h2, h3.Name, []string{"switch", "chassis"})

	listed := strings.TrimSpace(runner.MustMicroOVN(t, h3, "config", "list"))
	if want := "ovn.central-ips: " + h1.Addr.String(); listed != want {
		t.Errorf("config list on h3 printed %q, want %q", listed, want)
	}

	chassisHosts := []*testbed.Host{h2, h3}
	centrals := []*testbed.Host{h1}
	e2e.Eventually(t, "chassis of cluster B register in the Southbound of A", settleTimeout,
		func(p e2e.Reporter) {
			for _, h := range chassisHosts {
				runner.CheckChassisRemotes(p, h, centrals)

				encap, err := readEncapIP(h1, h.Name)
				if err != nil {
					p.Errorf("read encap of chassis %s on h1: %v", h.Name, err)
				} else if encap != h.EncapAddr.String() {
					p.Errorf("Southbound of A has encap %q for chassis %s, want %s", encap,
						h.Name, h.EncapAddr)
				}
			}
		})

	status, err := runner.ReadStatus(h1)
	if err != nil {
		t.Fatal(err)
	}

	var registered []string
	for _, c := range status.Chassis.Registered {
		registered = append(registered, c.Name)
	}

	slices.Sort(registered)
	if !slices.Equal(registered, e2e.Names(chassisHosts)) {
		t.Errorf("status on h1 shows registered chassis %v, want %v", registered,
			e2e.Names(chassisHosts))
	}

	// ovn-nbctl on h3 reaches the Northbound of A through ovn.env, and northd of A
	// copies the logical switch into the Southbound.
	runner.MustTool(t, h3, "ovn-nbctl", "ls-add", "ops-external")
	e2e.Eventually(t, "logical switch of B reaches the Southbound of A", settleTimeout,
		func(p e2e.Reporter) {
			out, err := runner.Tool(h1, "ovn-sbctl", "--bare", "--columns=external_ids", "list",
				"Datapath_Binding")
			if err != nil {
				p.Errorf("list datapaths on h1: %v", err)
			} else if !strings.Contains(out, "ops-external") {
				p.Errorf("Southbound of A has no datapath for ops-external: %q", out)
			}
		})

	t.Run("delete central addresses", func(t *testing.T) {
		runner.MustMicroOVN(t, h3, "config", "delete", "ovn.central-ips")
		got := strings.TrimSpace(runner.MustMicroOVN(t, h2, "config", "get", "ovn.central-ips"))
		if got != "" {
			t.Errorf("config get after delete printed %q, want nothing", got)
		}

		e2e.Eventually(t, "members of B forget the central of A", settleTimeout, func(p e2e.Reporter) {
			for _, h := range chassisHosts {
				env, err := e2e.ReadEnvFile(h)
				if err != nil {
					p.Errorf("read ovn.env of %s: %v", h.Name, err)
				} else if strings.Contains(env["OVN_SB_CONNECT"], h1.Addr.String()) {
					p.Errorf("ovn.env of %s still has OVN_SB_CONNECT %q", h.Name,
						env["OVN_SB_CONNECT"])
				}

				remote, _ := runner.Tool(h, "ovs-vsctl", "--if-exists", "get", "open_vswitch", ".",
					"external_ids:ovn-remote")
				if strings.Contains(remote, h1.Addr.String()) {
					p.Errorf("ovn-controller of %s still has ovn-remote %q", h.Name,
						strings.TrimSpace(remote))
				}
			}
		})
	})
}
