package restore

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The rows of a data file have been checked as JSON by the decoder before
// they get here, so splitting an object into its fields and reading the
// plain values (strings without escapes, integers, booleans, times) needs
// no second validation: these fast paths give what encoding/json gives and
// hand anything else to it.

// splitObject puts the fields of obj, a JSON object, into f (the last of
// repeated names wins, as with json.Unmarshal into a map). It relies on obj
// being valid JSON for the values it returns, but on anything else it only
// returns an error or wrong fields, never runs past obj.
func splitObject(obj []byte, f map[string]json.RawMessage) error {
	malformed := errors.New("malformed object")
	if len(obj) < 2 || obj[0] != '{' {
		return malformed
	}
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] != '}' {
		if obj[i] != '"' {
			return malformed
		}
		end := stringEnd(obj, i)
		if end > len(obj) || end-i < 2 || obj[end-1] != '"' {
			return malformed
		}
		key := obj[i:end]
		name, ok := unquote(key[1 : len(key)-1])
		if !ok {
			if err := json.Unmarshal(key, &name); err != nil {
				return err
			}
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return malformed
		}
		i = skipSpace(obj, i+1)
		if i >= len(obj) {
			return malformed
		}
		vend := valueEnd(obj, i)
		if vend <= i || vend > len(obj) {
			return malformed
		}
		f[name] = obj[i:vend:vend]
		i = skipSpace(obj, vend)
		switch {
		case i < len(obj) && obj[i] == ',':
			i = skipSpace(obj, i+1)
		case i >= len(obj) || obj[i] != '}':
			return malformed
		}
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i] ('"'),
// or len(b) if it does not end.
func stringEnd(b []byte, i int) int {
	i++
	q := bytes.IndexByte(b[min(i, len(b)):], '"') + i // the next quote, found again once passed
	for i < len(b) {
		if q < i {
			q = bytes.IndexByte(b[i:], '"') + i
		}
		if q < i {
			return len(b)
		}
		e := bytes.IndexByte(b[i:q], '\\')
		if e < 0 {
			return q + 1
		}
		i += e + 2 // a backslash and the character it escapes
	}
	return len(b)
}

// valueEnd returns the index just past the value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}

// decodeValue decodes the valid JSON value v into dst like json.Unmarshal,
// taking a shortcut for the plain cases.
func decodeValue(v []byte, dst any) error {
	switch d := dst.(type) {
	case *string:
		if len(v) >= 2 && v[0] == '"' {
			if s, ok := unquote(v[1 : len(v)-1]); ok {
				*d = s
				return nil
			}
		}
	case *int64:
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil && v[0] != '+' {
			*d = n
			return nil
		}
	case *float64:
		if v[0] == '-' || v[0] >= '0' && v[0] <= '9' {
			if n, err := strconv.ParseFloat(string(v), 64); err == nil {
				*d = n
				return nil
			}
		}
	case *bool:
		switch string(v) {
		case "true":
			*d = true
			return nil
		case "false":
			*d = false
			return nil
		}
	case *time.Time:
		if v[0] == '"' {
			return d.UnmarshalJSON(v)
		}
	}
	return json.Unmarshal(v, dst)
}

// unquote decodes the inside of a valid JSON string that is valid UTF-8
// (ok is false otherwise: encoding/json decides those).
func unquote(s []byte) (string, bool) {
	if !utf8.Valid(s) {
		return "", false
	}
	i := bytes.IndexByte(s, '\\')
	if i < 0 {
		return string(s), true
	}
	var b strings.Builder // its String does not copy
	b.Grow(len(s))
	for i >= 0 {
		b.Write(s[:i])
		if i+1 >= len(s) {
			return "", false
		}
		switch c := s[i+1]; c {
		case '"', '\\', '/':
			b.WriteByte(c)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			// As encoding/json: a surrogate pair is one rune, a lone
			// surrogate is U+FFFD.
			r := hex4(s[i+2:])
			if r < 0 {
				return "", false
			}
			n := 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(s) >= i+12 && s[i+6] == '\\' && s[i+7] == 'u' {
					r2 = hex4(s[i+8:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r, n = dec, 12
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
			s = s[i+n:]
			i = bytes.IndexByte(s, '\\')
			continue
		default:
			return "", false
		}
		s = s[i+2:]
		i = bytes.IndexByte(s, '\\')
	}
	b.Write(s)
	return b.String(), true
}

// hex4 reads the 4 hex digits of a \u escape (-1 if they are not).
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
