package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// shellShebang matches the first line of a POSIX shell or bash script.
var shellShebang = regexp.MustCompile(`^#!\s*(/usr)?/bin/(env\s+)?(sh|bash|dash)\b`)

// shellScripts returns every shell script under dirs, relative to root.
func shellScripts(t *testing.T, root string, dirs ...string) []string {
	t.Helper()
	var scripts []string
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}

			if !d.Type().IsRegular() {
				return nil
			}

			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()

			first, _ := bufio.NewReader(f).ReadString('\n')
			if shellShebang.MatchString(first) {
				rel, _ := filepath.Rel(root, path)
				scripts = append(scripts, rel)
			}

			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	return scripts
}

func TestShellScriptsPassShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck is not installed: scripts/deps.sh installs it")
	}

	root := repoRoot(t)
	scripts := shellScripts(t, root, "snap", "scripts", ".ci", "tests/packaging/testdata")
	for _, want := range []string{"snap/hooks/install", "snap/hooks/configure",
		"snap/hooks/pre-refresh", "snap/hooks/post-refresh", "snap/commands/daemon.start",
		"snap/local/parts.sh"} {
		found := false
		for _, s := range scripts {
			found = found || s == want
		}

		if !found {
			t.Errorf("%s is not found as a shell script", want)
		}
	}

	for _, script := range scripts {
		t.Run(script, func(t *testing.T) {
			res := run(t, nil, "shellcheck", filepath.Join(root, script))
			if res.code != 0 {
				t.Errorf("shellcheck %s: exit %d:\n%s%s", script, res.code, res.stdout, res.stderr)
			}
		})
	}
}
