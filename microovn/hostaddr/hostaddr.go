// Package hostaddr checks that an address given by an operator is an IP literal
// held by this host, as microcluster and the OVN listeners need.
package hostaddr

import (
	"errors"
	"fmt"
	"net"
)

// Errors of CheckLocal, for callers that tell them apart.
var (
	ErrNotIP    = errors.New("not an IP address")
	ErrNotLocal = errors.New("no interface of this host has that address")
)

// CheckLocal returns an error unless ip is an IP literal held by one of this host's
// interfaces.
func CheckLocal(ip string) error {
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return fmt.Errorf("%q is %w: give an IPv4 or IPv6 address, not a host name", ip, ErrNotIP)
	}

	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return fmt.Errorf("list this host's addresses: %w", err)
	}

	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(parsed) {
			return nil
		}
	}

	return fmt.Errorf("%s: %w; give one of this host's addresses (see ip address)", ip, ErrNotLocal)
}
