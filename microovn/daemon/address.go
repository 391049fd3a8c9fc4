package daemon

import (
	"errors"
	"fmt"
	"net"
)

// ErrNotLocal means an address is not held by any interface of this host.
var ErrNotLocal = errors.New("address not found on any interface of this host")

// checkLocalAddress returns an error unless ip is an IP literal held by one of this
// host's interfaces.
func checkLocalAddress(ip string) error {
	parsed := net.ParseIP(ip)
	if parsed == nil {
		return fmt.Errorf("%q is not an IP address: give an IPv4 or IPv6 address", ip)
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

	return fmt.Errorf("%s: %w; give one of this host's addresses", ip, ErrNotLocal)
}
