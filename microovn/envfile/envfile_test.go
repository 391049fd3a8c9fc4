package envfile

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRenderSortedQuotedLines(t *testing.T) {
	got := string(Render(map[string]string{
		SBConnect: "ssl:198.18.0.1:6642",
		NBConnect: "ssl:198.18.0.1:6641,ssl:[fd00::2]:6641",
		LocalIP:   "198.18.0.1",
	}))
	want := "# Written by microovnd; changes are overwritten.\n" +
		`OVN_LOCAL_IP="198.18.0.1"` + "\n" +
		`OVN_NB_CONNECT="ssl:198.18.0.1:6641,ssl:[fd00::2]:6641"` + "\n" +
		`OVN_SB_CONNECT="ssl:198.18.0.1:6642"` + "\n"
	if got != want {
		t.Errorf("Render:\n got %q\nwant %q", got, want)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]string
	}{
		{"empty", map[string]string{}},
		{"endpoints", map[string]string{
			NBConnect: "ssl:198.18.0.1:6641,ssl:198.18.0.2:6641",
			SBConnect: "ssl:[fd00::1]:6642",
			LocalIP:   "fd00::1",
		}},
		{"spaces and quotes", map[string]string{
			"SPACES":  "a value with  spaces ",
			"QUOTES":  `say "hi" and 'bye'`,
			"SLASH":   `C:\path\with\backslashes`,
			"EQUALS":  "a=b=c",
			"HASH":    "# not a comment",
			"EMPTY":   "",
			"UTF8":    "nœud-été",
			"NEWLINE": "two\nlines",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ovn.env")
			if err := Write(path, tc.values); err != nil {
				t.Fatalf("Write: %v", err)
			}

			got, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}

			if !maps.Equal(got, tc.values) {
				t.Errorf("Read after Write = %q, want %q", got, tc.values)
			}

			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}

			if mode := info.Mode().Perm(); mode != 0o644 {
				t.Errorf("%s mode = %o, want 0644", path, mode)
			}
		})
	}
}

func TestWriteSkipsIdenticalFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ovn.env")
	values := map[string]string{NBConnect: "ssl:198.18.0.1:6641"}
	if err := Write(path, values); err != nil {
		t.Fatalf("Write: %v", err)
	}

	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}

	if err := Write(path, values); err != nil {
		t.Fatalf("second Write: %v", err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	if !info.ModTime().Equal(old) {
		t.Errorf("identical Write changed the mtime to %s, want %s", info.ModTime(), old)
	}

	values[NBConnect] = "ssl:198.18.0.2:6641"
	if err := Write(path, values); err != nil {
		t.Fatalf("changed Write: %v", err)
	}

	info, err = os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	if info.ModTime().Equal(old) {
		t.Errorf("changed Write kept the mtime %s, want a new one", old)
	}

	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}

	if got[NBConnect] != "ssl:198.18.0.2:6641" {
		t.Errorf("%s after the changed Write = %q, want ssl:198.18.0.2:6641", NBConnect,
			got[NBConnect])
	}
}

func TestReadHandWrittenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ovn.env")
	content := "# comment\n\n  OVN_LOCAL_IP=198.18.0.1  \nOVN_NB_CONNECT=\"ssl:198.18.0.1:6641\"\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := Read(path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}

	want := map[string]string{LocalIP: "198.18.0.1", NBConnect: "ssl:198.18.0.1:6641"}
	if !maps.Equal(got, want) {
		t.Errorf("Read = %q, want %q", got, want)
	}
}

func TestReadMalformedLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ovn.env")
	content := "OVN_LOCAL_IP=\"198.18.0.1\"\nthis line has no equals sign\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := Read(path)
	if err == nil {
		t.Fatalf("Read of a malformed file succeeded, want an error")
	}

	if !strings.Contains(err.Error(), path) {
		t.Errorf("Read error %q does not name the file %s", err, path)
	}

	if !strings.Contains(err.Error(), "this line has no equals sign") {
		t.Errorf("Read error %q does not quote the malformed line", err)
	}
}

func TestReadMissingFile(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "absent.env"))
	if !os.IsNotExist(err) {
		t.Errorf("Read of a missing file = %v, want a not-exist error", err)
	}
}
