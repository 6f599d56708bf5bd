// Package courses sets courses up by hand: it checks and writes a course and
// its periods, and removes a course with everything it owns.
package courses

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/db/files"
)

// Service creates, edits and removes courses. Every write is one
// transaction with its audit event; a removal is several (see Remove).
type Service struct {
	d     *db.DB
	files *files.Service
	now   func() time.Time
}

// New returns the service. now is the clock (time.Now when nil).
func New(d *db.DB, fs *files.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{d: d, files: fs, now: now}
}

// Actor is who makes a change, for the audit log (zero: the command line).
type Actor struct {
	UserID   int64
	RemoteIP string
}

// Course is a course with its periods in order.
type Course struct {
	db.Course
	Periods []db.Period
}

// Get returns a visible course with its periods.
func (s *Service) Get(ctx context.Context, id int64) (Course, error) {
	c, err := s.d.CourseByID(ctx, id)
	if err != nil {
		return Course{}, err
	}
	ps, err := s.d.Periods(ctx, id)
	return Course{Course: c, Periods: ps}, err
}

// Create checks in and creates the course with its periods in one
// transaction, audited. A taken code is a *FieldError matching ErrCodeTaken.
func (s *Service) Create(ctx context.Context, in Input, by Actor) (Course, error) {
	in = in.Clean()
	if err := Validate(in); err != nil {
		return Course{}, err
	}
	var id int64
	err := s.d.InTx(ctx, func(tx *db.Queries) error {
		var err error
		id, err = tx.InsertCourse(ctx, db.Course{Code: in.Code, Name: in.Name, Term: in.Term, CreatedAt: s.now()})
		if db.IsUniqueViolation(err) {
			return codeClash(ctx, tx, in.Code)
		}
		if err != nil {
			return err
		}
		for i, name := range in.Periods {
			if _, err := tx.InsertPeriod(ctx, db.Period{CourseID: id, Name: name, Position: i}); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, by, "course.create", id, in.Code, fmt.Sprintf("%s, %s; %d periods", in.Name, or(in.Term, "no term"), len(in.Periods)))
	})
	if err != nil {
		return Course{}, fmt.Errorf("courses: create %s: %w", in.Code, err)
	}
	return s.Get(ctx, id)
}

// codeClash explains a unique violation on the code: a visible course holds
// it, or a hidden one (being imported or removed).
func codeClash(ctx context.Context, tx *db.Queries, code string) error {
	_, err := tx.CourseByCode(ctx, code)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	return newCodeTaken(code, err != nil)
}

// Patch is a partial change: nil fields stay as they are. Periods, when
// set, is the whole new list: periods are kept by name (ignoring case,
// keeping their ids and students), new names added, missing ones removed,
// in the order given.
type Patch struct {
	Code, Name, Term *string
	Periods          *[]string
}

