// Package csvfile reads the CSV files people export from spreadsheets and
// learning platforms, as they come: a byte-order mark, comma, semicolon or
// tab delimiters, CRLF, quoted newlines, and limits on size and rows.
package csvfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinels a *FileError wraps, for errors.Is.
var (
	ErrTooLarge    = errors.New("file too large")
	ErrTooManyRows = errors.New("too many rows")
)

// FileError refuses a whole file (not one line); its message is for people.
// Two FileErrors wrapping the same sentinel are the same refusal for errors.Is.
type FileError struct {
	Msg string
	Err error // ErrTooLarge, ErrTooManyRows or nil
}

func (e *FileError) Error() string { return e.Msg }
func (e *FileError) Unwrap() error { return e.Err }

// Is matches another *FileError with the same sentinel.
func (e *FileError) Is(target error) bool {
	t, ok := target.(*FileError)
	return ok && e.Err != nil && t.Err == e.Err
}

// Refuse is a *FileError with a formatted message.
func Refuse(format string, args ...any) error {
	return &FileError{Msg: fmt.Sprintf(format, args...)}
}

// LineError is one bad line of a file: its (starting) line number, the
// column at fault and the reason, in words. Line 0 is about the whole file.
type LineError struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func (e LineError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d, column %q: %s", e.Line, e.Column, e.Message)
}

// Options describe one kind of file.
type Options struct {
	What    string // "roster file": how messages name the file
	Rows    string // "people": how messages name its records
	MaxSize int64  // bytes
	MaxRows int    // records after the header
	// Known reports whether a normalised header is one the reader
	// recognises; the delimiter that gives the header most of them wins.
	Known func(normalised string) bool
}

// TooLarge and TooManyRows are the limits' refusals for files like o.
func (o Options) TooLarge() error {
	return &FileError{Msg: fmt.Sprintf("the %s is larger than %d MiB", o.What, o.MaxSize>>20), Err: ErrTooLarge}
}

func (o Options) TooManyRows() error {
	return &FileError{Msg: fmt.Sprintf("the %s has more than %d %s", o.What, o.MaxRows, o.Rows), Err: ErrTooManyRows}
}

// Reader reads one file record by record.
type Reader struct {
	o    Options
	cr   *csv.Reader
	rows int
	head bool // the header was read
}

// Open prepares r for reading: it skips a UTF-8 byte-order mark, refuses
// UTF-16 and picks the delimiter from the first line.
func Open(r io.Reader, o Options) (*Reader, error) {
	br := bufio.NewReaderSize(&limitReader{r: r, left: o.MaxSize}, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	} else if len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff) {
		return nil, Refuse(`the %s is UTF-16 text (Excel's "Unicode text"): save it as "CSV UTF-8" and upload that`, o.What)
	}
	head, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	cr := csv.NewReader(br)
	cr.Comma = sniff(head, o.Known)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &Reader{o: o, cr: cr}, nil
}

// Header reads the first record. An empty file is io.EOF; a header that is
// not CSV is a *FileError.
func (r *Reader) Header() ([]string, error) {
	rec, err := r.cr.Read()
	r.head = true
	if err == io.EOF {
		return nil, io.EOF
	}
	if errors.Is(err, errTooLarge) {
		return nil, r.o.TooLarge()
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, Refuse("the header line is not valid CSV: %s", reason(pe.Err))
	}
	if err != nil {
		return nil, fmt.Errorf("read the %s: %w", r.o.What, err)
	}
	return append([]string(nil), rec...), nil
}

// Next reads the next record after the header and the line it starts on.
// A bad record (not CSV, not UTF-8) is a LineError: report it and go on.
// The end is io.EOF; a limit or a reader's failure ends the file with an
// error. The record is reused by the next call.
func (r *Reader) Next() (rec []string, line int, err error) {
	if !r.head {
		if _, err := r.Header(); err != nil {
			return nil, 0, err
		}
	}
	rec, err = r.cr.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if errors.Is(err, errTooLarge) {
		return nil, 0, r.o.TooLarge()
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, pe.StartLine, LineError{Line: pe.StartLine, Message: "not valid CSV: " + reason(pe.Err)}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read the %s: %w", r.o.What, err)
	}
	if r.rows++; r.o.MaxRows > 0 && r.rows > r.o.MaxRows {
		return nil, 0, r.o.TooManyRows()
	}
	line, _ = r.cr.FieldPos(0)
	for _, v := range rec {
		if !utf8.ValidString(v) {
			return nil, line, LineError{Line: line, Message: `the line is not UTF-8 text: save the file as "CSV UTF-8"`}
		}
	}
	return rec, line, nil
}

// Errors collects a file's bad lines up to Max; the rest are counted in one
// last error.
type Errors struct {
	Max     int
	List    []LineError
	dropped int
}

// Add keeps e, or counts it when Max are kept.
func (l *Errors) Add(e LineError) {
	if len(l.List) < l.Max {
		l.List = append(l.List, e)
	} else {
		l.dropped++
	}
}

// Done returns the list, with "and N more bad lines" when some were dropped.
func (l *Errors) Done() []LineError {
	if l.dropped > 0 {
		return append(l.List, LineError{Message: fmt.Sprintf("and %d more bad lines", l.dropped)})
	}
	return l.List
}

// Normalise keeps the letters and digits of s, in lower case: "Email
// address", "email_address" and "\ufeffE-mail Address" become "emailaddress".
func Normalise(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// sniff picks the delimiter that gives the header line the most known
// headers: comma, semicolon (spreadsheets in many locales) or tab.
func sniff(head []byte, known func(string) bool) rune {
	best, bestN := ',', -1
	for _, d := range []rune{',', ';', '\t'} {
		n := 0
		for _, h := range strings.Split(string(head), string(d)) {
			if known != nil && known(Normalise(h)) {
				n++
			}
		}
		if n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

func reason(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a " inside a field that is not in quotes (quote the field and double the ")`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted field does not end with a " before the next delimiter or the end of the file`
	}
	return err.Error()
}

var errTooLarge = errors.New("too large")

// limitReader fails once more than left bytes were read.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, errTooLarge
	}
	return n, err
}

// SortByLine orders errors by line, keeping the order within a line; the
// "and N more" error (line 0) stays last.
func SortByLine(errs []LineError) {
	sort.SliceStable(errs, func(i, j int) bool {
		li, lj := errs[i].Line, errs[j].Line
		return li != 0 && (lj == 0 || li < lj)
	})
}
