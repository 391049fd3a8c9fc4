package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/microovn/microovn/microovn/api/types"
)

func sampleStatus() types.Status {
	central := []string{"switch", "central", "chassis"}
	return types.Status{
		Members: []types.MemberStatus{
			{Name: "node1", Address: "198.18.0.1", Role: "voter", Status: "ONLINE",
				Services: central},
			{Name: "node2", Address: "198.18.0.2", Role: "voter", Status: "ONLINE",
				Services: central},
			{Name: "node3", Address: "fd00::3", Role: "voter", Status: "OFFLINE",
				Services: central},
		},
		Databases: []types.DatabaseStatus{
			{Name: "OVN_Northbound", Reachable: true, Leader: "node1", Schema: "7.0.0",
				Servers: []types.RaftMember{
					{Member: "node1", Address: "ssl:198.18.0.1:6643", Role: "leader"},
					{Member: "node2", Address: "ssl:198.18.0.2:6643", Role: "follower"},
					{Member: "node3", Address: "ssl:[fd00::3]:6643", Role: "unreachable"},
					{Address: "ssl:198.18.0.9:6643", Role: "follower"},
				}},
			{Name: "OVN_Southbound", Reachable: true, Schema: "20.27.0"},
		},
		Northd: []types.NorthdStatus{
			{Member: "node1", State: "active"},
			{Member: "node3", State: "unreachable"},
		},
		Chassis: types.ChassisStatus{
			Registered: []types.Chassis{{Name: "node1", EncapIP: "198.18.0.1"},
				{Name: "node2", EncapIP: "198.18.1.2"}},
			Missing: []string{"node3"},
		},
		Warnings: []string{"the ovnnb certificate of node2 expires in 5 days"},
	}
}

func TestPrintStatusSample(t *testing.T) {
	var buf bytes.Buffer
	printStatus(&buf, sampleStatus())
	out := buf.String()

	for _, want := range []string{
		"- node1 (198.18.0.1) ONLINE\n",
		"- node3 (fd00::3) OFFLINE\n",
		"  Services: switch, central, chassis\n",
		"OVN Northbound: OK (schema 7.0.0, leader node1)\n",
		"  - node3 ssl:[fd00::3]:6643: unreachable\n",
		"  - (no member) ssl:198.18.0.9:6643: follower\n",
		"OVN Southbound: NO LEADER (schema 20.27.0, leader none)\n",
		"- node1: active\n",
		"- node3: unreachable\n",
		"- node2: encap 198.18.1.2\n",
		"- node3: MISSING from the Southbound\n",
		"Warning: the ovnnb certificate of node2 expires in 5 days\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("printStatus output lacks %q:\n%s", want, out)
		}
	}

	if strings.Contains(out, "Southbound unreachable") {
		t.Errorf("printStatus reports the Southbound unreachable without a chassis error:\n%s",
			out)
	}
}

func TestPrintStatusUnreachable(t *testing.T) {
	st := types.Status{
		Databases: []types.DatabaseStatus{
			{Name: "OVN_Northbound", Error: "no central member answered"},
		},
		Chassis: types.ChassisStatus{Error: "no Southbound to ask"},
	}
	var buf bytes.Buffer
	printStatus(&buf, st)
	out := buf.String()

	if !strings.Contains(out, "OVN Northbound: UNREACHABLE (no central member answered)\n") {
		t.Errorf("printStatus output lacks the unreachable Northbound:\n%s", out)
	}

	if !strings.Contains(out, "- Southbound unreachable: no Southbound to ask\n") {
		t.Errorf("printStatus output lacks the chassis error:\n%s", out)
	}

	if strings.Contains(out, "Warning:") {
		t.Errorf("printStatus prints a warning without any:\n%s", out)
	}
}

func TestPrintCertificatesFileStates(t *testing.T) {
	reports := []types.CertificateReport{
		{Name: "ca", Title: "CA", Path: "/r/data/pki/cacert.pem", Present: true,
			NotAfter: "2034-01-02T03:04:05Z", Status: "OK"},
		{Name: "ovnnb", Title: "OVN Northbound", Path: "/r/data/pki/ovnnb-cert.pem",
			KeyPath: "/r/data/pki/ovnnb-privkey.pem", Present: true, KeyPresent: false,
			SignedByCA: true, KeyMatches: true, Status: "ERROR", Problem: "private key missing"},
		{Name: "client", Title: "Client", Path: "/r/data/pki/client-cert.pem",
			KeyPath: "/r/data/pki/client-privkey.pem", Present: false, KeyPresent: true,
			Status: "ERROR", Problem: "certificate missing"},
	}
	var buf bytes.Buffer
	printCertificates(&buf, reports)
	out := buf.String()

	for _, want := range []string{
		"[CA]\nCertificate: /r/data/pki/cacert.pem (OK: Present)\nExpires: 2034-01-02T03:04:05Z\nStatus: OK\n",
		"Certificate: /r/data/pki/ovnnb-cert.pem (OK: Present)\n",
		"Private key: /r/data/pki/ovnnb-privkey.pem (Error: Missing file)\n",
		"Signed by the cluster CA: yes\n",
		// A missing key is shown as not matching, even when KeyMatches is set.
		"Key matches: NO\n",
		"Status: ERROR: private key missing\n",
		"Certificate: /r/data/pki/client-cert.pem (Error: Missing file)\n",
		"Private key: /r/data/pki/client-privkey.pem (OK: Present)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("printCertificates output lacks %q:\n%s", want, out)
		}
	}

	// The CA block has no key line and no signature check.
	caBlock, _, _ := strings.Cut(out, "\n\n")
	if strings.Contains(caBlock, "Private key:") || strings.Contains(caBlock, "Signed by") {
		t.Errorf("CA block shows key or signature lines:\n%s", caBlock)
	}

	// A missing certificate has no signature check.
	if i := strings.Index(out, "[Client]"); i < 0 || strings.Contains(out[i:], "Signed by") {
		t.Errorf("Client block missing or shows a signature line for a missing file:\n%s", out)
	}
}
