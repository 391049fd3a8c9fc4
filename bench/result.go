package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
)

// Flavor names which way a node was brought up.
type flavor string

const (
	microOVN flavor = "microovn"
	baseline flavor = "baseline"
)

// series is every run of one figure with its median, minimum and maximum.
type series struct {
	Runs   []float64 `json:"runs"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
}

// summarize fills in Median, Min and Max from Runs.
func (s *series) summarize() {
	if len(s.Runs) == 0 {
		return
	}

	sorted := slices.Clone(s.Runs)
	slices.Sort(sorted)
	s.Min = sorted[0]
	s.Max = sorted[len(sorted)-1]

	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		s.Median = sorted[mid]
	} else {
		s.Median = (sorted[mid-1] + sorted[mid]) / 2
	}
}

// result is one row of the table: a figure of MicroOVN and, where one makes sense,
// the same figure of the baseline measured in the same run.
type result struct {
	Name     string  `json:"name"`
	Unit     string  `json:"unit"`
	MicroOVN *series `json:"microovn,omitempty"`
	Baseline *series `json:"baseline,omitempty"`
	// Ratio is the median of MicroOVN divided by the median of the baseline.
	Ratio  float64  `json:"ratio,omitempty"`
	Note   string   `json:"note,omitempty"`
	Errors []string `json:"errors,omitempty"`
}

// recorder collects results in the order in which they first appear. It is safe
// for concurrent use.
type recorder struct {
	mu      sync.Mutex
	results []*result
	extras  map[string]any
}

func newRecorder() *recorder {
	return &recorder{extras: map[string]any{}}
}

// row returns the result called name, creating it with unit and note if needed.
// The caller holds mu.
func (r *recorder) row(name, unit string) *result {
	for _, res := range r.results {
		if res.Name == name {
			return res
		}
	}

	res := &result{Name: name, Unit: unit}
	r.results = append(r.results, res)

	return res
}

// add records one run of figure name for flavor f.
func (r *recorder) add(name, unit string, f flavor, value float64) {
	r.mu.Lock()
	defer r.mu.Unlock()

	res := r.row(name, unit)
	target := &res.MicroOVN
	if f == baseline {
		target = &res.Baseline
	}

	if *target == nil {
		*target = &series{}
	}

	(*target).Runs = append((*target).Runs, value)
}

// note sets the note of figure name, which explains what it covers.
func (r *recorder) note(name, unit, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()

	r.row(name, unit).Note = text
}

// fail records that a run of figure name failed with err.
func (r *recorder) fail(name, unit string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()

	res := r.row(name, unit)
	res.Errors = append(res.Errors, err.Error())
}

// extra stores a detail that is not a table row, such as a profile, under key.
func (r *recorder) extra(key string, value any) {
	r.mu.Lock()
	defer r.mu.Unlock()

	r.extras[key] = value
}

// summarize computes the medians and ratios of every result.
func (r *recorder) summarize() {
	r.mu.Lock()
	defer r.mu.Unlock()

	for _, res := range r.results {
		res.Ratio = 0
		if res.MicroOVN != nil {
			res.MicroOVN.summarize()
		}

		if res.Baseline != nil {
			res.Baseline.summarize()
		}

		if res.MicroOVN != nil && res.Baseline != nil && res.Baseline.Median > 0 {
			res.Ratio = res.MicroOVN.Median / res.Baseline.Median
		}
	}
}

// formatSeries returns "median (min-max) ×runs" or "-" for a missing series.
func formatSeries(s *series) string {
	if s == nil || len(s.Runs) == 0 {
		return "-"
	}

	if len(s.Runs) == 1 {
		return fmt.Sprintf("%s (1 run)", formatValue(s.Median))
	}

	return fmt.Sprintf("%s (%s-%s, %d runs)", formatValue(s.Median), formatValue(s.Min),
		formatValue(s.Max), len(s.Runs))
}

// formatValue prints v with three significant figures.
func formatValue(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// writeTable prints the results as an aligned table, followed by every error.
func (r *recorder) writeTable(w io.Writer) error {
	r.mu.Lock()
	defer r.mu.Unlock()

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BENCHMARK\tUNIT\tMICROOVN median (min-max)\tBASELINE median (min-max)\tRATIO")

	var failures []string
	for _, res := range r.results {
		ratio := "-"
		if res.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", res.Ratio)
		}

		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", res.Name, res.Unit, formatSeries(res.MicroOVN),
			formatSeries(res.Baseline), ratio)

		for _, e := range res.Errors {
			failures = append(failures, fmt.Sprintf("%s: %s", res.Name, firstLine(e)))
		}
	}

	if err := tw.Flush(); err != nil {
		return err
	}

	for _, f := range failures {
		fmt.Fprintln(w, "FAILED "+f)
	}

	return nil
}

// firstLine returns s up to its first newline, for a one-line summary of an error.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")

	return line
}

// report is the JSON file that one run of the benchmark writes.
type report struct {
	Started  string            `json:"started"`
	Finished string            `json:"finished,omitempty"`
	Quick    bool              `json:"quick"`
	Command  string            `json:"command"`
	Machine  machine           `json:"machine"`
	Versions map[string]string `json:"versions"`
	Git      gitInfo           `json:"git"`
	Results  []*result         `json:"results"`
	Details  map[string]any    `json:"details"`
}

// writeJSON writes rep with the current results to path, through a temporary file
// so that a reader never sees half a file.
func (r *recorder) writeJSON(path string, rep report) error {
	r.summarize()

	r.mu.Lock()
	rep.Results = r.results
	rep.Details = r.extras
	data, err := json.MarshalIndent(rep, "", "  ")
	r.mu.Unlock()

	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create results folder: %w", err)
	}

	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}

	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write results: %w", err)
	}

	return nil
}
