// Package envfile writes and reads ovn.env, the file that shows other software on a
// node (and MicroOVN's wrapped tools) where the cluster's OVN databases are.
package envfile

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/microovn/microovn/microovn/pki"
)

// Keys of ovn.env.
const (
	NBConnect = "OVN_NB_CONNECT" // ssl:A:6641,ssl:B:6641,...
	SBConnect = "OVN_SB_CONNECT" // ssl:A:6642,...
	LocalIP   = "OVN_LOCAL_IP"   // this member's address
)

// Render returns the file content for values, one KEY="value" line each, sorted.
func Render(values map[string]string) []byte {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}

	sort.Strings(keys)
	var buf bytes.Buffer
	buf.WriteString("# Written by microovnd; changes are overwritten.\n")
	for _, k := range keys {
		fmt.Fprintf(&buf, "%s=%s\n", k, strconv.Quote(values[k]))
	}

	return buf.Bytes()
}

// Write writes values to path atomically, readable by everyone on the node.
func Write(path string, values map[string]string) error {
	data := Render(values)
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return nil
	}

	return pki.WriteFile(path, data, 0o644)
}

// Read parses a file written by Write.
func Read(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}

	values := map[string]string{}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}

		key, raw, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: malformed line %q", path, line)
		}

		value, err := strconv.Unquote(raw)
		if err != nil {
			value = raw
		}

		values[key] = value
	}

	return values, scanner.Err()
}
