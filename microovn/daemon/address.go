package daemon

import "github.com/microovn/microovn/microovn/hostaddr"

// ErrNotLocal means an address is not held by any interface of this host.
var ErrNotLocal = hostaddr.ErrNotLocal

// checkLocalAddress returns an error unless ip is an IP literal held by one of this
// host's interfaces.
func checkLocalAddress(ip string) error { return hostaddr.CheckLocal(ip) }
