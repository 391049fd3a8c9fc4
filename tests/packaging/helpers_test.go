package packaging

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// recipe is the part of snapcraft.yaml that the tests read. Decoding rejects keys
// missing here, so that a misspelt key fails a test; add new keys when the recipe
// starts using them.
type recipe struct {
	Name        string              `yaml:"name"`
	Base        string              `yaml:"base"`
	AdoptInfo   string              `yaml:"adopt-info"`
	Summary     string              `yaml:"summary"`
	Description string              `yaml:"description"`
	License     string              `yaml:"license"`
	Confinement string              `yaml:"confinement"`
	Grade       string              `yaml:"grade"`
	Platforms   map[string]any      `yaml:"platforms"`
	Environment map[string]string   `yaml:"environment"`
	Apps        map[string]snapApp  `yaml:"apps"`
	Hooks       map[string]snapHook `yaml:"hooks"`
	Parts       map[string]snapPart `yaml:"parts"`
}

type snapApp struct {
	Command          string   `yaml:"command"`
	Daemon           string   `yaml:"daemon"`
	InstallMode      string   `yaml:"install-mode"`
	RestartCondition string   `yaml:"restart-condition"`
	Completer        string   `yaml:"completer"`
	Plugs            []string `yaml:"plugs"`
}

type snapHook struct {
	Plugs []string `yaml:"plugs"`
}

type snapPart struct {
	Plugin             string   `yaml:"plugin"`
	Source             string   `yaml:"source"`
	SourceChecksum     string   `yaml:"source-checksum"`
	After              []string `yaml:"after"`
	BuildSnaps         []string `yaml:"build-snaps"`
	BuildPackages      []string `yaml:"build-packages"`
	StagePackages      []string `yaml:"stage-packages"`
	AutotoolsConfigure []string `yaml:"autotools-configure-parameters"`
	OverrideBuild      string   `yaml:"override-build"`
	Prime              []string `yaml:"prime"`
}

// repoRoot returns the folder of go.mod, found upwards from the test's folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}

		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}

		dir = parent
	}
}

// loadRecipe decodes snapcraft.yaml, rejecting unknown keys.
func loadRecipe(t *testing.T) recipe {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "snapcraft.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	var r recipe
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decode snapcraft.yaml: %v", err)
	}

	return r
}

// standinDir returns the folder of the stand-in scripts for snapctl and the
// appctl tools.
func standinDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "tests", "packaging", "testdata", "standin")
}

// builtBinaries returns a private copy of the microovnd and microovn binaries of
// `make build`, so that a concurrent rebuild cannot change them mid-test. It skips
// the test when they are missing.
func builtBinaries(t *testing.T) string {
	t.Helper()
	src := os.Getenv("MICROOVN_BIN")
	if src == "" {
		src = filepath.Join(repoRoot(t), "bin")
	}

	dst := t.TempDir()
	for _, name := range []string{"microovnd", "microovn"} {
		from := filepath.Join(src, name)
		if _, err := os.Stat(from); err != nil {
			t.Skipf("no %s in %s (run make -s build or set MICROOVN_BIN): %v", name, src, err)
		}

		copyFile(t, from, filepath.Join(dst, name), 0o755)
	}

	return dst
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}

	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// result is the outcome of one command.
type result struct {
	stdout, stderr string
	code           int
}

// run runs name with args and env added to the test's environment, and returns
// its output and exit code. Only a failure to start it fails the test.
func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run %s: %v", name, err)
	}

	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// readLines returns the lines of path, or none if it does not exist.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}

	if err != nil {
		t.Fatal(err)
	}

	text := strings.TrimRight(string(data), "\n")
	if text == "" {
		return nil
	}

	return strings.Split(text, "\n")
}

// listFiles returns every file and symbolic link under root, relative to it and
// sorted. Folders are left out.
func listFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}

		if d.IsDir() {
			return nil
		}

		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}

		files = append(files, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	sort.Strings(files)
	return files
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}

	sort.Strings(keys)
	return keys
}
