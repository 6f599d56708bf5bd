package restore

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The fast paths read every value exactly as encoding/json does, and
// refuse what it refuses.
func TestFields_readLikeEncodingJSON(t *testing.T) {
	objects := []string{
		`{}`,
		`{ "a" : 1 , "b":"x" }`,
		`{"s":"plain","e":"tab\there \u00e9 \"q\" \\","u":"caf\u00e9"}`,
		`{"esc":"a\nb\r\n\tc\\\/d\"e\bf\fg","end":"x\\","only":"\n","pair":"\ud83d\ude00","lone":"\ud800","lone2":"\ud800x","rev":"\ude00\ud83d","two":"\ud800\u0041","html":"\u003cb\u003e \u0026 \u00E9\u2028"}`,
		"{\"bad\":\"\xff\xfe\",\"\xffkey\":1}",
		`{"i":-42,"big":9223372036854775807,"over":9223372036854775808,"f":1.5e3,"fi":1e2,"neg0":-0,"exp":1E400}`,
		`{"t":true,"f":false,"n":null,"nested":{"a":[1,{"b":"}"}],"c":"]"},"arr":[[],{}]}`,
		`{"time":"2026-03-04T05:06:07.123+02:00","badtime":"2026-13-01T00:00:00Z","numtime":5}`,
		`{"dup":1,"dup":2,"k\u0065y":"escaped name","é":"unicode name"}`,
		"{\n\t\"ws\"\r\n:\n\"x\"\n}",
	}
	targets := []func() any{
		func() any { return new(string) }, func() any { return new(int64) }, func() any { return new(float64) },
		func() any { return new(bool) }, func() any { return new(time.Time) },
	}
	for _, obj := range objects {
		if !json.Valid([]byte(obj)) {
			t.Fatalf("not valid JSON: %s", obj)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(obj), &want); err != nil {
			t.Fatal(err)
		}
		got := map[string]json.RawMessage{}
		if err := splitObject([]byte(obj), got); err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fields %q, want %q", obj, got, want)
		}
		for name, v := range want {
			for _, target := range targets {
				a, b := target(), target()
				errA, errB := decodeValue(v, a), json.Unmarshal(v, b)
				if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
					t.Errorf("%s into %T: got %v (err %v), encoding/json %v (err %v)", name, a,
						reflect.ValueOf(a).Elem(), errA, reflect.ValueOf(b).Elem(), errB)
				}
			}
		}
	}
}

// eachRow reads exactly the arrays of objects encoding/json reads, row by
// row, in small reads too, and refuses everything else with a ShapeError.
func TestEachRow_readsWhatEncodingJSONReads(t *testing.T) {
	for _, in := range []string{
		`[]`, " \n[ ]\n ", `[{}]`, `[{"a":1},{"b":"x\"]}"}]`,
		"[\n{\"s\":\"a\\\\\",\"n\":[1,{\"x\":[]}]}\n,\n{\"t\":true}\n]\n",
		`[{"long":"` + strings.Repeat(`ab\"c\\`, 20000) + `"}]`,
		// refused:
		``, `{}`, `[`, `[{}`, `[{},]`, `[,{}]`, `[{}{}]`, `[1]`, `["x"]`, `[[]]`, `[{}] x`, `[{"a":}]`,
		`[{"a":1]`, `[{"a":"open}]`, `[{"a" 1}]`, `[{}]]`, `[{"a":1}}`, `[{"a":tru}]`,
	} {
		var want []map[string]json.RawMessage
		wantErr := json.Unmarshal([]byte(in), &want)
		for _, chunk := range []int{1, 3, 1 << 20} {
			var got []map[string]json.RawMessage
			err := eachRow("data/x.json", &chunkReader{s: in, n: chunk}, true, true, func(r *row) error {
				f := map[string]json.RawMessage{}
				for k, v := range r.f {
					f[k] = bytes.Clone(v) // r is reused
				}
				got = append(got, f)
				return nil
			})
			var se *ShapeError
			switch {
			case wantErr != nil && !errors.As(err, &se):
				t.Errorf("%.40q (reads of %d): err %v, want a ShapeError (encoding/json: %v)", in, chunk, err, wantErr)
			case wantErr == nil && err != nil:
				t.Errorf("%.40q (reads of %d): %v", in, chunk, err)
			case wantErr == nil && len(got)+len(want) > 0 && !reflect.DeepEqual(got, want):
				t.Errorf("%.40q (reads of %d): rows %q, want %q", in, chunk, got, want)
			}
		}
	}
}

type chunkReader struct {
	s string
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

// On bytes that are not valid JSON (a file changed between the passes),
// splitting and reading never panic or run past the row.
func TestFields_malformedRowsDoNotPanic(t *testing.T) {
	obj := `{"s":"a\nb\u00e9\ud800","i":-12,"f":1.5,"b":true,"n":null,"t":"2026-03-04T05:06:07Z","o":{"x":["}"]}}`
	try := func(b []byte) {
		f := map[string]json.RawMessage{}
		if splitObject(b, f) != nil {
			return
		}
		for _, v := range f {
			for _, dst := range []any{new(string), new(int64), new(float64), new(bool), new(time.Time)} {
				decodeValue(v, dst)
			}
		}
	}
	for i := range len(obj) + 1 {
		try([]byte(obj[:i]))
		for _, c := range []byte(`"\{}[]:, x0`) {
			b := []byte(obj)
			if i < len(b) {
				b[i] = c
				try(b)
			}
		}
	}
}
