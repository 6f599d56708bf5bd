package submissions

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"coursevault/db"
)

// Line is one submission as an autograder sends it, one JSON object a line.
type Line struct {
	ID          string   `json:"id"`
	Assignment  string   `json:"assignment"` // the assignment's key
	Student     string   `json:"student"`    // email or student id
	Commit      string   `json:"commit"`
	State       string   `json:"state"`
	SubmittedAt string   `json:"submitted_at"` // RFC 3339
	Build       *Build   `json:"build"`
	Tests       []Test   `json:"tests"`
	Score       *float64 `json:"score"` // fraction 0..1 of the assignment's points
	Late        bool     `json:"late"`

	submittedAt time.Time
}

// Build is a submission's build outcome.
type Build struct {
	Passed *bool  `json:"passed"`
	Stdout string `json:"stdout"`
}

// Test is one test's outcome.
type Test struct {
	Name    string `json:"name"`
	Passed  *bool  `json:"passed"`
	Message string `json:"message"`
	Stdout  string `json:"stdout"`
}

// maxText bounds the short fields (id, assignment, student, commit, test names).
const maxText = 512

var states = map[string]bool{
	db.SubmissionQueued: true, db.SubmissionBuilding: true, db.SubmissionTesting: true,
	db.SubmissionPassed: true, db.SubmissionFailed: true, db.SubmissionError: true,
}

// size is the bytes of text a line carries, for sizing batches.
func (l *Line) size() int {
	n := len(l.ID) + len(l.Commit) + 64
	if l.Build != nil {
		n += len(l.Build.Stdout)
	}
	for _, t := range l.Tests {
		n += len(t.Name) + len(t.Message) + len(t.Stdout) + 32
	}
	return n
}

// rows is the number of rows a line writes.
func (l *Line) rows() int {
	n := 1 + len(l.Tests)
	if l.Build != nil {
		n++
	}
	if l.Score != nil {
		n++
	}
	return n
}

// Parse decodes and checks one line strictly: unknown fields, a second value
// on the line, a missing or malformed field and stdout over maxStdout bytes
// are errors that name the field.
func Parse(line []byte, maxStdout int) (Line, error) {
	var l Line
	if !utf8.Valid(line) {
		return l, errors.New("the line is not UTF-8 text")
	}
	// One copy of the line, whose slices the strings of the Line are.
	if l, ok := scanLine(string(line)); ok {
		return l, l.check(maxStdout)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return l, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return l, errors.New("more than one JSON value on the line: send one submission per line")
	}
	return l, l.check(maxStdout)
}

// jsonError says what is wrong with a line's JSON, naming the field.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return fmt.Errorf("the line must be a JSON object, not a JSON %s", typ.Value)
		}
		return fmt.Errorf("field %q: must be %s, not a JSON %s", field, kindOf(typ.Type.String()), typ.Value)
	case errors.As(err, &syn):
		return fmt.Errorf("not valid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("the JSON object is cut short")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s (the fields are id, assignment, student, commit, state, submitted_at, build, tests, score, late)", f)
	}
	return fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func kindOf(goType string) string {
	switch {
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.Contains(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.Contains(goType, "string"):
		return "a string"
	}
	return "an object"
}

func (l *Line) check(maxStdout int) error {
	for _, f := range []struct{ name, v string }{
		{"id", l.ID}, {"assignment", l.Assignment}, {"student", l.Student}, {"commit", l.Commit}, {"state", l.State}, {"submitted_at", l.SubmittedAt},
	} {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Errorf("field %q is missing or empty", f.name)
		}
		if len(f.v) > maxText {
			return fmt.Errorf("field %q: %d bytes, more than %d", f.name, len(f.v), maxText)
		}
	}
	if !states[l.State] {
		return fmt.Errorf("field \"state\": %q is not one of queued, building, testing, passed, failed, error", l.State)
	}
	t, err := time.Parse(time.RFC3339, l.SubmittedAt)
	if err != nil {
		return fmt.Errorf("field \"submitted_at\": %q is not an RFC 3339 time such as 2026-11-02T09:00:00Z", l.SubmittedAt)
	}
	l.submittedAt = t.UTC()
	if l.Score != nil && (*l.Score < 0 || *l.Score > 1) {
		return fmt.Errorf("field \"score\": %g is not a fraction from 0 to 1", *l.Score)
	}
	if l.Build != nil {
		if l.Build.Passed == nil {
			return errors.New(`field "build.passed" is missing`)
		}
		if err := checkStdout("build.stdout", l.Build.Stdout, maxStdout); err != nil {
			return err
		}
	}
	for i, t := range l.Tests {
		field := fmt.Sprintf("tests[%d]", i)
		switch {
		case strings.TrimSpace(t.Name) == "":
			return fmt.Errorf("field %q is missing or empty", field+".name")
		case len(t.Name) > maxText:
			return fmt.Errorf("field %q: %d bytes, more than %d", field+".name", len(t.Name), maxText)
		case t.Passed == nil:
			return fmt.Errorf("field %q is missing", field+".passed")
		}
		if err := checkStdout(field+".stdout", t.Stdout, maxStdout); err != nil {
			return err
		}
		if err := checkStdout(field+".message", t.Message, maxStdout); err != nil {
			return err
		}
	}
	return nil
}

func checkStdout(field, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("field %q: %s of output, more than the %s allowed per result (--ingest-max-stdout)", field, mib(int64(len(s))), mib(int64(max)))
	}
	return nil
}

// mib writes a byte count for people.
func mib(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	if n >= 1<<10 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// lineReader reads a body a line at a time without ever holding more than
// max bytes of one line: a longer line is skipped up to its newline
// (bufio.Scanner would stop the whole read instead).
type lineReader struct {
	br      *bufio.Reader
	max     int
	buf     []byte
	n       int // number of the line last returned, from 1
	tooLong bool
}

// keepCap is the buffer kept between lines; a larger one (after a long
// line) is dropped so memory goes back to a few KiB.
const keepCap = 1 << 20

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its line ending, valid until the next
// call. A line over max bytes comes back with tooLong set and only its
// first bytes (enough to tell what it is). io.EOF at the end.
func (lr *lineReader) next() ([]byte, error) {
	if cap(lr.buf) > keepCap {
		lr.buf = nil
	}
	lr.buf, lr.tooLong = lr.buf[:0], false
	read := 0
	for {
		frag, err := lr.br.ReadSlice('\n')
		if read == 0 && err == nil && len(frag) <= lr.max+2 {
			return lr.line(frag), nil // the whole line in the buffer: no copy
		}
		read += len(frag)
		if !lr.tooLong {
			if len(lr.buf)+len(frag) <= lr.max+2 { // room for "\r\n"
				lr.buf = append(lr.buf, frag...)
			} else {
				lr.tooLong = true
				if len(lr.buf) < 64 {
					lr.buf = append(lr.buf, frag[:min(len(frag), 64)]...)
				}
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if read == 0 {
				return nil, io.EOF
			}
			break
		}
		if err != nil {
			return nil, err
		}
		break
	}
	return lr.line(lr.buf), nil
}

// line counts a line read whole and returns it without its line ending.
func (lr *lineReader) line(b []byte) []byte {
	lr.n++
	line := bytes.TrimSuffix(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > lr.max {
		lr.tooLong = true
	}
	return line
}
