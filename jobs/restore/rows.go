package restore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"coursevault/jobs/archive"
)

// ShapeError says which row and field of a data file is wrong, and how:
// `data/scores.json line 12: field "fraction": want a number or null`.
// Field is "" when the whole row (or file) is wrong. Syntax marks a file
// that is not a JSON array of objects at all, worded as archive.VerifyEntry
// words it: `archive: entry data/scores.json: not a JSON array of objects:
// line 12: the file ends too early`.
type ShapeError struct {
	File    string
	Line    int
	Field   string
	Problem string
	Syntax  bool
}

func (e *ShapeError) Error() string {
	if e.Syntax {
		return fmt.Sprintf("archive: entry %s: not a JSON array of objects: line %d: %s", e.File, e.Line, e.Problem)
	}
	if e.Field == "" {
		return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Problem)
	}
	return fmt.Sprintf("%s line %d: field %q: %s", e.File, e.Line, e.Field, e.Problem)
}

// row is one object of a data file being read. Its getters record the first
// problem in err and return zero values after it, so a parser reads every
// field in a straight line and checks err once.
type row struct {
	file string
	line int
	f    map[string]json.RawMessage
	err  error
	// checking is set on the check pass's read, which only looks at
	// output's type: its value (kilobytes of stdout a row) is not kept.
	checking bool
}

func (r *row) fail(field, problem string) {
	if r.err == nil {
		r.err = &ShapeError{File: r.file, Line: r.line, Field: field, Problem: problem}
	}
}

// get returns a field's raw value; nullOK says whether null is acceptable.
func (r *row) get(name, want string, nullOK bool) (json.RawMessage, bool) {
	if r.err != nil {
		return nil, false
	}
	v, ok := r.f[name]
	if !ok {
		r.fail(name, "missing (want "+want+")")
		return nil, false
	}
	if string(v) == "null" {
		if !nullOK {
			r.fail(name, "want "+want)
		}
		return nil, false
	}
	return v, true
}

func (r *row) decode(name, want string, nullOK bool, dst any) bool {
	v, ok := r.get(name, want, nullOK)
	if !ok {
		return false
	}
	if err := decodeValue(v, dst); err != nil {
		r.fail(name, "want "+want)
		return false
	}
	return true
}

func (r *row) id(name string) int64 {
	var v int64
	if r.decode(name, "a positive integer id", false, &v) && v <= 0 {
		r.fail(name, "want a positive integer id")
	}
	return v
}

func (r *row) optID(name string) *int64 {
	var v int64
	if !r.decode(name, "a positive integer id or null", true, &v) {
		return nil
	}
	if v <= 0 {
		r.fail(name, "want a positive integer id or null")
	}
	return &v
}

func (r *row) integer(name string) int64 {
	var v int64
	r.decode(name, "an integer", false, &v)
	return v
}

func (r *row) str(name string) string {
	var v string
	r.decode(name, "a string", false, &v)
	return v
}

func (r *row) nonEmpty(name string) string {
	v := r.str(name)
	if r.err == nil && strings.TrimSpace(v) == "" {
		r.fail(name, "want a non-empty string")
	}
	return v
}

func (r *row) oneOf(name string, allowed ...string) string {
	want := "one of " + strings.Join(allowed, ", ")
	var v string
	if r.decode(name, want, false, &v) {
		for _, a := range allowed {
			if v == a {
				return v
			}
		}
		r.fail(name, fmt.Sprintf("%q is not %s", v, want))
	}
	return v
}

// optStr is for stdout, absent when the archive was made without it.
func (r *row) optStr(name string) *string {
	if _, ok := r.f[name]; !ok {
		return nil
	}
	var v string
	if !r.decode(name, "a string or null", true, &v) {
		return nil
	}
	return &v
}

