package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/microovn/microovn/microovn/services"
	"github.com/microovn/microovn/microovn/wrap"
)

func TestRecipeTopLevel(t *testing.T) {
	r := loadRecipe(t)
	if r.Name != "microovn" {
		t.Errorf("name = %q, want microovn", r.Name)
	}

	if r.Base != "core24" {
		t.Errorf("base = %q, want core24", r.Base)
	}

	if r.Confinement != "strict" {
		t.Errorf("confinement = %q, want strict", r.Confinement)
	}

	// The version and grade come from the part named by adopt-info.
	part, ok := r.Parts[r.AdoptInfo]
	if !ok {
		t.Fatalf("adopt-info %q names no part", r.AdoptInfo)
	}

	for _, key := range []string{"craftctl set version=", "craftctl set grade="} {
		if !strings.Contains(part.OverrideBuild, key) {
			t.Errorf("part %s does not run %q", r.AdoptInfo, key)
		}
	}

	for name, p := range r.Parts {
		for _, after := range p.After {
			if _, ok := r.Parts[after]; !ok {
				t.Errorf("part %s: after names the missing part %q", name, after)
			}
		}
	}
}

func TestRecipeWrappedToolApps(t *testing.T) {
	r := loadRecipe(t)
	var want []string
	for _, tool := range wrap.Tools() {
		want = append(want, tool.Name)
	}

	var got []string
	for name, app := range r.Apps {
		target, ok := strings.CutPrefix(app.Command, "bin/"+wrap.Prefix)
		if !ok {
			continue
		}

		got = append(got, name)
		if target != name {
			t.Errorf("app %s runs %s: the app and the tool must have the same name, "+
				"because users run microovn.%s", name, app.Command, name)
		}

		if app.Daemon != "" {
			t.Errorf("app %s: a wrapped tool must not be a daemon", name)
		}
	}

	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("wrapped-tool apps = %v, want wrap.Tools() = %v", got, want)
	}
}

var execServiceRe = regexp.MustCompile(`^bin/microovnd exec-service (\S+)$`)

func TestRecipeProcessApps(t *testing.T) {
	r := loadRecipe(t)
	var want []string
	for _, p := range services.Table() {
		want = append(want, p.SnapApp)
	}

	var got []string
	for name, app := range r.Apps {
		m := execServiceRe.FindStringSubmatch(app.Command)
		if m == nil {
			if app.InstallMode == "disable" {
				t.Errorf("app %s is disabled at install but does not run exec-service", name)
			}

			continue
		}

		got = append(got, name)
		p, ok := services.Lookup(m[1])
		if !ok {
			t.Errorf("app %s runs exec-service of the unknown process %q", name, m[1])
			continue
		}

		if p.SnapApp != name {
			t.Errorf("app %s runs process %s, whose snap app is %s", name, p.Name, p.SnapApp)
		}

		if app.Daemon != "simple" {
			t.Errorf("app %s: daemon = %q, want simple (exec-service stays in the foreground)",
				name, app.Daemon)
		}

		if app.InstallMode != "disable" {
			t.Errorf("app %s: install-mode = %q, want disable (microovnd enables it)",
				name, app.InstallMode)
		}
	}

	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("exec-service apps = %v, want the SnapApp names of services.Table() = %v",
			got, want)
	}
}

func TestRecipeDaemonApp(t *testing.T) {
	r := loadRecipe(t)
	app, ok := r.Apps["daemon"]
	if !ok {
		t.Fatal("no app named daemon")
	}

	if app.Command != "commands/daemon.start" {
		t.Errorf("daemon command = %q, want commands/daemon.start", app.Command)
	}

	if app.Daemon != "simple" {
		t.Errorf("daemon: daemon = %q, want simple", app.Daemon)
	}

	if app.InstallMode == "disable" {
		t.Error("daemon: install-mode disable would leave microovnd stopped after install")
	}

	cli, ok := r.Apps["microovn"]
	if !ok {
		t.Fatal("no app named microovn")
	}

	if cli.Command != "bin/microovn" {
		t.Errorf("microovn command = %q, want bin/microovn", cli.Command)
	}
}

