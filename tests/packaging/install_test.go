package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/microovn/microovn/microovn/wrap"
)

// makeInstall runs `make install` or `make uninstall` with BIN set to a copy of
// the built binaries. -o build keeps make from rebuilding them, which needs the
// build root and would replace the shared bin/ folder.
func makeInstall(t *testing.T, target, bin, prefix, destdir string) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}

	res := run(t, nil, "make", "-C", repoRoot(t), "-s", "-o", "build", target,
		"BIN="+bin, "PREFIX="+prefix, "DESTDIR="+destdir)
	if res.code != 0 {
		t.Fatalf("make %s: exit %d:\n%s%s", target, res.code, res.stdout, res.stderr)
	}
}

// installedFiles lists what make install writes under PREFIX, sorted.
func installedFiles() []string {
	files := []string{
		"sbin/microovnd",
		"bin/microovn",
		"share/bash-completion/completions/microovn",
		"share/zsh/site-functions/_microovn",
		"share/fish/vendor_completions.d/microovn.fish",
		"lib/systemd/system/microovnd.service",
	}
	for _, tool := range wrap.Tools() {
		files = append(files, "bin/"+wrap.Prefix+tool.Name)
	}

	slices.Sort(files)
	return files
}

func TestMakeInstallPrefix(t *testing.T) {
	bin := builtBinaries(t)
	prefix := filepath.Join(t.TempDir(), "prefix")

	makeInstall(t, "install", bin, prefix, "")
	if got, want := listFiles(t, prefix), installedFiles(); !slices.Equal(got, want) {
		t.Fatalf("installed files:\n got %q\nwant %q", got, want)
	}

	for _, name := range []string{"sbin/microovnd", "bin/microovn"} {
		info, err := os.Stat(filepath.Join(prefix, name))
		if err != nil {
			t.Fatal(err)
		}

		if info.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", name, info.Mode().Perm())
		}
	}

	for _, tool := range wrap.Tools() {
		link := filepath.Join(prefix, "bin", wrap.Prefix+tool.Name)
		if target, err := os.Readlink(link); err != nil || target != "microovn" {
			t.Errorf("%s -> %q (%v), want microovn", link, target, err)
		}
	}

	completions := map[string]string{
		"share/bash-completion/completions/microovn":    "__start_microovn",
		"share/zsh/site-functions/_microovn":            "#compdef microovn",
		"share/fish/vendor_completions.d/microovn.fish": "complete -c microovn",
	}
	for name, marker := range completions {
		data, err := os.ReadFile(filepath.Join(prefix, name))
		if err != nil {
			t.Fatal(err)
		}

		if !strings.Contains(string(data), marker) {
			t.Errorf("%s does not contain %q", name, marker)
		}
	}

	unit := filepath.Join(prefix, "lib/systemd/system/microovnd.service")
	checkUnit(t, unit, filepath.Join(prefix, "sbin/microovnd"))
	verifyUnit(t, unit)

	// uninstall removes what install wrote and nothing else.
	other := filepath.Join(prefix, "bin", "other-tool")
	if err := os.WriteFile(other, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	makeInstall(t, "uninstall", bin, prefix, "")
	if got := listFiles(t, prefix); !slices.Equal(got, []string{"bin/other-tool"}) {
		t.Errorf("files after uninstall = %q, want only bin/other-tool", got)
	}
}

// A staged install (DESTDIR) writes below DESTDIR, while the unit names the final
// path of microovnd.
func TestMakeInstallDestdir(t *testing.T) {
	bin := builtBinaries(t)
	destdir := filepath.Join(t.TempDir(), "stage")

	makeInstall(t, "install", bin, "/usr", destdir)
	var want []string
	for _, f := range installedFiles() {
		want = append(want, filepath.Join("usr", f))
	}

	if got := listFiles(t, destdir); !slices.Equal(got, want) {
		t.Fatalf("staged files:\n got %q\nwant %q", got, want)
	}

	checkUnit(t, filepath.Join(destdir, "usr/lib/systemd/system/microovnd.service"),
		"/usr/sbin/microovnd")

	makeInstall(t, "uninstall", bin, "/usr", destdir)
	if got := listFiles(t, destdir); len(got) != 0 {
		t.Errorf("files after uninstall = %q, want none", got)
	}
}

// checkUnit reads the [Service] settings that keep the OVN processes running
// when microovnd stops, and the ExecStart path.
func checkUnit(t *testing.T, unit, microovnd string) {
	t.Helper()
	data, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}

	settings := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, ok := strings.Cut(line, "=")
		if ok && !strings.HasPrefix(line, "#") {
			settings[key] = value
		}
	}

	want := map[string]string{
		"ExecStart": microovnd,
		"KillMode":  "process",
		"Restart":   "on-failure",
		"WantedBy":  "multi-user.target",
	}
	for key, value := range want {
		if settings[key] != value {
			t.Errorf("%s: %s=%q, want %q", unit, key, settings[key], value)
		}
	}

	if strings.Contains(string(data), "@") {
		t.Errorf("%s still contains a placeholder:\n%s", unit, data)
	}
}

// verifyUnit runs systemd-analyze verify, which loads the unit offline and checks
// its syntax and that ExecStart names an executable.
func verifyUnit(t *testing.T, unit string) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze is not installed (package systemd): the unit is not verified")
		return
	}

	res := run(t, nil, "systemd-analyze", "verify", unit)
	if res.code != 0 || strings.TrimSpace(res.stderr) != "" {
		t.Errorf("systemd-analyze verify %s: exit %d:\n%s%s", unit, res.code, res.stdout, res.stderr)
	}
}
