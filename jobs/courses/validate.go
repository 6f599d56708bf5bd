package courses

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of a course's fields, in characters.
const (
	MaxCode   = 40
	MaxName   = 200
	MaxTerm   = 100
	MaxPeriod = 100
)

// FieldError says what is wrong with one field ("code", "name", "term",
// "periods" or "period"); its message is a sentence for the user.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Invalid lists every field that is wrong, in form order.
type Invalid []FieldError

func (v Invalid) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// For returns the message of field, "" when it is fine.
func (v Invalid) For(field string) string {
	for _, e := range v {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// ErrCodeTaken matches the error of a code another course holds.
var ErrCodeTaken = errors.New("course code taken")

// Problems returns the field errors in err (nil when it has none): an
// Invalid list or one FieldError, such as a taken code.
func Problems(err error) Invalid {
	var inv Invalid
	if errors.As(err, &inv) {
		return inv
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return Invalid{*fe}
	}
	return nil
}

type codeTaken struct {
	FieldError
}

func (e *codeTaken) Unwrap() []error { return []error{&e.FieldError, ErrCodeTaken} }

func newCodeTaken(code string, hidden bool) error {
	msg := fmt.Sprintf("A course with code %s already exists.", code)
	if hidden {
		msg = fmt.Sprintf("A course with code %s is being imported or removed; pick another code or try again in a few minutes.", code)
	}
	return &codeTaken{FieldError{Field: "code", Message: msg}}
}

// Input is a course's fields as a person typed them.
type Input struct {
	Code    string
	Name    string
	Term    string
	Periods []string
}

// Clean trims every field (a blank period stays, for Validate to refuse).
func (in Input) Clean() Input {
	out := Input{Code: strings.TrimSpace(in.Code), Name: strings.TrimSpace(in.Name), Term: strings.TrimSpace(in.Term)}
	for _, p := range in.Periods {
		out.Periods = append(out.Periods, strings.TrimSpace(p))
	}
	return out
}

// PeriodLines splits a textarea of period names, one a line, skipping blank lines.
func PeriodLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Validate checks a cleaned Input: the web pages, the API and the command
// line all use it. The code ends up in file names (archives), so it is
// letters, digits, '-', '_' and '.' only, starting with a letter or digit.
func Validate(in Input) error {
	var inv Invalid
	add := func(field, msg string) { inv = append(inv, FieldError{Field: field, Message: msg}) }
	if msg := checkCode(in.Code); msg != "" {
		add("code", msg)
	}
	if msg := checkText("name", in.Name, MaxName, true); msg != "" {
		add("name", msg)
	}
	if msg := checkText("term", in.Term, MaxTerm, false); msg != "" {
		add("term", msg)
	}
	if msg := checkPeriods(in.Periods); msg != "" {
		add("periods", msg)
	}
	if inv != nil {
		return inv
	}
	return nil
}

func checkCode(code string) string {
	if code == "" {
		return "Give the course a code, such as PHYS101."
	}
	if utf8.RuneCountInString(code) > MaxCode {
		return fmt.Sprintf("The code is at most %d characters.", MaxCode)
	}
	for i, r := range code {
		ok := r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || (i > 0 && strings.ContainsRune("-_.", r)))
		if !ok {
			return "Use letters, digits, '-', '_' and '.' only, starting with a letter or digit (the code is part of file names)."
		}
	}
	return ""
}

// checkText checks a name-like field: required or not, at most max
// characters, no control characters.
func checkText(field, s string, max int, required bool) string {
	if s == "" && required {
		return fmt.Sprintf("Give the course a %s.", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("The %s is at most %d characters (this one has %d).", field, max, n)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return fmt.Sprintf("The %s must not contain control characters.", field)
	}
	return ""
}

// CheckPeriodName checks one period name (already trimmed).
func CheckPeriodName(name string) string {
	switch {
	case name == "":
		return "Give the period a name."
	case utf8.RuneCountInString(name) > MaxPeriod:
		return fmt.Sprintf("Period %q is longer than %d characters.", name, MaxPeriod)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Sprintf("Period %q contains control characters.", name)
	}
	return ""
}

func checkPeriods(names []string) string {
	seen := map[string]bool{}
	for _, n := range names {
		if msg := CheckPeriodName(n); msg != "" {
			return msg
		}
		k := strings.ToLower(n)
		if seen[k] {
			return fmt.Sprintf("Period %q is listed twice (names are compared ignoring case).", n)
		}
		seen[k] = true
	}
	return ""
}
