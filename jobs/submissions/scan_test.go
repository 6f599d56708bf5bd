package submissions

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeJSON is what encoding/json makes of a line, with Parse's rules (no
// unknown fields, one value).
func decodeJSON(line string) (Line, bool) {
	var l Line
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return l, false
	}
	if _, err := dec.Token(); err == nil || err.Error() != "EOF" {
		return l, false
	}
	return l, true
}

// The lines autograders send take the one-pass scanner, and it decodes them
// as encoding/json does: escapes, surrogate pairs, fields in any order,
// white space, numbers in all their forms.
func TestScanLine_decodesAutograderLinesAsEncodingJSON(t *testing.T) {
	for name, l := range map[string]string{
		"plain":           line("ext-1", "hw1", "ada@school.test", fullExtra),
		"no extras":       line("ext-1", "hw1", "S1", ""),
		"escapes":         line("ext-1", "hw1", "S1", `,"build":{"passed":false,"stdout":"a\nb\tc \"q\" \\ \/ \b\f\r \u00e9 \ud83d\ude00 \ud800 x"}`),
		"lone surrogates": line("ext-1", "hw1", "S1", `,"tests":[{"name":"t\udc00","passed":true,"stdout":"\ud800\u0041"}]`),
		"fields reversed": `{"late":false,"score":1e-1,"tests":[],"build":{"stdout":"","passed":true},"submitted_at":"2026-11-01T10:00:00Z","state":"passed","commit":"c","student":"S1","assignment":"hw1","id":"x"}`,
		"white space":     " {\t\"id\" : \"x\" ,\r\n \"score\" : -0.5E+2 , \"tests\" : [ { \"name\" : \"t\" , \"passed\" : false } , {\"name\":\"u\",\"passed\":true} ] } \t",
		"numbers":         `{"score":0}`,
		"big exponent":    `{"score":12.5e-3}`,
		"empty objects":   `{"build":{},"tests":[{}]}`,
		"empty":           `{}`,
		"utf-8":           `{"id":"é—😀","tests":[{"name":"ü","passed":true,"message":"ö","stdout":"日本"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := scanLine(l)
			want, jok := decodeJSON(l)
			if !ok || !jok {
				t.Fatalf("scanner ok %v, encoding/json ok %v, for %s", ok, jok, l)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("scanned %+v\nencoding/json %+v", got, want)
			}
		})
	}
}

// What the scanner leaves to encoding/json (to say what is wrong, or to
// decode what is rare) it refuses, and Parse still answers as before.
func TestScanLine_leavesTheRestToEncodingJSON(t *testing.T) {
	for name, l := range map[string]string{
		"null":            `{"id":null}`,
		"repeated field":  `{"id":"a","id":"b"}`,
		"other case":      `{"ID":"a"}`,
		"escaped name":    `{"\u0069d":"a"}`,
		"unknown field":   `{"colour":"red"}`,
		"cut short":       `{"id":"a"`,
		"trailing comma":  `{"id":"a",}`,
		"second value":    `{"id":"a"} {}`,
		"string":          `"just a string"`,
		"bad number":      `{"score":01}`,
		"number too big":  `{"score":1e400}`,
		"bool as string":  `{"late":"yes"}`,
		"control char":    "{\"id\":\"a\tb\"}",
		"bad escape":      `{"id":"a\x"}`,
		"short \\u":       `{"id":"\u12"}`,
		"test not object": `{"tests":[1]}`,
		"repeated build":  `{"build":{"passed":true,"passed":false}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if got, ok := scanLine(l); ok {
				t.Errorf("scanner took %s as %+v", l, got)
			}
		})
	}
}

// FuzzScanLine holds the scanner to encoding/json: whatever line it takes,
// encoding/json takes too and decodes to the same Line. Run it with
//
//	go test ./jobs/submissions -run '^$' -fuzz FuzzScanLine -fuzztime 20s
func FuzzScanLine(f *testing.F) {
	f.Add(line("ext-1", "hw1", "ada@school.test", fullExtra))
	f.Add(`{"score":-0.5E+2,"tests":[{"name":"t\ud83d\ude00","passed":false,"stdout":"a\nb\u00e9"}],"build":{}}`)
	f.Add(`{"id":"\ud800\u0041","late":true}`)
	f.Fuzz(func(t *testing.T, l string) {
		if !utf8.ValidString(l) {
			return // Parse refuses it before scanning
		}
		got, ok := scanLine(l)
		if !ok {
			return
		}
		want, jok := decodeJSON(l)
		if !jok {
			t.Fatalf("scanner took %q, encoding/json refuses it", l)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nscanned %+v\nencoding/json %+v", l, got, want)
		}
	})
}
