package csvfile

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

var testOptions = Options{What: "test file", Rows: "rows", MaxSize: 1 << 10, MaxRows: 3,
	Known: func(h string) bool { return h == "email" || h == "name" }}

// records reads a whole file as "line:field|field" and its line errors.
func records(t *testing.T, in string) ([]string, []LineError, error) {
	t.Helper()
	r, err := Open(strings.NewReader(in), testOptions)
	if err != nil {
		return nil, nil, err
	}
	var out []string
	errs := Errors{Max: 10}
	for {
		rec, line, err := r.Next()
		if err == io.EOF {
			return out, errs.Done(), nil
		}
		var le LineError
		if errors.As(err, &le) {
			errs.Add(le)
			continue
		}
		if err != nil {
			return out, errs.Done(), err
		}
		out = append(out, strings.Join(append([]string{string(rune('0' + line))}, rec...), "|"))
	}
}

func TestReader_filesAsSpreadsheetsWriteThem(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"BOM and CRLF", "\ufeffemail,name\r\na@x.org,Ann\r\n", []string{"2|a@x.org|Ann"}},
		{"semicolons", "Email;Name\na@x.org;Ann, B\n", []string{"2|a@x.org|Ann, B"}},
		{"tabs", "email\tname\na@x.org\tAnn\n", []string{"2|a@x.org|Ann"}},
		{"a quoted newline keeps the starting line", "email,name\n\"a@x.org\",\"Ann\nB\"\nb@x.org,Bo\n", []string{"2|a@x.org|Ann\nB", "4|b@x.org|Bo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs, err := records(t, tt.in)
			if err != nil || len(errs) > 0 || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q %v %v, want %q", got, errs, err, tt.want)
			}
		})
	}
}

func TestReader_badLinesAndLimits(t *testing.T) {
	_, errs, err := records(t, "email,name\na@x.org,A\"n\nb@x.org,\xff\n")
	want := []LineError{
		{Line: 2, Message: `not valid CSV: a " inside a field that is not in quotes (quote the field and double the ")`},
		{Line: 3, Message: `the line is not UTF-8 text: save the file as "CSV UTF-8"`},
	}
	if err != nil || !reflect.DeepEqual(errs, want) {
		t.Errorf("errors %q, %v", errs, err)
	}
	if _, _, err := records(t, "email\n1\n2\n3\n4\n"); !errors.Is(err, testOptions.TooManyRows()) || !errors.Is(err, ErrTooManyRows) || err.Error() != "the test file has more than 3 rows" {
		t.Errorf("too many rows: %v", err)
	}
	if _, _, err := records(t, "email\n"+strings.Repeat("x", 2<<10)); !errors.Is(err, testOptions.TooLarge()) || errors.Is(err, testOptions.TooManyRows()) {
		t.Errorf("too large: %v", err)
	}
	if _, err := Open(strings.NewReader("\xfe\xff\x00e"), testOptions); err == nil || !strings.Contains(err.Error(), "the test file is UTF-16 text") {
		t.Errorf("UTF-16: %v", err)
	}
}

func TestErrors_keepMaxAndCountTheRest(t *testing.T) {
	l := Errors{Max: 2}
	for i := 3; i > 0; i-- {
		l.Add(LineError{Line: i, Message: "bad"})
	}
	got := l.Done()
	SortByLine(got)
	if want := []LineError{{Line: 2, Message: "bad"}, {Line: 3, Message: "bad"}, {Message: "and 1 more bad lines"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
}
