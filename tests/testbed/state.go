package testbed

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// bedState is the JSON form of a bed, which lets another process close it.
type bedState struct {
	Prefix     string      `json:"prefix"`
	Dir        string      `json:"dir"`
	Fabric     string      `json:"fabric"`
	IPv6       bool        `json:"ipv6"`
	Bin        string      `json:"bin"`
	Namespaces []string    `json:"namespaces"`
	Hosts      []hostState `json:"hosts"`
}

// hostState is the JSON form of a host.
type hostState struct {
	Index     int    `json:"index"`
	Name      string `json:"name"`
	NS        string `json:"ns"`
	Addr      net.IP `json:"addr"`
	EncapAddr net.IP `json:"encap_addr"`
	Root      string `json:"root"`
}

// SaveState writes the bed's prefix, folders, namespaces and hosts to path as JSON,
// for LoadState in another process.
func (b *Bed) SaveState(path string) error {
	state := bedState{
		Prefix:     b.Prefix,
		Dir:        b.Dir,
		Fabric:     b.Fabric,
		IPv6:       b.IPv6,
		Bin:        b.bin,
		Namespaces: b.namespaces,
	}

	for _, h := range b.Hosts {
		state.Hosts = append(state.Hosts, hostState{
			Index: h.Index, Name: h.Name, NS: h.NS,
			Addr: h.Addr, EncapAddr: h.EncapAddr, Root: h.Root,
		})
	}

	data, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return fmt.Errorf("encode test bed state: %w", err)
	}

	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write test bed state: %w", err)
	}

	return nil
}

// LoadState returns the bed that SaveState wrote to path, ready to use or to Close.
// Its microovnd processes are found through Root/microovnd.pid.
func LoadState(path string) (*Bed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read test bed state: %w", err)
	}

	var state bedState
	if err := json.Unmarshal(data, &state); err != nil {
		return nil, fmt.Errorf("decode test bed state %s: %w", path, err)
	}

	if err := state.validate(); err != nil {
		return nil, fmt.Errorf("invalid test bed state %s: %w", path, err)
	}

	bed := &Bed{
		Dir:        state.Dir,
		Prefix:     state.Prefix,
		Fabric:     state.Fabric,
		IPv6:       state.IPv6,
		bin:        state.Bin,
		namespaces: state.Namespaces,
	}

	for _, h := range state.Hosts {
		bed.Hosts = append(bed.Hosts, &Host{
			Index: h.Index, Name: h.Name, NS: h.NS,
			Addr: h.Addr, EncapAddr: h.EncapAddr, Root: h.Root,
			bin: state.Bin, ipv6: state.IPv6,
		})
	}

	CleanupOnSignal(bed)

	return bed, nil
}

// validate checks that the state names only things that New creates for its prefix,
// because Close deletes every namespace and folder that the state lists.
func (s *bedState) validate() error {
	if !validPrefix.MatchString(s.Prefix) {
		return fmt.Errorf("invalid prefix %q", s.Prefix)
	}

	base := filepath.Base(s.Dir)
	if !filepath.IsAbs(s.Dir) || !strings.HasPrefix(base, "testbed-"+s.Prefix+"-") {
		return fmt.Errorf("folder %q is not a test bed folder of prefix %s", s.Dir, s.Prefix)
	}

	for _, ns := range s.Namespaces {
		if !strings.HasPrefix(ns, s.Prefix+"-") {
			return fmt.Errorf("namespace %q does not start with prefix %s", ns, s.Prefix)
		}
	}

	for _, h := range s.Hosts {
		if filepath.Dir(h.Root) != s.Dir {
			return fmt.Errorf("host root %q is not inside %s", h.Root, s.Dir)
		}
	}

	return nil
}