// output is build or test output: a string, absent when the archive was
// made without it (read as "").
func (r *row) output(name string) string {
	if r.checking {
		if v, ok := r.f[name]; ok && len(v) > 0 && v[0] != '"' && string(v) != "null" {
			r.fail(name, "want a string or null")
		}
		return ""
	}
	if s := r.optStr(name); s != nil {
		return *s
	}
	return ""
}

func (r *row) boolean(name string) bool {
	var v bool
	r.decode(name, "true or false", false, &v)
	return v
}

func (r *row) number(name string) float64 {
	var v float64
	r.decode(name, "a number", false, &v)
	return v
}

func (r *row) optNumber(name string) *float64 {
	var v float64
	if !r.decode(name, "a number or null", true, &v) {
		return nil
	}
	return &v
}

func (r *row) time(name string) time.Time {
	var v time.Time
	r.decode(name, "an RFC 3339 time", false, &v)
	return v.UTC()
}

func (r *row) optTime(name string) *time.Time {
	var v time.Time
	if !r.decode(name, "an RFC 3339 time or null", true, &v) {
		return nil
	}
	v = v.UTC()
	return &v
}

// eachRow streams the objects of one data file from src, calling fn with
// each (the row is reused: fn must not keep it). It refuses anything but a
// JSON array of objects, naming the line where it went wrong. src must end
// with an error if its bytes differ from what the manifest declares.
//
// Rows are cut out of the stream by their brackets and quotes (archive.RowScanner),
// then each is checked as JSON once (validJSON) and split into its fields
// (splitObject): one validation per byte instead of the several a
// json.Decoder and json.Unmarshal into a map take. The check pass's read is
// the data file's only JSON validation (openArchive leaves data files to it).
// Without verify, the bytes were validated before (by the check pass) and src
// ends with an error unless they are the same ones (sha256): the validation
// is not repeated, and a row that changed meanwhile fails at that end.
// checking is the check pass's read, which does not keep outputs (row.checking).
func eachRow(name string, src io.Reader, verify, checking bool, fn func(r *row) error) error {
	lr := &lineReader{r: src}
	sc := archive.NewRowScanner(lr)
	bad := func(line int, problem string) error {
		return &ShapeError{File: name, Line: line, Problem: problem, Syntax: true}
	}
	r := &row{file: name, f: map[string]json.RawMessage{}, checking: checking}
	for {
		raw, start, err := sc.Next()
		var pe *archive.ScanError
		switch {
		case errors.As(err, &pe):
			return bad(lr.lineAt(pe.Off), pe.Problem)
		case err != nil:
			return err
		case raw == nil:
			return nil
		}
		r.line, r.err = lr.lineAt(start), nil
		clear(r.f)
		if raw[0] != '{' {
			return bad(r.line, "want an object")
		}
		if verify && !validJSON(raw) {
			var m map[string]json.RawMessage
			err := json.Unmarshal(raw, &m)
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return bad(lr.lineAt(start+se.Offset), jsonProblem(err))
			}
			return bad(r.line, "want an object: "+jsonProblem(err))
		}
		if err := splitObject(raw, r.f); err != nil {
			return bad(r.line, "want an object: "+jsonProblem(err))
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

// jsonProblem words a decoding error without the package prefix.
func jsonProblem(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the file ends too early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// lineReader remembers where the newlines are in what the JSON decoder has
// read ahead, so a byte offset can be turned into a line number. Offsets are
// asked for in increasing order, so only newlines past the last one asked for
// are kept.
type lineReader struct {
	r      io.Reader
	off    int64   // bytes read so far
	nl     []int64 // offsets of newlines not yet counted
	passed int     // newlines before the last offset asked for
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		l.nl = append(l.nl, l.off+int64(i+j))
		i += j + 1
	}
	l.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line holding offset off.
func (l *lineReader) lineAt(off int64) int {
	i := 0
	for i < len(l.nl) && l.nl[i] < off {
		i++
	}
	l.passed += i
	l.nl = l.nl[i:]
	return l.passed + 1
}
