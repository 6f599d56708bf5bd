package restore

import (
	"encoding/json"
	"strings"
	"testing"
)

var validJSONSeeds = []string{
	``, ` `, `{}`, ` { } `, `[]`, `[1,2]`, `[1,]`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{a:1}`,
	`"x"`, `"\u00e9\ud800"`, `"\u00g0"`, `"\x"`, "\"a\tb\"", `"unterminated`, `"\`, `"\u12"`,
	`0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e`, `1e-`, `-1.5e-7`, `+1`,
	`true`, `tru`, `false`, `null`, `nul`, `nullx`, `{} {}`, `[[[]]]`, `[[[]]`, `{"a":[{"b":null}]}`,
	"{\"s\":\"a\\nb\xff\xfe\",\"t\":\"2026-03-04T05:06:07Z\"}", `{"a":1}}`, `[}`, `{]`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
}

// validJSON says what json.Valid says.
func TestValidJSON_agreesWithEncodingJSON(t *testing.T) {
	for _, in := range validJSONSeeds {
		if got, want := validJSON([]byte(in)), json.Valid([]byte(in)); got != want {
			t.Errorf("validJSON(%.60q) = %v, json.Valid says %v", in, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, in := range validJSONSeeds {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}
