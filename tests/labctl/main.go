// Command labctl builds a MicroOVN test bed that stays up for manual work, and tears
// it down again.
//
//	labctl up -n 3 -bin DIR [-6] -dir DIR [-prefix P] [-keep]
//	labctl down -dir DIR
//
// "up" builds the bed, writes its state to DIR/testbed.json, starts microovnd on every
// host, bootstraps the cluster on h1, joins the other hosts, sets up each host's Geneve
// underlay and prints `microovn status` of h1. "down" reads the state file, kills the
// bed's processes and deletes its namespaces and folders. Both need root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/microovn/microovn/tests/testbed"
)

// stateFile is the name of the state file inside the -dir folder.
const stateFile = "testbed.json"

// commandTimeout bounds one microovn command.
const commandTimeout = 2 * time.Minute

func main() {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("labctl: ")

	if len(os.Args) < 2 {
		usage()
	}

	var err error
	switch os.Args[1] {
	case "up":
		err = up(os.Args[2:])
	case "down":
		err = down(os.Args[2:])
	default:
		usage()
	}

	if err != nil {
		log.Fatal(err)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: labctl up -n HOSTS -bin DIR [-6] -dir DIR [-prefix P] [-keep]")
	fmt.Fprintln(os.Stderr, "       labctl down -dir DIR")
	os.Exit(2)
}

// up builds a bed, forms a cluster on it and leaves it running.
func up(args []string) error {
	flags := flag.NewFlagSet("up", flag.ExitOnError)
	hosts := flags.Int("n", 3, "number of hosts (1 to 30)")
	bin := flags.String("bin", "", "folder with the built microovnd and microovn (required)")
	ipv6 := flags.Bool("6", false, "give hosts IPv6 addresses in place of IPv4")
	dir := flags.String("dir", "", "folder for the state file (required)")
	prefix := flags.String("prefix", "", "namespace name prefix (default: mo and a random suffix)")
	keep := flags.Bool("keep", false, "leave the bed up when forming the cluster fails")
	_ = flags.Parse(args)

	if *bin == "" || *dir == "" {
		return errors.New("missing -bin or -dir: see labctl up -h")
	}

	statePath := filepath.Join(*dir, stateFile)
	if _, err := os.Stat(statePath); err == nil {
		return fmt.Errorf("state file %s exists: run labctl down -dir %s first", statePath, *dir)
	}

	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("create state folder: %w", err)
	}

	bed, err := testbed.New(testbed.Options{
		Hosts: *hosts, IPv6: *ipv6, Bin: *bin, Prefix: *prefix,
	})
	if err != nil {
		return fmt.Errorf("build test bed: %w", err)
	}

	if err := bed.SaveState(statePath); err != nil {
		return errors.Join(err, bed.Close())
	}

	log.Printf("bed %s built in %s, state in %s", bed.Prefix, bed.Dir, statePath)
	printHosts(bed)

	if err := formCluster(bed); err != nil {
		if *keep {
			return fmt.Errorf("%w; the bed stays up: run labctl down -dir %s", err, *dir)
		}

		return errors.Join(err, bed.Close(), os.Remove(statePath))
	}

	return nil
}

// down closes the bed described by the state file in the -dir folder.
func down(args []string) error {
	flags := flag.NewFlagSet("down", flag.ExitOnError)
	dir := flags.String("dir", "", "folder with the state file that labctl up wrote (required)")
	_ = flags.Parse(args)

	if *dir == "" {
		return errors.New("missing -dir: see labctl down -h")
	}

	statePath := filepath.Join(*dir, stateFile)
	bed, err := testbed.LoadState(statePath)
	if err != nil {
		return err
	}

	if err := bed.Close(); err != nil {
		return fmt.Errorf("close bed %s: %w", bed.Prefix, err)
	}

	if err := os.Remove(statePath); err != nil {
		return fmt.Errorf("remove state file: %w", err)
	}

	log.Printf("bed %s closed; namespaces left: %v", bed.Prefix, testbed.Leftovers(bed.Prefix))

	return nil
}

func printHosts(bed *testbed.Bed) {
	for _, h := range bed.Hosts {
		fmt.Printf("%-4s namespace %-10s address %-14s encapsulation %-16s root %s\n",
			h.Name, h.NS, h.Addr, h.EncapAddr, h.Root)
	}
}

// formCluster starts microovnd everywhere, bootstraps h1, joins the other hosts with
// tokens from h1, sets up every underlay and prints the status seen by h1.
func formCluster(bed *testbed.Bed) error {
	for _, h := range bed.Hosts {
		if err := h.StartDaemon(); err != nil {
			return err
		}
	}

	log.Printf("microovnd runs on %d hosts", len(bed.Hosts))

	first := bed.Hosts[0]
	if _, err := microovn(first, "cluster", "bootstrap", "--name", first.Name,
		"--address", first.Addr.String(), "--encap-ip", first.EncapAddr.String()); err != nil {
		return err
	}

	for _, h := range bed.Hosts[1:] {
		if err := join(first, h); err != nil {
			return err
		}
	}

	for _, h := range bed.Hosts {
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		err := h.SetupUnderlay(ctx)
		cancel()

		if err != nil {
			return err
		}
	}

	log.Print("underlay bridge br-phy set up on every host")

	status, err := microovn(first, "status")
	fmt.Print(status)

	return err
}

// join requests a join token for host from first and joins host with it.
func join(first, host *testbed.Host) error {
	out, err := microovn(first, "cluster", "add", host.Name)
	if err != nil {
		return err
	}

	token := lastLine(out)
	if token == "" {
		return fmt.Errorf("microovn cluster add %s printed no token", host.Name)
	}

	_, err = microovn(host, "cluster", "join", token, "--name", host.Name,
		"--address", host.Addr.String(), "--encap-ip", host.EncapAddr.String())
	if err != nil {
		// The error quotes the command line: keep the token, a secret, out of it.
		return errors.New(strings.ReplaceAll(err.Error(), token, "TOKEN"))
	}

	return nil
}

// microovn runs the microovn client on host with a time limit and logs the command.
func microovn(host *testbed.Host, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()

	start := time.Now()
	out, err := host.MicroOVN(ctx, args...)
	if err != nil {
		return out, err
	}

	// The first two arguments name the command. A join token comes later, so it
	// stays out of the log.
	command := strings.Join(args[:min(len(args), 2)], " ")
	log.Printf("%s: microovn %s took %.2f s", host.Name, command, time.Since(start).Seconds())

	return out, nil
}

// lastLine returns the last line of out that is not blank, without spaces around it.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")

	return strings.TrimSpace(lines[len(lines)-1])
}
