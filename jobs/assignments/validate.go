package assignments

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"coursevault/db"
	"coursevault/jobs/courses"
)

// Limits of an assignment's fields.
const (
	MaxName = 200 // characters
	MaxKey  = 100 // characters
)

// Kinds are the assignment kinds, in the order forms offer them.
var Kinds = []string{db.KindHomework, db.KindReading, db.KindProject, db.KindExam}

// Input is an assignment's fields as a person or a script sent them. Dates
// are text: RFC 3339 ("2026-11-03T17:00:00Z"), a plain date (see
// ParseTime) or "" for none. Points is text so a form's "abc" is a field
// error like any other.
type Input struct {
	Name     string
	Kind     string
	OpensAt  string
	DueAt    string
	Points   string
	Key      string // "" for none
	Position *int   // nil: at the end for a new assignment, unchanged for an edit
}

// Clean trims every text field.
func (in Input) Clean() Input {
	for _, f := range []*string{&in.Name, &in.Kind, &in.OpensAt, &in.DueAt, &in.Points, &in.Key} {
		*f = strings.TrimSpace(*f)
	}
	in.Kind = strings.ToLower(in.Kind)
	return in
}

// ParseTime reads a time as the API and the page send it, in the school's
// time zone tz when it names none. A plain date (2026-11-03) is a whole
// day: the start of it for an opening, the end of it (23:59:59) for a due
// date, so "due 2026-11-03" still takes work handed in that evening. The
// page's datetime-local control sends "2026-11-03T17:00" (school time).
func ParseTime(s string, tz *time.Location, endOfDay bool) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		t = t.UTC()
		return &t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, tz); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	d, err := time.ParseInLocation(time.DateOnly, s, tz)
	if err != nil {
		return nil, err
	}
	if endOfDay { // by the clock, not +24h: a day can have 23 or 25 hours
		d = time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, tz)
	}
	d = d.UTC()
	return &d, nil
}

// Validate checks a cleaned Input and returns the assignment it describes
// (without ids, course or position), or courses.Invalid naming every bad
// field ("name", "kind", "opens_at", "due_at", "points", "key",
// "position"). The page, the API and tests all use it.
func Validate(in Input, tz *time.Location) (db.Assignment, error) {
	var inv courses.Invalid
	add := func(field, msg string) { inv = append(inv, courses.FieldError{Field: field, Message: msg}) }
	a := db.Assignment{Name: in.Name, Kind: in.Kind, Key: in.Key}
	switch n := utf8.RuneCountInString(in.Name); {
	case in.Name == "":
		add("name", "Give the assignment a name.")
	case n > MaxName:
		add("name", fmt.Sprintf("The name is at most %d characters (this one has %d).", MaxName, n))
	case strings.ContainsFunc(in.Name, unicode.IsControl):
		add("name", "The name must not contain control characters.")
	}
	if !isKind(in.Kind) {
		add("kind", fmt.Sprintf("Choose one of %s.", strings.Join(Kinds, ", ")))
	}
	var err error
	if a.OpensAt, err = ParseTime(in.OpensAt, tz, false); err != nil {
		add("opens_at", fmt.Sprintf("%q is not a date: use RFC 3339 (2026-11-03T17:00:00Z) or a date (2026-11-03).", in.OpensAt))
	}
	if a.DueAt, err = ParseTime(in.DueAt, tz, true); err != nil {
		add("due_at", fmt.Sprintf("%q is not a date: use RFC 3339 (2026-11-03T17:00:00Z) or a date (2026-11-03).", in.DueAt))
	}
	if a.OpensAt != nil && a.DueAt != nil && a.DueAt.Before(*a.OpensAt) {
		add("due_at", "The due date is before the opening date.")
	}
	p, err := strconv.ParseFloat(in.Points, 64)
	switch {
	case in.Points == "":
		add("points", "Give the points the assignment is worth.")
	case err != nil || math.IsNaN(p) || math.IsInf(p, 0):
		add("points", fmt.Sprintf("%q is not a number.", in.Points))
	case p <= 0:
		add("points", "Points must be more than 0.")
	}
	a.Points = p
	if msg := CheckKey(in.Key, false); msg != "" {
		add("key", msg)
	}
	if in.Position != nil {
		if *in.Position < 0 {
			add("position", "The position is 0 or more.")
		} else {
			a.Position = *in.Position
		}
	}
	if inv != nil {
		return db.Assignment{}, inv
	}
	return a, nil
}

// CheckKey checks an outside key ("hw1"): 1–100 letters, digits and
// - _ . : only, so it reads well in a URL path. "" is fine unless required.
func CheckKey(key string, required bool) string {
	if key == "" {
		if required {
			return "Give the assignment a key, such as hw1."
		}
		return ""
	}
	if n := utf8.RuneCountInString(key); n > MaxKey {
		return fmt.Sprintf("The key is at most %d characters (this one has %d).", MaxKey, n)
	}
	for _, r := range key {
		if r >= unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.:", r)) {
			return "Use letters, digits, '-', '_', '.' and ':' only in a key."
		}
	}
	return ""
}

func isKind(k string) bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}
