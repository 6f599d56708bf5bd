package dbcopy

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// kind is how a column's values are compared and sent: by the PostgreSQL
// column's type, since SQLite's are only affinities.
type kind byte

const (
	kindInt   kind = 'i'
	kindFloat kind = 'f'
	kindText  kind = 't'
	kindBytes kind = 'b'
	kindTime  kind = 'T'
)

func kindOf(dataType, udt string) (kind, error) {
	switch dataType {
	case "bigint", "integer", "smallint":
		return kindInt, nil
	case "double precision", "real":
		return kindFloat, nil
	case "text", "character varying", "character":
		return kindText, nil
	case "bytea":
		return kindBytes, nil
	case "timestamp with time zone", "timestamp without time zone":
		return kindTime, nil
	case "USER-DEFINED":
		if udt == "citext" {
			return kindText, nil
		}
	}
	return 0, fmt.Errorf("type %s (%s) is one db copy does not know", dataType, udt)
}

// timeLayouts are the text forms SQLite may hold a DATETIME in, when the
// driver did not already read it as a time.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// convert turns a value read from either database into the Go value of its
// kind (int64, float64, string, []byte, time.Time, or nil for NULL): what
// COPY sends and what the checksum reads. Times keep microseconds, as
// PostgreSQL does, in UTC.
func convert(k kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case kindInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
				return int64(x), nil
			}
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
		}
	case kindFloat:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, nil
			}
		}
	case kindText:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	case kindBytes:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case kindTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Truncate(time.Microsecond), nil
		case string:
			for _, l := range timeLayouts {
				if t, err := time.Parse(l, x); err == nil {
					return t.UTC().Truncate(time.Microsecond), nil
				}
			}
		}
	}
	return nil, fmt.Errorf("the value %.40q (%T) does not fit a %s column", fmt.Sprint(v), v, k)
}

func (k kind) String() string {
	return map[kind]string{kindInt: "integer", kindFloat: "float", kindText: "text", kindBytes: "binary", kindTime: "time"}[k]
}

// rowHash is the sha256 of one row: each value as its kind, its length and
// its normalized bytes (integers in decimal, floats in Go's shortest form,
// times as UTC RFC 3339 with microseconds), NULL as its own marker.
type rowHash struct {
	h   hash.Hash
	buf []byte
}

func newRowHash() rowHash { return rowHash{h: sha256.New()} }

func (r *rowHash) add(k kind, v any) {
	var b []byte
	switch x := v.(type) {
	case nil:
		r.h.Write([]byte{'N'})
		return
	case int64:
		b = strconv.AppendInt(r.buf[:0], x, 10)
	case float64:
		b = strconv.AppendFloat(r.buf[:0], x, 'g', -1, 64)
	case string:
		b = []byte(x)
	case []byte:
		b = x
	case time.Time:
		b = x.AppendFormat(r.buf[:0], "2006-01-02T15:04:05.000000Z")
	}
	var head [9]byte
	head[0] = byte(k)
	binary.BigEndian.PutUint64(head[1:], uint64(len(b)))
	r.h.Write(head[:])
	r.h.Write(b)
}

func (r *rowHash) sum() [32]byte {
	var s [32]byte
	r.h.Sum(s[:0])
	return s
}

// checksum is a table's rows' hashes added up modulo 2^256: the same rows
// give the same sum in any order, so neither side has to sort (text keys
// sort differently in SQLite and under PostgreSQL's collations), and a
// repeated row still counts.
type checksum [4]uint64

func (c *checksum) add(h [32]byte) {
	var carry uint64
	for i := 3; i >= 0; i-- {
		c[i], carry = bits.Add64(c[i], binary.BigEndian.Uint64(h[i*8:]), carry)
	}
}

func (c checksum) hex() string {
	var b [32]byte
	for i, w := range c {
		binary.BigEndian.PutUint64(b[i*8:], w)
	}
	return hex.EncodeToString(b[:])
}
