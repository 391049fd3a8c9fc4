package main

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"maps"
	"os"
	"strings"
	"testing"

	mctypes "github.com/canonical/microcluster/v3/microcluster/types"
)

// encodeToken returns a join token in the format of `cluster add`.
func encodeToken(t *testing.T, secret string, addresses ...string) string {
	t.Helper()

	token := mctypes.Token{Secret: secret, Fingerprint: "a1b2c3"}
	for _, a := range addresses {
		addr, err := mctypes.ParseAddrPort(a)
		if err != nil {
			t.Fatalf("ParseAddrPort(%q): %v", a, err)
		}

		token.JoinAddresses = append(token.JoinAddresses, addr)
	}

	s, err := token.String()
	if err != nil {
		t.Fatalf("encode the token: %v", err)
	}

	return s
}

func TestCheckTokenValidAndInvalid(t *testing.T) {
	valid := encodeToken(t, "s3cret", "198.18.0.1:6686", "[fd00::2]:6686")
	cases := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", valid, true},
		{"valid with newline", valid + "\n", true},
		{"garbage", "not a token!", false},
		{"empty", "", false},
		{"truncated", valid[:len(valid)/2], false},
		{"base64 of text", base64.StdEncoding.EncodeToString([]byte("hello")), false},
		{"no secret", encodeToken(t, "", "198.18.0.1:6686"), false},
		{"no join address", encodeToken(t, "s3cret"), false},
		{"JSON array", base64.StdEncoding.EncodeToString([]byte(`["s3cret"]`)), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkToken(tc.token)
			if tc.ok {
				if err != nil {
					t.Errorf("checkToken(%q) = %v, want nil", tc.token, err)
				}

				return
			}

			if err == nil {
				t.Fatalf("checkToken(%q) = nil, want an error", tc.token)
			}

			if !strings.Contains(err.Error(), "invalid join token") {
				t.Errorf("checkToken(%q) error %q does not say the token is invalid", tc.token,
					err)
			}
		})
	}
}

func TestCheckFormatValidAndInvalid(t *testing.T) {
	if err := checkFormat("json", "table", "json", "yaml", "csv"); err != nil {
		t.Errorf("checkFormat(json) = %v, want nil", err)
	}

	for _, format := range []string{"xml", "", "JSON"} {
		err := checkFormat(format, "table", "json")
		if err == nil {
			t.Errorf("checkFormat(%q) = nil, want an error", format)
			continue
		}

		if !strings.Contains(err.Error(), `"`+format+`"`) {
			t.Errorf("checkFormat(%q) error %q does not quote the value", format, err)
		}

		if !strings.Contains(err.Error(), "table, json") {
			t.Errorf("checkFormat(%q) error %q does not list the valid formats", format, err)
		}
	}
}

func TestMemberFlagsResolveValid(t *testing.T) {
	f := memberFlags{name: "node1", address: "127.0.0.1", encapIP: "198.18.250.250"}
	name, addr, config, err := f.resolve()
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}

	if name != "node1" {
		t.Errorf("name = %q, want node1", name)
	}

	if addr != "127.0.0.1:6686" {
		t.Errorf("address = %q, want 127.0.0.1:6686", addr)
	}

	// The tunnel address need not be local yet, so a foreign one is accepted.
	if want := map[string]string{"encap-ip": "198.18.250.250"}; !maps.Equal(config, want) {
		t.Errorf("config = %q, want %q", config, want)
	}
}

func TestMemberFlagsResolveDefaults(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skipf("no host name: %v", err)
	}

	f := memberFlags{address: "127.0.0.1"}
	name, _, config, err := f.resolve()
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}

	if name != host {
		t.Errorf("name = %q, want the host name %q", name, host)
	}

	if len(config) != 0 {
		t.Errorf("config = %q, want empty without --encap-ip", config)
	}
}

