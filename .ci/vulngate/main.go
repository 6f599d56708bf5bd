// Command vulngate reads govulncheck's JSON output on stdin and fails when
// our code calls a vulnerability that the allow-list file does not name.
// govulncheck has no suppression list of its own; .ci/vulncheck runs this.
//
//	govulncheck -format json ./... | go run .ci/vulngate/main.go .ci/govulncheck-allow
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// message is one object of govulncheck's JSON stream (protocol v1.0.0);
// only the fields the gate reads.
type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		DB             string `json:"db"`
		GoVersion      string `json:"go_version"`
		ScanLevel      string `json:"scan_level"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

// called is a vulnerability whose trace reaches a function our code calls:
// govulncheck's "Your code is affected" set. Findings that stop at the
// package or module are imported or required only, and do not fail the gate.
type called struct {
	id, summary, found, fixed string
}

func (v called) where() string {
	if v.fixed == "" {
		return "found in " + v.found + ", no fix released"
	}
	return "found in " + v.found + ", fixed in " + v.fixed
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: govulncheck -format json ./... | go run .ci/vulngate/main.go ALLOW-LIST-FILE")
		os.Exit(2)
	}
	allow, err := readAllowList(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	vulns, notCalled, err := readScan(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	failed := 0
	for _, v := range vulns {
		if reason, ok := allow[v.id]; ok {
			fmt.Printf("allowed  %s  %s (%s)\n         %s\n", v.id, v.summary, v.where(), reason)
			delete(allow, v.id)
			continue
		}
		failed++
		fmt.Printf("CALLED   %s  %s (%s)\n", v.id, v.summary, v.where())
	}
	for id := range allow {
		fmt.Printf("note: %s is on the allow-list but no longer called: remove it from %s\n", id, os.Args[1])
	}
	fmt.Printf("%d called vulnerabilities, %d allowed; %d more only imported or required (not called)\n", len(vulns), len(vulns)-failed, notCalled)
	if failed > 0 {
		fmt.Printf("FAIL: %d called vulnerabilities are not on %s: upgrade (go.mod's module or toolchain line) or, if there is no fix and we are not exposed, add the id with the reason\n", failed, os.Args[1])
		os.Exit(1)
	}
}

// readAllowList reads lines of "GO-YYYY-NNNN  why we accept it"; blank lines
// and # comments are skipped. An id without a reason is refused.
func readAllowList(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	allow := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if reason = strings.TrimSpace(reason); !strings.HasPrefix(id, "GO-") || reason == "" {
			return nil, fmt.Errorf("%s:%d: want \"GO-YYYY-NNNN  reason\", got %q", path, n, line)
		}
		allow[id] = reason
	}
	return allow, sc.Err()
}

// readScan returns the called vulnerabilities, sorted by id, and how many
// others the scan found only imported or required. It prints the scan's
// configuration: which scanner, database and Go version were used.
func readScan(r io.Reader) ([]called, int, error) {
	dec := json.NewDecoder(r)
	summaries := map[string]string{}
	byID := map[string]*called{}
	others := map[string]bool{}
	sawConfig := false
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, 0, fmt.Errorf("read govulncheck JSON: %w", err)
		}
		switch {
		case m.Config != nil:
			sawConfig = true
			fmt.Printf("govulncheck %s, %s scan with %s, database %s\n", m.Config.ScannerVersion, m.Config.ScanLevel, m.Config.GoVersion, m.Config.DB)
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f := m.Finding
			if f.Trace[0].Function == "" {
				others[f.OSV] = true
				continue
			}
			if byID[f.OSV] == nil {
				byID[f.OSV] = &called{id: f.OSV, found: f.Trace[0].Module + "@" + f.Trace[0].Version, fixed: f.FixedVersion}
			}
		}
	}
	if !sawConfig {
		return nil, 0, errors.New("no govulncheck config message: did the scan run?")
	}
	var vulns []called
	for id, v := range byID {
		v.summary = summaries[id]
		vulns = append(vulns, *v)
		delete(others, id)
	}
	sort.Slice(vulns, func(i, j int) bool { return vulns[i].id < vulns[j].id })
	return vulns, len(others), nil
}
