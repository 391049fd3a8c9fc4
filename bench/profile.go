package main

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxProfileEvents bounds the log lines kept for one profile.
const maxProfileEvents = 60

// event is one step of a profile, at Offset seconds after the measured command began.
type event struct {
	Offset float64 `json:"offset_s"`
	Event  string  `json:"event"`
}

// parsePhases reads the "phase NAME UNIX_TIME" lines that baseline.sh prints.
func parsePhases(out string) map[string]time.Time {
	phases := map[string]time.Time{}
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) != 3 || fields[0] != "phase" {
			continue
		}

		seconds, err := strconv.ParseFloat(fields[2], 64)
		if err != nil {
			continue
		}

		phases[fields[1]] = time.Unix(0, int64(seconds*1e9))
	}

	return phases
}

// phaseEvents turns the phases of baseline.sh into a profile relative to start.
func phaseEvents(phases map[string]time.Time, start time.Time) []event {
	events := make([]event, 0, len(phases))
	for name, at := range phases {
		events = append(events, event{Offset: at.Sub(start).Seconds(), Event: "baseline.sh " + name})
	}

	sort.Slice(events, func(i, j int) bool { return events[i].Offset < events[j].Offset })

	return events
}

// logEvents returns the lines of the microovnd log of n that carry a time between
// start and end, relative to start. The log is in Go's log/slog text form, whose
// lines begin with time=RFC3339; other lines are skipped.
func logEvents(n *node, start, end time.Time) []event {
	file, err := os.Open(filepath.Join(n.host.Root, "logs", "microovnd.log"))
	if err != nil {
		return []event{{Event: "log not readable: " + err.Error()}}
	}
	defer file.Close()

	var events []event
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() && len(events) < maxProfileEvents {
		line := scanner.Text()
		stamp, rest, found := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		if !found || !strings.HasPrefix(line, "time=") {
			continue
		}

		at, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil || at.Before(start) || at.After(end) {
			continue
		}

		rest = strings.TrimPrefix(rest, "level=INFO ")
		events = append(events, event{Offset: at.Sub(start).Seconds(), Event: rest})
	}

	return events
}
