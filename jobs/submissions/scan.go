package submissions

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// scanLine decodes a line in one pass over it, the fast way for the lines an
// autograder sends: the known fields once each, in any order, strings,
// numbers, booleans, lists and objects as JSON writes them. The strings it
// returns are slices of s, not copies (the line's one string holds them
// all), unless they carry escapes. Whenever it answers ok, the Line is what
// encoding/json would have decoded (FuzzScanLine holds it to that); anything
// else (a null, a repeated or unknown field, a field name in other case, bad
// JSON) is not ok, and Parse hands the line to encoding/json, which says
// what is wrong, naming the field. s must be UTF-8 (Parse checks it first).
func scanLine(s string) (l Line, ok bool) {
	sc := scanner{s: s}
	ok = sc.fields(func(key string) (uint, bool) {
		switch key {
		case "id":
			return 1 << 0, sc.str(&l.ID)
		case "assignment":
			return 1 << 1, sc.str(&l.Assignment)
		case "student":
			return 1 << 2, sc.str(&l.Student)
		case "commit":
			return 1 << 3, sc.str(&l.Commit)
		case "state":
			return 1 << 4, sc.str(&l.State)
		case "submitted_at":
			return 1 << 5, sc.str(&l.SubmittedAt)
		case "build":
			l.Build = &Build{}
			return 1 << 6, sc.build(l.Build)
		case "tests":
			return 1 << 7, sc.tests(&l.Tests)
		case "score":
			l.Score = new(float64)
			return 1 << 8, sc.number(l.Score)
		case "late":
			return 1 << 9, sc.boolean(&l.Late)
		}
		return 0, false
	})
	return l, ok && sc.end()
}

type scanner struct {
	s string
	i int
}

func (sc *scanner) space() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether the next byte is c, taking it.
func (sc *scanner) next(c byte) bool {
	sc.space()
	if sc.i < len(sc.s) && sc.s[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// end reports whether nothing but white space is left.
func (sc *scanner) end() bool {
	sc.space()
	return sc.i == len(sc.s)
}

// object reads an object whose field names have no escapes, calling field
// with each name for it to read the value.
func (sc *scanner) object(field func(key string) bool) bool {
	if !sc.next('{') {
		return false
	}
	if sc.next('}') {
		return true
	}
	for {
		sc.space()
		var key string
		if !sc.plainStr(&key) || !sc.next(':') {
			return false
		}
		sc.space()
		if !field(key) {
			return false
		}
		if sc.next('}') {
			return true
		}
		if !sc.next(',') {
			return false
		}
	}
}

// fields reads an object of known fields, each at most once: read reads
// the value of the field key and returns its bit (0 for no such field).
func (sc *scanner) fields(read func(key string) (bit uint, ok bool)) bool {
	var seen uint
	return sc.object(func(key string) bool {
		bit, ok := read(key)
		if !ok || bit == 0 || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

func (sc *scanner) build(b *Build) bool {
	return sc.fields(func(key string) (uint, bool) {
		switch key {
		case "passed":
			b.Passed = new(bool)
			return 1, sc.boolean(b.Passed)
		case "stdout":
			return 2, sc.str(&b.Stdout)
		}
		return 0, false
	})
}

func (sc *scanner) tests(ts *[]Test) bool {
	if !sc.next('[') {
		return false
	}
	*ts = []Test{}
	if sc.next(']') {
		return true
	}
	for {
		var t Test
		ok := sc.fields(func(key string) (uint, bool) {
			switch key {
			case "name":
				return 1, sc.str(&t.Name)
			case "passed":
				t.Passed = new(bool)
				return 2, sc.boolean(t.Passed)
			case "message":
				return 4, sc.str(&t.Message)
			case "stdout":
				return 8, sc.str(&t.Stdout)
			}
			return 0, false
		})
		if !ok {
			return false
		}
		*ts = append(*ts, t)
		if sc.next(']') {
			return true
		}
		if !sc.next(',') {
			return false
		}
	}
}

func (sc *scanner) boolean(v *bool) bool {
	switch rest := sc.s[sc.i:]; {
	case strings.HasPrefix(rest, "true"):
		*v, sc.i = true, sc.i+4
	case strings.HasPrefix(rest, "false"):
		*v, sc.i = false, sc.i+5
	default:
		return false
	}
	return true
}

// number reads a JSON number (the grammar checked here, the value by
// strconv as encoding/json does).
func (sc *scanner) number(v *float64) bool {
	s, start := sc.s, sc.i
	i := start
	digits := func() bool {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	f, err := strconv.ParseFloat(s[start:i], 64)
	if err != nil {
		return false
	}
	*v, sc.i = f, i
	return true
}

// plainStr reads a string without escapes (a field name).
func (sc *scanner) plainStr(v *string) bool {
	if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
		return false
	}
	rest := sc.s[sc.i+1:]
	q := strings.IndexByte(rest, '"')
	if q < 0 || strings.IndexByte(rest[:q], '\\') >= 0 || hasControl(rest[:q]) {
		return false
	}
	*v, sc.i = rest[:q], sc.i+1+q+1
	return true
}

// str reads a string value: a slice of the line when it has no escapes
// (most stdout), else a new string with them undone.
func (sc *scanner) str(v *string) bool {
	if sc.plainStr(v) {
		return true
	}
	if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
		return false
	}
	var b []byte
	s := sc.s
	for i := sc.i + 1; i < len(s); {
		// Copy the run up to the next quote or backslash at once.
		j := strings.IndexAny(s[i:], "\"\\")
		if j < 0 || hasControl(s[i:i+j]) {
			return false
		}
		b = append(b, s[i:i+j]...)
		i += j
		if s[i] == '"' {
			*v, sc.i = string(b), i+1
			return true
		}
		if i+1 >= len(s) {
			return false
		}
		switch c := s[i+1]; c {
		case '"', '\\', '/':
			b = append(b, c)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return false
			}
			i += 6
			// As encoding/json: a surrogate pair is one rune, a lone
			// surrogate is U+FFFD.
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s, i+2); ok && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return false
		}
		i += 2
	}
	return false
}

// hex4 reads the 4 hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 32)
	return rune(n), err == nil
}

// hasControl reports whether s holds a byte below 0x20, which JSON strings
// may not, 8 bytes at a time (stdout is long).
func hasControl(s string) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte of x is below 0x20 iff subtracting 0x20 borrows into its
		// top bit while that bit was clear.
		if (x-0x20*lo)&^x&hi != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if s[i] < 0x20 {
			return true
		}
	}
	return false
}
