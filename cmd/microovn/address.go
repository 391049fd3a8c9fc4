package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/microovn/microovn/microovn/hostaddr"
)

// checkLocalAddress returns an error naming flag unless ip is an IP literal held by
// one of this host's interfaces.
func checkLocalAddress(flag, ip string) error {
	if err := hostaddr.CheckLocal(ip); err != nil {
		return fmt.Errorf("invalid %s %w", flag, err)
	}

	return nil
}

// defaultRouteAddress returns the first address of the interface that holds the
// IPv4 default route.
func defaultRouteAddress() (string, error) {
	iface, err := defaultRouteInterface()
	if err != nil {
		return "", err
	}

	link, err := net.InterfaceByName(iface)
	if err != nil {
		return "", fmt.Errorf("find interface %s: %w", iface, err)
	}

	addrs, err := link.Addrs()
	if err != nil {
		return "", fmt.Errorf("list the addresses of %s: %w", iface, err)
	}

	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return n.IP.String(), nil
		}
	}

	return "", fmt.Errorf("interface %s has no IPv4 address: give --address", iface)
}

func defaultRouteInterface() (string, error) {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return "", fmt.Errorf("read the routing table: %w; give --address", err)
	}
	defer f.Close()

	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		// Columns: Iface Destination Gateway ...; the default route has destination 0.
		if len(fields) > 2 && fields[1] == "00000000" {
			return fields[0], nil
		}
	}

	return "", fmt.Errorf("no default route on this host: give --address")
}

// fingerprint returns the SHA-256 fingerprint of a DER certificate, shortened.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])[:12]
}