// TestRecipeAppCommandsExist runs the layout step of the microovn part on the
// binaries of `make build`, and checks that every app's command and completer is
// then in the snap's tree or in snap/commands.
func TestRecipeAppCommandsExist(t *testing.T) {
	root := repoRoot(t)
	r := loadRecipe(t)
	bin := builtBinaries(t)

	install := t.TempDir()
	if err := os.MkdirAll(filepath.Join(install, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{"microovnd", "microovn"} {
		copyFile(t, filepath.Join(bin, name), filepath.Join(install, "bin", name), 0o755)
	}

	res := run(t, nil, filepath.Join(root, "snap/local/parts.sh"), "layout", install,
		filepath.Join(root, "snapcraft.yaml"))
	if res.code != 0 {
		t.Fatalf("parts.sh layout: exit %d: %s", res.code, res.stderr)
	}

	// The microovn part builds bin/ and runs layout; the commands part copies
	// snap/commands to commands/.
	build := r.Parts["microovn"].OverrideBuild
	for _, step := range []string{"parts.sh build . \"$CRAFT_PART_INSTALL\"",
		"parts.sh layout \"$CRAFT_PART_INSTALL\" snapcraft.yaml"} {
		if !strings.Contains(build, step) {
			t.Errorf("part microovn does not run %q", step)
		}
	}

	if src := r.Parts["commands"].Source; src != "snap/commands" {
		t.Errorf("part commands: source = %q, want snap/commands", src)
	}

	for _, name := range sortedKeys(r.Apps) {
		app := r.Apps[name]
		program := strings.Fields(app.Command)[0]
		var path string
		switch {
		case strings.HasPrefix(program, "bin/"):
			path = filepath.Join(install, program)
		case strings.HasPrefix(program, "commands/"):
			path = filepath.Join(root, "snap", program)
		default:
			t.Errorf("app %s: command %s is in no folder that a part fills", name, program)
			continue
		}

		info, err := os.Stat(path)
		if err != nil {
			t.Errorf("app %s: command %s: %v", name, program, err)
			continue
		}

		if info.Mode()&0o111 == 0 {
			t.Errorf("app %s: %s is not executable", name, path)
		}

		if app.Completer != "" {
			data, err := os.ReadFile(filepath.Join(install, app.Completer))
			if err != nil {
				t.Errorf("app %s: completer: %v", name, err)
			} else if !strings.Contains(string(data), "microovn") {
				t.Errorf("app %s: completer %s does not complete microovn", name, app.Completer)
			}
		}
	}

	// The tool links must point at microovn itself, so that argv[0] names the tool.
	for _, tool := range wrap.Tools() {
		link := filepath.Join(install, "bin", wrap.Prefix+tool.Name)
		target, err := os.Readlink(link)
		if err != nil {
			t.Errorf("%s: %v", link, err)
		} else if target != "microovn" {
			t.Errorf("%s -> %s, want microovn", link, target)
		}
	}
}

func TestRecipeHooks(t *testing.T) {
	root := repoRoot(t)
	r := loadRecipe(t)
	for _, hook := range []string{"install", "configure", "pre-refresh", "post-refresh"} {
		info, err := os.Stat(filepath.Join(root, "snap/hooks", hook))
		if err != nil {
			t.Errorf("hook %s: %v", hook, err)
			continue
		}

		if info.Mode()&0o111 == 0 {
			t.Errorf("hook %s is not executable", hook)
		}
	}

	for name := range r.Hooks {
		if _, err := os.Stat(filepath.Join(root, "snap/hooks", name)); err != nil {
			t.Errorf("snapcraft.yaml declares hook %s without a script: %v", name, err)
		}
	}
}

func TestPartsOVSLinks(t *testing.T) {
	script := filepath.Join(repoRoot(t), "snap/local/parts.sh")

	t.Run("adds link", func(t *testing.T) {
		install := t.TempDir()
		target := filepath.Join(install, "usr/lib/openvswitch-switch/ovs-vswitchd")
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}

		if err := os.WriteFile(target, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}

		for range 2 {
			res := run(t, nil, script, "ovs-links", install)
			if res.code != 0 {
				t.Fatalf("ovs-links: exit %d: %s", res.code, res.stderr)
			}
		}

		// services.Tools looks programs up in usr/sbin first.
		path, err := services.Tools{Prefix: install}.Path("ovs-vswitchd")
		if err != nil {
			t.Fatal(err)
		}

		if want := filepath.Join(install, "usr/sbin/ovs-vswitchd"); path != want {
			t.Errorf("ovs-vswitchd found at %s, want %s", path, want)
		}
	})

	t.Run("missing package", func(t *testing.T) {
		res := run(t, nil, script, "ovs-links", t.TempDir())
		if res.code == 0 {
			t.Fatal("ovs-links succeeded without openvswitch-switch")
		}

		if !strings.Contains(res.stderr, "openvswitch-switch") {
			t.Errorf("stderr does not name the package: %s", res.stderr)
		}
	})
}

// snapVersionRe is snapd's rule for a snap's version string.
var snapVersionRe = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9:.+~-]{0,30}[a-zA-Z0-9+~])?$`)

func TestPartsVersion(t *testing.T) {
	root := repoRoot(t)
	script := filepath.Join(root, "snap/local/parts.sh")

	res := run(t, nil, script, "version", root)
	if res.code != 0 {
		t.Fatalf("parts.sh version: exit %d: %s", res.code, res.stderr)
	}

	version := strings.TrimSpace(res.stdout)
	if !snapVersionRe.MatchString(version) {
		t.Errorf("version %q is not a valid snap version", version)
	}

	// The Makefile's VERSION, which `make build` puts into microovn --version.
	if _, err := exec.LookPath("git"); err == nil {
		out, err := exec.Command("git", "-C", root, "describe", "--tags", "--always",
			"--dirty").Output()
		if err == nil && strings.TrimSpace(string(out)) != version {
			t.Errorf("version %q differs from git describe %q", version,
				strings.TrimSpace(string(out)))
		}
	}

	res = run(t, nil, script, "version", t.TempDir())
	if got := strings.TrimSpace(res.stdout); res.code != 0 || got != "0.0.0-dev" {
		t.Errorf("version outside git = %q (exit %d), want 0.0.0-dev", got, res.code)
	}

	res = run(t, nil, script, "grade", root)
	if got := strings.TrimSpace(res.stdout); got != "stable" && got != "devel" {
		t.Errorf("grade = %q, want stable or devel", got)
	}

	res = run(t, nil, script, "grade", t.TempDir())
	if got := strings.TrimSpace(res.stdout); got != "devel" {
		t.Errorf("grade outside git = %q, want devel", got)
	}
}
