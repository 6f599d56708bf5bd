package archive

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// NewRowScanner reads the data file in r (see RowScanner).
func NewRowScanner(r io.Reader) *RowScanner {
	return &RowScanner{r: r, buf: make([]byte, 0, 64<<10)}
}

// ScanError says where (byte Off of the stream) and how a data file is not
// a JSON array of objects.
type ScanError struct {
	Off     int64
	Problem string
}

func (p *ScanError) Error() string { return p.Problem }

// RowScanner cuts the elements of a top-level JSON array out of a stream
// without decoding them: it follows only brackets and strings, so what it
// returns still has to be checked as JSON. It holds one element at a time.
// Errors from the reader are returned as they are.
type RowScanner struct {
	r        io.Reader
	buf      []byte // unread input is buf[pos:]
	pos      int
	off      int64 // stream offset of buf[0]
	eof      bool
	started  bool // past the opening [
	elements int
}

// fill reads more input, keeping buf[keep:]; it reports false at the end.
func (s *RowScanner) fill(keep int) (bool, error) {
	if s.eof {
		return false, nil
	}
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:])
		s.buf = s.buf[:n]
		s.pos -= keep
		s.off += int64(keep)
	}
	if len(s.buf) == cap(s.buf) {
		s.buf = append(s.buf, make([]byte, cap(s.buf))...)[:len(s.buf)]
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err == io.EOF {
		s.eof = true
		return n > 0, nil
	}
	return true, err
}

// skipSpace moves past whitespace and returns the next byte (0 at the end).
func (s *RowScanner) skipSpace() (byte, error) {
	for {
		for s.pos < len(s.buf) {
			switch c := s.buf[s.pos]; c {
			case ' ', '\n', '\t', '\r':
				s.pos++
			default:
				return c, nil
			}
		}
		if more, err := s.fill(s.pos); err != nil || !more {
			return 0, err
		}
	}
}

func (s *RowScanner) problem(problem string) error {
	return &ScanError{Off: s.off + int64(s.pos), Problem: problem}
}

// Next returns the next element and its stream offset, or nil after the
// closing ] (having read to the end, where only whitespace may follow).
func (s *RowScanner) Next() ([]byte, int64, error) {
	c, err := s.skipSpace()
	if err != nil {
		return nil, 0, err
	}
	if !s.started {
		if c != '[' {
			if c == 0 {
				return nil, 0, s.problem("not a JSON array: the file ends too early")
			}
			return nil, 0, s.problem("not a JSON array")
		}
		s.started = true
		s.pos++
		if c, err = s.skipSpace(); err != nil {
			return nil, 0, err
		}
	} else if c == ',' && s.elements > 0 {
		s.pos++
		if c, err = s.skipSpace(); err != nil {
			return nil, 0, err
		}
		if c == ']' {
			return nil, 0, s.problem("invalid character ']' looking for beginning of value")
		}
	} else if c != ']' && c != 0 {
		return nil, 0, s.problem(fmt.Sprintf("invalid character %q after array element", c))
	}
	switch {
	case c == 0:
		return nil, 0, s.problem("the file ends too early")
	case c == ']':
		s.pos++
		c, err := s.skipSpace()
		if err != nil {
			return nil, 0, err
		}
		if c != 0 {
			return nil, 0, s.problem("unexpected content after the array")
		}
		return nil, 0, nil
	case c != '{' && strings.IndexByte(`"-0123456789tfn[`, c) >= 0:
		return nil, 0, s.problem("want an object")
	case c != '{':
		return nil, 0, s.problem(fmt.Sprintf("invalid character %q looking for beginning of value", c))
	}
	return s.element()
}

// element returns the object starting at buf[pos] ('{'), up to its
// matching bracket (or, if the brackets do not match, the end of the file).
// Each byte is looked at once, however the input is split into reads.
func (s *RowScanner) element() ([]byte, int64, error) {
	start := s.pos
	i, depth, inString, q := s.pos, 0, false, -1
	for {
		for i < len(s.buf) {
			if inString {
				// q is the next quote (len(buf): none read yet), found
				// again only once passed, so a string with many escapes
				// is still scanned once.
				if q < i {
					q = len(s.buf)
					if k := bytes.IndexByte(s.buf[i:], '"'); k >= 0 {
						q = i + k
					}
				}
				if e := bytes.IndexByte(s.buf[i:q], '\\'); e >= 0 {
					i += e
					if i+1 >= len(s.buf) {
						break // the escaped character is not read yet
					}
					i += 2
					continue
				}
				i = q
				if i == len(s.buf) {
					break
				}
				inString = false
				i++
				continue
			}
			switch s.buf[i] {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			i++
			if depth <= 0 {
				s.pos = i
				s.elements++
				return s.buf[start:i:i], s.off + int64(start), nil
			}
		}
		more, err := s.fill(start)
		if err != nil {
			return nil, 0, err
		}
		i -= start
		start, q = 0, -1
		if !more {
			s.pos = i
			return nil, 0, s.problem("the file ends too early")
		}
	}
}
