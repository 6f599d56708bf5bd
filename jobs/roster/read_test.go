package roster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readFile(t *testing.T, name string) File {
	t.Helper()
	fh, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := Read(fh)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// short renders an entry as "email|name|given|family|role|period|id".
func short(e Entry) string {
	return strings.Join([]string{e.Email, e.Name, e.GivenName, e.FamilyName, e.Role, e.Period, e.StudentID}, "|")
}

func TestRead_exportsOfOtherSystems(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"canvas_gradebook.csv", []string{ // BOM, CRLF, "Last, First", points row and test student skipped, leading zeros
			"ada@school.edu|Ada Lovelace|Ada|Lovelace||Period 1|00417",
			"grace.hopper@school.edu|Grace Hopper|Grace|Hopper||Period 2|00418",
		}},
		{"moodle_participants.csv", []string{ // semicolons, first group is the period, Moodle role names
			"ada@school.edu|Ada Lovelace|Ada|Lovelace|student|Period 1|007",
			"alan@school.edu|Alan Turing|Alan|Turing|ta||",
		}},
		{"moodle_upload.csv", []string{
			"ada@school.edu|Ada Lovelace|Ada|Lovelace|||0042",
			"katherine@school.edu|Katherine Johnson|Katherine|Johnson|||0043",
		}},
		{"google_classroom.csv", []string{ // date, points and average rows skipped
			"ada@school.edu|Ada Lovelace|Ada|Lovelace|||",
			"katherine@school.edu|Katherine Johnson|Katherine|Johnson|||",
		}},
		{"tabs.tsv", []string{"ada@school.edu|Ada Lovelace|Ada|Lovelace|student|P1|0001"}},
		{"quoted.csv", []string{ // quoted commas, doubled quotes and a newline inside a field
			"ada@school.edu|Ada Lovelace|Ada|Lovelace|ta||",
			"bob@school.edu|Bob Smith|Bob|Smith|teacher||",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := readFile(t, tt.file)
			if len(f.Errors) > 0 {
				t.Fatalf("errors: %v", f.Errors)
			}
			var got []string
			for _, e := range f.Entries {
				got = append(got, short(e))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestRead_quotedNewlineKeepsLineNumbers(t *testing.T) {
	f := readFile(t, "quoted.csv")
	if f.Entries[0].Line != 2 || f.Entries[1].Line != 4 {
		t.Errorf("lines %d, %d; want 2, 4 (a record's first line)", f.Entries[0].Line, f.Entries[1].Line)
	}
}

func TestRead_everyBadLineWithLineAndColumn(t *testing.T) {
	f := readFile(t, "errors.csv")
	want := []LineError{
		{Line: 3, Column: "email", Message: `"not-an-email" is not an email address`},
		{Line: 4, Column: "role", Message: `"wizard" is not a role: use admin, teacher, ta or student`},
		{Line: 5, Column: "email", Message: "the email is missing"},
		{Line: 6, Column: "email", Message: "ada@school.edu is also on line 2"},
		{Line: 7, Column: "student id", Message: "student id 0001 is also on line 2"},
		{Line: 8, Column: "", Message: `not valid CSV: a " inside a field that is not in quotes (quote the field and double the ")`},
	}
	if !reflect.DeepEqual(f.Errors, want) {
		t.Errorf("errors:\n%v\nwant:\n%v", f.Errors, want)
	}
	var emails []string
	for _, e := range f.Entries {
		emails = append(emails, e.Email)
	}
	if strings.Join(emails, " ") != "ada@school.edu gus@school.edu" {
		t.Errorf("good entries %v; reading goes on after a bad line", emails)
	}
	if got := want[0].Error(); got != `line 3, column "email": "not-an-email" is not an email address` {
		t.Errorf("Error() = %s", got)
	}
}

func TestRead_headers(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
	}{
		{"case, spaces and punctuation", "  E-Mail_Address ;FIRST  NAME;last-name\nA@X.org;Ann;Lee", "a@x.org|Ann Lee|Ann|Lee|||"},
		{"any column order", "student id,period,role,email\n0099,B,Teaching Assistant,b@x.org", "b@x.org||||ta|B|0099"},
		{"login id is the email without an email column", "Student,SIS Login ID\n\"Lee, Ann\",ann@x.org", "ann@x.org|Ann Lee|Ann|Lee|||"},
		{"email column wins over login id", "username,email\nann,ann@x.org", "ann@x.org||||||"},
		{"first name last name split at the last space", "email,name\na@x.org,Mary Ann Lee", "a@x.org|Mary Ann Lee|Mary Ann|Lee|||"},
		{"one word name", "email,name\na@x.org,Cher", "a@x.org|Cher|Cher||||"},
		{"canvas role names", "email,role\na@x.org,TaEnrollment", "a@x.org||||ta||"},
		{"unknown columns ignored", "email,shoe size\na@x.org,44", "a@x.org||||||"},
		{"blank lines skipped", "email\n\n\na@x.org\n\n", "a@x.org||||||"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(strings.NewReader(tt.in))
			if err != nil || len(f.Errors) > 0 || len(f.Entries) != 1 {
				t.Fatalf("Read: %v %v %v", err, f.Errors, f.Entries)
			}
			if got := short(f.Entries[0]); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRead_wholeFileRefusals(t *testing.T) {
	big := "email,notes\n" + strings.Repeat("a@x.org,"+strings.Repeat("x", 1000)+"\n", MaxSize/1000)
	many := new(strings.Builder)
	many.WriteString("email\n")
	for i := 0; i <= MaxRows; i++ {
		fmt.Fprintf(many, "p%d@x.org\n", i)
	}
	tests := []struct {
		name, in string
		want     string
	}{
		{"empty", "", "empty"},
		{"no email column", "name,role\nAnn,student", "no email column"},
		{"too large", big, "larger than 10 MiB"},
		{"too many rows", many.String(), "more than 50000 people"},
		{"bad header", "email,\"name\n", "header line is not valid CSV"},
		{"UTF-16", "\xff\xfee\x00m\x00", "UTF-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := Read(strings.NewReader(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v is not ErrTooLarge", err)
	}
}

func TestRead_manyBadLinesAreCapped(t *testing.T) {
	in := "email\n" + strings.Repeat("nope\n", maxErrors+5)
	f, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Errors) != maxErrors+1 || f.Errors[maxErrors].Message != "and 5 more bad lines" {
		t.Errorf("%d errors, last %v", len(f.Errors), f.Errors[len(f.Errors)-1])
	}
}

func TestRead_loginIDThatIsNoEmailNamesItsColumn(t *testing.T) {
	f, err := Read(strings.NewReader("Student,SIS Login ID\n\"Lee, Ann\",alee\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []LineError{{Line: 2, Column: "SIS Login ID", Message: `"alee" is not an email address`}}
	if !reflect.DeepEqual(f.Errors, want) {
		t.Errorf("errors %v, want %v", f.Errors, want)
	}
}

func TestRead_latin1LineIsABadLine(t *testing.T) {
	f, err := Read(strings.NewReader("email,name\na@x.org,Jos\xe9\nb@x.org,Ann\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Errors) != 1 || f.Errors[0].Line != 2 || !strings.Contains(f.Errors[0].Message, "not UTF-8") || len(f.Entries) != 1 {
		t.Errorf("errors %v, entries %v", f.Errors, f.Entries)
	}
}