// Update applies p to course id in one transaction, audited with what
// changed. Nothing changed: nothing is written (the data version stays).
func (s *Service) Update(ctx context.Context, id int64, p Patch, by Actor) (Course, error) {
	err := s.d.InTx(ctx, func(tx *db.Queries) error {
		c, old, err := courseInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		in := Input{Code: c.Code, Name: c.Name, Term: c.Term}
		if p.Code != nil {
			in.Code = *p.Code
		}
		if p.Name != nil {
			in.Name = *p.Name
		}
		if p.Term != nil {
			in.Term = *p.Term
		}
		if p.Periods != nil {
			in.Periods = *p.Periods
		}
		in = in.Clean()
		if err := onlyChanged(Validate(in), c, in, p.Periods != nil); err != nil {
			return err
		}
		var changes []string
		if in.Code != c.Code || in.Name != c.Name || in.Term != c.Term {
			changes = append(changes, fieldChanges(c, in)...)
			err := tx.UpdateCourse(ctx, db.Course{ID: id, Code: in.Code, Name: in.Name, Term: in.Term})
			if db.IsUniqueViolation(err) {
				return codeClash(ctx, tx, in.Code)
			}
			if err != nil {
				return err
			}
		}
		if p.Periods != nil {
			summary, err := replacePeriods(ctx, tx, id, old, in.Periods)
			if err != nil {
				return err
			}
			if summary != "" {
				changes = append(changes, summary)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		return s.audit(ctx, tx, by, "course.edit", id, in.Code, strings.Join(changes, "; "))
	})
	if err != nil {
		return Course{}, fmt.Errorf("courses: update course %d: %w", id, err)
	}
	return s.Get(ctx, id)
}

// onlyChanged keeps the problems of the fields a patch changes: a course
// made before these rules (an imported "MATH 221") can still be renamed.
func onlyChanged(err error, c db.Course, in Input, periods bool) error {
	changed := map[string]bool{"code": in.Code != c.Code, "name": in.Name != c.Name, "term": in.Term != c.Term, "periods": periods}
	var keep Invalid
	for _, e := range Problems(err) {
		if changed[e.Field] {
			keep = append(keep, e)
		}
	}
	if keep == nil {
		return nil
	}
	return keep
}

// courseInTx reads a visible course and its periods inside a write.
func courseInTx(ctx context.Context, tx *db.Queries, id int64) (db.Course, []db.Period, error) {
	c, err := tx.CourseByID(ctx, id)
	if err != nil {
		return db.Course{}, nil, err
	}
	ps, err := tx.Periods(ctx, id)
	return c, ps, err
}

func fieldChanges(c db.Course, in Input) []string {
	var out []string
	for _, f := range []struct{ name, was, is string }{{"code", c.Code, in.Code}, {"name", c.Name, in.Name}, {"term", c.Term, in.Term}} {
		if f.was != f.is {
			out = append(out, fmt.Sprintf("%s %q → %q", f.name, f.was, f.is))
		}
	}
	return out
}

// replacePeriods makes the course's periods the list names (validated):
// removes the missing first, then renames and moves the kept, then adds the
// new, so no step trips the (course, name) unique key. It says what changed.
func replacePeriods(ctx context.Context, tx *db.Queries, courseID int64, old []db.Period, names []string) (string, error) {
	want := map[string]int{}
	for i, n := range names {
		want[strings.ToLower(n)] = i
	}
	kept := map[int]db.Period{}
	var removed, changed, added int
	for _, p := range old {
		i, ok := want[strings.ToLower(p.Name)]
		if _, twice := kept[i]; ok && twice {
			ok = false // a second old period of that name (differing in case): one is kept
		}
		if !ok {
			if err := tx.DeletePeriod(ctx, courseID, p.ID); err != nil {
				return "", err
			}
			removed++
			continue
		}
		kept[i] = p
	}
	for i, n := range names {
		p, ok := kept[i]
		if !ok {
			if _, err := tx.InsertPeriod(ctx, db.Period{CourseID: courseID, Name: n, Position: i}); err != nil {
				return "", err
			}
			added++
			continue
		}
		if p.Name != n || p.Position != i {
			p.Name, p.Position = n, i
			if err := tx.UpdatePeriod(ctx, p); err != nil {
				return "", err
			}
			changed++
		}
	}
	if removed+changed+added == 0 {
		return "", nil
	}
	return fmt.Sprintf("periods: %d added, %d renamed or moved, %d removed", added, changed, removed), nil
}

// ErrPeriodNotFound: no such period in the course.
var ErrPeriodNotFound = errors.New("no such period in this course")

// AddPeriod adds a period at the end of the course's list.
func (s *Service) AddPeriod(ctx context.Context, courseID int64, name string, by Actor) error {
	return s.editPeriods(ctx, courseID, by, "period.add", func(tx *db.Queries, ps []db.Period) (string, error) {
		name = strings.TrimSpace(name)
		if err := checkNewName(ps, -1, name); err != nil {
			return "", err
		}
		pos := 0
		for _, p := range ps {
			pos = max(pos, p.Position+1)
		}
		_, err := tx.InsertPeriod(ctx, db.Period{CourseID: courseID, Name: name, Position: pos})
		return name, err
	})
}

// RenamePeriod renames a period of the course, keeping its id and students.
func (s *Service) RenamePeriod(ctx context.Context, courseID, periodID int64, name string, by Actor) error {
	return s.editPeriods(ctx, courseID, by, "period.rename", func(tx *db.Queries, ps []db.Period) (string, error) {
		i := indexOf(ps, periodID)
		if i < 0 {
			return "", ErrPeriodNotFound
		}
		name = strings.TrimSpace(name)
		if err := checkNewName(ps, i, name); err != nil || name == ps[i].Name {
			return "", err
		}
		p := ps[i]
		was := p.Name
		p.Name = name
		return fmt.Sprintf("%s → %s", was, name), tx.UpdatePeriod(ctx, p)
	})
}

// MovePeriod moves a period up (delta -1) or down (+1) the list; at an end
// it stays where it is.
func (s *Service) MovePeriod(ctx context.Context, courseID, periodID int64, delta int, by Actor) error {
	return s.editPeriods(ctx, courseID, by, "period.move", func(tx *db.Queries, ps []db.Period) (string, error) {
		i := indexOf(ps, periodID)
		if i < 0 {
			return "", ErrPeriodNotFound
		}
		j := i + delta
		if j < 0 || j >= len(ps) {
			return "", nil
		}
		ps[i], ps[j] = ps[j], ps[i]
		return ps[j].Name, renumber(ctx, tx, ps)
	})
}

// RemovePeriod removes a period; its students stay in the course without one.
func (s *Service) RemovePeriod(ctx context.Context, courseID, periodID int64, by Actor) error {
	return s.editPeriods(ctx, courseID, by, "period.remove", func(tx *db.Queries, ps []db.Period) (string, error) {
		i := indexOf(ps, periodID)
		if i < 0 {
			return "", ErrPeriodNotFound
		}
		if err := tx.DeletePeriod(ctx, courseID, periodID); err != nil {
			return "", err
		}
		return ps[i].Name, renumber(ctx, tx, append(ps[:i:i], ps[i+1:]...))
	})
}

// editPeriods runs one period edit in a transaction with its audit event.
// edit works on the course's periods in order and returns the audit's
// subject, "" when nothing changed (no event then).
func (s *Service) editPeriods(ctx context.Context, courseID int64, by Actor, action string,
	edit func(tx *db.Queries, ps []db.Period) (subject string, err error)) error {
	err := s.d.InTx(ctx, func(tx *db.Queries) error {
		c, ps, err := courseInTx(ctx, tx, courseID)
		if err != nil {
			return err
		}
		subject, err := edit(tx, ps)
		if err != nil || subject == "" {
			return err
		}
		return s.audit(ctx, tx, by, action, courseID, subject, c.Code)
	})
	if err != nil {
		return fmt.Errorf("courses: %s in course %d: %w", action, courseID, err)
	}
	return nil
}

// renumber gives the periods positions 0, 1, ... in slice order, writing
// only those that move.
func renumber(ctx context.Context, tx *db.Queries, ps []db.Period) error {
	for i, p := range ps {
		if p.Position != i {
			p.Position = i
			if err := tx.UpdatePeriod(ctx, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkNewName checks a period name given on its own (field "period"): a
// valid name that no other period (all but index self) has, ignoring case.
// The other periods are not checked: an imported list stays editable.
func checkNewName(ps []db.Period, self int, name string) error {
	msg := CheckPeriodName(name)
	for i, p := range ps {
		if msg == "" && i != self && strings.EqualFold(p.Name, name) {
			msg = fmt.Sprintf("There is already a period called %q (names are compared ignoring case).", p.Name)
		}
	}
	if msg != "" {
		return &FieldError{Field: "period", Message: msg}
	}
	return nil
}

func indexOf(ps []db.Period, id int64) int {
	for i, p := range ps {
		if p.ID == id {
			return i
		}
	}
	return -1
}

func (s *Service) audit(ctx context.Context, tx *db.Queries, by Actor, action string, courseID int64, subject, detail string) error {
	return tx.InsertAuditEvent(ctx, db.AuditEvent{At: s.now(), UserID: by.UserID, RemoteIP: by.RemoteIP, Action: action,
		CourseID: courseID, Subject: subject, Detail: detail})
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
