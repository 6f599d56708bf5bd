package gradebook

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// rowsOf renders rows as "line email id col=value%…".
func rowsOf(f File) []string {
	var out []string
	for _, r := range f.Rows {
		s := []string{r.Email, r.StudentID}
		for _, sc := range r.Scores {
			v := f.Columns[sc.Column].Name + "=" + FormatPoints(sc.Value)
			if sc.Percent {
				v += "%"
			}
			s = append(s, v)
		}
		out = append(out, strings.Join(s, " "))
	}
	return out
}

func TestRead_exportsAsTheyCome(t *testing.T) {
	tests := []struct {
		file    string
		format  string
		columns []Column
		rows    []string
	}{
		{"canvas_gradebook.csv", FormatCanvas, // BOM, CRLF, Points Possible row, totals and grades skipped, test student skipped, EX is no score
			[]Column{
				{Header: "Homework 1 (123)", Name: "Homework 1", Key: "canvas-123", Points: 10},
				{Header: "Lab: Pendulum (124)", Name: "Lab: Pendulum", Key: "canvas-124", Points: 20},
				{Header: "Midterm (130)", Name: "Midterm", Key: "canvas-130", Points: 50},
			},
			[]string{
				"ada@school.edu 00417 Homework 1=9 Lab: Pendulum=18.5",
				"grace@school.edu 00418 Homework 1=10 Midterm=45",
				" 00420 Lab: Pendulum=12 Midterm=40.5", // a login id that is not an email: matched by SIS User ID
				"nobody@school.edu 00999 Homework 1=5 Lab: Pendulum=5 Midterm=5",
			}},
		{"moodle_grades.csv", FormatMoodle, // semicolons, decimal commas, "-" for no grade, letters and totals skipped
			[]Column{
				{Header: "Assignment: Homework 1 (Real)", Name: "Homework 1"},
				{Header: "Quiz: Quiz 1 (Real)", Name: "Quiz 1"},
			},
			[]string{
				"ada@school.edu 00417 Homework 1=8.5",
				"grace@school.edu 00418 Quiz 1=72",
			}},
		{"long_form.csv", FormatLong, // percentages, an empty score, a quoted newline in a name
			[]Column{
				{Header: "Homework 1", Name: "Homework 1", Key: "Homework 1"},
				{Header: "hw2", Name: "hw2", Key: "hw2"},
				{Header: "Essay: \"Why,\nwhy\"", Name: "Essay: \"Why,\nwhy\"", Key: "Essay: \"Why,\nwhy\""},
			},
			[]string{
				"ada@school.edu  Homework 1=85%",
				"grace@school.edu  hw2=7",
				"grace@school.edu  Essay: \"Why,\nwhy\"=60%",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := Read(strings.NewReader(testFile(t, tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Errors) > 0 {
				t.Errorf("errors: %v", f.Errors)
			}
			if f.Format != tt.format {
				t.Errorf("format %q, want %q", f.Format, tt.format)
			}
			if !reflect.DeepEqual(f.Columns, tt.columns) {
				t.Errorf("columns\n%+v\nwant\n%+v", f.Columns, tt.columns)
			}
			if got := rowsOf(f); !reflect.DeepEqual(got, tt.rows) {
				t.Errorf("rows\n%q\nwant\n%q", got, tt.rows)
			}
		})
	}
}

func TestRead_longFormStartsAtTheRecordsLine(t *testing.T) {
	f, err := Read(strings.NewReader(testFile(t, "long_form.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Rows[2].Line; got != 5 { // the quoted newline starts on line 5
		t.Errorf("line %d, want 5", got)
	}
}

func TestRead_badCellsNameTheirLineAndColumn(t *testing.T) {
	f, err := Read(strings.NewReader(testFile(t, "errors.csv")))
	if err != nil {
		t.Fatal(err)
	}
	want := []LineError{
		{Line: 2, Column: "Homework 1", Message: `"abc" is not a score: write points (8.5), a percentage (85%) or leave the cell empty`},
		{Line: 3, Column: "Homework 1", Message: "-3: a score cannot be negative"},
		{Line: 4, Column: "Homework 1", Message: `"1e3" is not a score: write points (8.5), a percentage (85%) or leave the cell empty`},
		{Line: 6, Column: "email", Message: "the row has no email address or student id"},
		{Line: 7, Column: "email", Message: `"not-an-email" is not an email address`},
		{Line: 8, Column: "email", Message: "ada@school.edu is also on line 2"},
	}
	if !reflect.DeepEqual(f.Errors, want) {
		t.Errorf("errors\n%q\nwant\n%q", f.Errors, want)
	}
}

func TestRead_refusedFiles(t *testing.T) {
	tests := []struct{ name, csv, want string }{
		{"empty", "", "is empty"},
		{"no student column", "name,Homework 1\nAda,9\n", "no email or student id column"},
		{"no assignments", "email,Section\nada@school.edu,P1\n", "no assignment columns"},
		{"long form without a score", "email,assignment\nada@school.edu,hw1\n", `both an "assignment" and a "score" column`},
		{"bad header", "email,\"Homework\n", "header line is not valid CSV"},
		{"UTF-16", "\xff\xfee\x00m\x00", "UTF-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.csv))
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(fe.Msg, tt.want) {
				t.Errorf("error %v, want a FileError with %q", err, tt.want)
			}
		})
	}
	big := "email,hw\na@school.edu,1" + strings.Repeat(" ", MaxSize)
	if _, err := Read(strings.NewReader(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v is not ErrTooLarge", err)
	}
}

func TestParseScore_cells(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		value   float64
		percent bool
		bad     bool
	}{
		{"", false, 0, false, false},
		{"-", false, 0, false, false},
		{"EX", false, 0, false, false},
		{"8.5", true, 8.5, false, false},
		{"8,5", true, 8.5, false, false},
		{" 85 % ", true, 85, true, false},
		{"0", true, 0, false, false},
		{"NaN", false, 0, false, true},
		{"Inf", false, 0, false, true},
		{"0x10", false, 0, false, true},
		{"1,000.5", false, 0, false, true},
		{"1,000", false, 0, false, true}, // a thousands separator, not a decimal comma
		{"72,00", true, 72, false, false},
		{"-1", false, 0, false, true},
		{"A-", false, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, ok, msg := parseScore(tt.in)
			if ok != tt.ok || s.Value != tt.value || s.Percent != tt.percent || (msg != "") != tt.bad {
				t.Errorf("parseScore(%q) = %+v %v %q", tt.in, s, ok, msg)
			}
		})
	}
}