func TestMemberFlagsResolveErrors(t *testing.T) {
	cases := []struct {
		name  string
		flags memberFlags
		words []string // each must appear in the error
	}{
		{"host name address", memberFlags{name: "n", address: "host.example"},
			[]string{"--address", `"host.example"`, "not a host name"}},
		{"non-local address", memberFlags{name: "n", address: "198.18.250.250"},
			[]string{"--address", "198.18.250.250", "no interface of this host"}},
		{"invalid encap IP", memberFlags{name: "n", address: "127.0.0.1", encapIP: "300.1.2.3"},
			[]string{"--encap-ip", `"300.1.2.3"`}},
		{"host name encap IP", memberFlags{name: "n", address: "127.0.0.1", encapIP: "gw.example"},
			[]string{"--encap-ip", `"gw.example"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := tc.flags.resolve()
			if err == nil {
				t.Fatalf("resolve(%+v) = nil, want an error", tc.flags)
			}

			for _, word := range tc.words {
				if !strings.Contains(err.Error(), word) {
					t.Errorf("resolve error %q does not contain %q", err, word)
				}
			}
		})
	}
}

func testRows() []memberRow {
	return []memberRow{
		{Name: "node1", Address: "198.18.0.1:6686", Role: "voter", Fingerprint: "0123456789ab",
			Status: "ONLINE"},
		{Name: "node-two", Address: "[fd00::2]:6686", Role: "spare", Fingerprint: "ba9876543210",
			Status: "UNREACHABLE"},
	}
}

func TestPrintRowsCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := printRows(&buf, "csv", testRows()); err != nil {
		t.Fatalf("printRows: %v", err)
	}

	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("parse the CSV output: %v", err)
	}

	want := [][]string{
		{"name", "address", "role", "fingerprint", "status"},
		{"node1", "198.18.0.1:6686", "voter", "0123456789ab", "ONLINE"},
		{"node-two", "[fd00::2]:6686", "spare", "ba9876543210", "UNREACHABLE"},
	}
	if len(records) != len(want) {
		t.Fatalf("CSV has %d records, want %d: %q", len(records), len(want), records)
	}

	for i := range want {
		if strings.Join(records[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("CSV record %d = %q, want %q", i, records[i], want[i])
		}
	}
}

func TestPrintRowsJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := printRows(&buf, "json", testRows()); err != nil {
		t.Fatalf("printRows: %v", err)
	}

	var got []map[string]string
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("parse the JSON output %q: %v", buf.String(), err)
	}

	if len(got) != 2 {
		t.Fatalf("JSON has %d rows, want 2: %s", len(got), buf.String())
	}

	want := map[string]string{"name": "node-two", "address": "[fd00::2]:6686", "role": "spare",
		"fingerprint": "ba9876543210", "status": "UNREACHABLE"}
	if !maps.Equal(got[1], want) {
		t.Errorf("JSON row 1 = %q, want %q", got[1], want)
	}
}

func TestPrintRowsTableColumns(t *testing.T) {
	var buf bytes.Buffer
	if err := printRows(&buf, "table", testRows()); err != nil {
		t.Fatalf("printRows: %v", err)
	}

	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want a header and 2 rows:\n%s", len(lines), buf.String())
	}

	wantFields := [][]string{
		{"NAME", "ADDRESS", "ROLE", "FINGERPRINT", "STATUS"},
		{"node1", "198.18.0.1:6686", "voter", "0123456789ab", "ONLINE"},
		{"node-two", "[fd00::2]:6686", "spare", "ba9876543210", "UNREACHABLE"},
	}
	for i, line := range lines {
		if got := strings.Fields(line); strings.Join(got, "|") != strings.Join(wantFields[i], "|") {
			t.Errorf("table line %d fields = %q, want %q", i, got, wantFields[i])
		}
	}

	// Columns line up: each header starts where its values start.
	for _, header := range []string{"ADDRESS", "ROLE", "FINGERPRINT", "STATUS"} {
		col := strings.Index(lines[0], header)
		for i, line := range lines[1:] {
			value := wantFields[i+1][indexOfHeader(wantFields[0], header)]
			if strings.Index(line, value) != col {
				t.Errorf("row %d: %s value %q starts at column %d, header at %d", i+1, header,
					value, strings.Index(line, value), col)
			}
		}
	}
}

func indexOfHeader(headers []string, header string) int {
	for i, h := range headers {
		if h == header {
			return i
		}
	}

	return -1
}
