package testbed

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// openBeds contains the beds that the signal handler closes.
var openBeds = struct {
	sync.Mutex
	beds map[*Bed]struct{}
}{beds: map[*Bed]struct{}{}}

var installHandler sync.Once

// CleanupOnSignal makes sure that beds are closed when the process receives SIGINT or
// SIGTERM. On the first such signal the handler closes every open bed and ends the
// process with exit status 1. New and LoadState register their beds already, and
// Close takes a bed off the list.
func CleanupOnSignal(beds ...*Bed) {
	openBeds.Lock()
	for _, bed := range beds {
		openBeds.beds[bed] = struct{}{}
	}
	openBeds.Unlock()

	installHandler.Do(func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)

		go func() {
			sig := <-signals
			fmt.Fprintf(os.Stderr, "testbed: received %v, closing test beds\n", sig)
			closeOpenBeds()
			os.Exit(1)
		}()
	})
}

// closeOpenBeds closes every registered bed and prints the errors on stderr.
func closeOpenBeds() {
	openBeds.Lock()
	beds := make([]*Bed, 0, len(openBeds.beds))
	for bed := range openBeds.beds {
		beds = append(beds, bed)
	}
	openBeds.Unlock()

	for _, bed := range beds {
		if err := bed.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "testbed: close bed %s: %v\n", bed.Prefix, err)
		}
	}
}

// forget takes bed off the list of the signal handler.
func forget(bed *Bed) {
	openBeds.Lock()
	delete(openBeds.beds, bed)
	openBeds.Unlock()
}
