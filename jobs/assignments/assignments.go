// Package assignments keeps a course's assignments as people (the
// assignments page) and scripts (the API, by their own keys) set them.
package assignments

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/jobs/courses"
)

// Service writes assignments. Every call is one transaction holding its
// one audit event; a write that changes nothing writes nothing (the data
// version and the audit log stay as they are).
type Service struct {
	d   *db.DB
	tz  *time.Location
	now func() time.Time
}

// New returns the service. tz is the school's time zone (plain dates are
// its days); now is the clock (time.Now when nil).
func New(d *db.DB, tz *time.Location, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if tz == nil {
		tz = time.UTC
	}
	return &Service{d: d, tz: tz, now: now}
}

// Actor is who makes a change, for the audit log: a person (UserID) or a
// course token (Name), from RemoteIP.
type Actor struct {
	UserID   int64
	Name     string
	RemoteIP string
}

// Row is an assignment with the work that hangs off it.
type Row struct {
	db.Assignment
	db.AssignmentWork
}

// ErrKeyTaken matches the field error of a key another assignment of the
// course holds.
var ErrKeyTaken = errors.New("assignment key taken")

type keyTaken struct{ courses.FieldError }

func (e *keyTaken) Unwrap() []error { return []error{&e.FieldError, ErrKeyTaken} }

// List returns the course's assignments in order with their work.
func (s *Service) List(ctx context.Context, courseID int64) ([]Row, error) {
	as, err := s.d.Assignments(ctx, courseID)
	if err != nil {
		return nil, err
	}
	work, err := s.d.AssignmentsWork(ctx, courseID)
	if err != nil {
		return nil, err
	}
	out := make([]Row, len(as))
	for i, a := range as {
		out[i] = Row{Assignment: a, AssignmentWork: work[a.ID]}
	}
	return out, nil
}

// Get returns assignment id of the course with its work (db.ErrNotFound
// for another course's).
func (s *Service) Get(ctx context.Context, courseID, id int64) (Row, error) {
	a, err := s.d.AssignmentByID(ctx, courseID, id)
	if err != nil {
		return Row{}, err
	}
	work, err := s.d.AssignmentsWork(ctx, courseID)
	return Row{Assignment: a, AssignmentWork: work[id]}, err
}

// Put creates or updates the assignment with outside key key (the API):
// created says which. in.Key is ignored; the key is the one given.
func (s *Service) Put(ctx context.Context, courseID int64, key string, in Input, by Actor) (a db.Assignment, created bool, err error) {
	in = in.Clean()
	in.Key = strings.TrimSpace(key)
	if msg := CheckKey(in.Key, true); msg != "" {
		return db.Assignment{}, false, courses.Invalid{{Field: "key", Message: msg}}
	}
	want, err := Validate(in, s.tz)
	if err != nil {
		return db.Assignment{}, false, err
	}
	err = s.d.InTx(ctx, func(tx *db.Queries) error {
		old, err := tx.AssignmentByKey(ctx, courseID, in.Key)
		if errors.Is(err, db.ErrNotFound) {
			created = true
			a, err = s.insert(ctx, tx, courseID, want, in.Position)
			if err != nil {
				return err
			}
			return s.audit(ctx, tx, by, "assignment.put", courseID, a, "created: "+describe(a, s.tz))
		}
		if err != nil {
			return err
		}
		a = merge(old, want, in.Position)
		return s.update(ctx, tx, by, "assignment.put", old, a)
	})
	if err != nil {
		return db.Assignment{}, false, fmt.Errorf("assignments: put %q in course %d: %w", in.Key, courseID, err)
	}
	return a, created, nil
}

// Create adds an assignment (the page): at in.Position, or after the last.
func (s *Service) Create(ctx context.Context, courseID int64, in Input, by Actor) (db.Assignment, error) {
	in = in.Clean()
	want, err := Validate(in, s.tz)
	if err != nil {
		return db.Assignment{}, err
	}
	var a db.Assignment
	err = s.d.InTx(ctx, func(tx *db.Queries) error {
		if a, err = s.insert(ctx, tx, courseID, want, in.Position); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "assignment.create", courseID, a, describe(a, s.tz))
	})
	if err != nil {
		return db.Assignment{}, fmt.Errorf("assignments: create in course %d: %w", courseID, err)
	}
	return a, nil
}

// Update replaces the fields of assignment id (the page), keeping its
// position unless in.Position is set.
func (s *Service) Update(ctx context.Context, courseID, id int64, in Input, by Actor) (db.Assignment, error) {
	in = in.Clean()
	want, err := Validate(in, s.tz)
	if err != nil {
		return db.Assignment{}, err
	}
	var a db.Assignment
	err = s.d.InTx(ctx, func(tx *db.Queries) error {
		old, err := tx.AssignmentByID(ctx, courseID, id)
		if err != nil {
			return err
		}
		a = merge(old, want, in.Position)
		return s.update(ctx, tx, by, "assignment.edit", old, a)
	})
	if err != nil {
		return db.Assignment{}, fmt.Errorf("assignments: update %d in course %d: %w", id, courseID, err)
	}
	return a, nil
}

// Move moves assignment id up (delta -1) or down (+1) the course's list,
// numbering the positions 0, 1, ... on the way; at an end it stays.
func (s *Service) Move(ctx context.Context, courseID, id int64, delta int, by Actor) error {
	err := s.d.InTx(ctx, func(tx *db.Queries) error {
		as, err := tx.Assignments(ctx, courseID)
		if err != nil {
			return err
		}
		i := -1
		for k, a := range as {
			if a.ID == id {
				i = k
			}
		}
		if i < 0 {
			return fmt.Errorf("assignment %d of course %d: %w", id, courseID, db.ErrNotFound)
		}
		j := i + delta
		if j < 0 || j >= len(as) {
			return nil
		}
		as[i], as[j] = as[j], as[i]
		for k, a := range as {
			if a.Position != k {
				a.Position = k
				if err := tx.UpdateAssignment(ctx, a); err != nil {
					return err
				}
			}
		}
		dir := map[int]string{-1: "up", 1: "down"}[delta]
		return s.audit(ctx, tx, by, "assignment.move", courseID, as[j], fmt.Sprintf("%s to place %d of %d", dir, j+1, len(as)))
	})
	if err != nil {
		return fmt.Errorf("assignments: move %d in course %d: %w", id, courseID, err)
	}
	return nil
}

// Remove deletes assignment id with its submissions (and their build and
// test results) and scores, and says what went with it.
func (s *Service) Remove(ctx context.Context, courseID, id int64, by Actor) (Row, error) {
	var r Row
	err := s.d.InTx(ctx, func(tx *db.Queries) error {
		a, err := tx.AssignmentByID(ctx, courseID, id)
		if err != nil {
			return err
		}
		work, err := tx.AssignmentsWork(ctx, courseID)
		if err != nil {
			return err
		}
		r = Row{Assignment: a, AssignmentWork: work[id]}
		if err := tx.DeleteAssignment(ctx, courseID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "assignment.remove", courseID, a,
			fmt.Sprintf("%d submissions, %d scores removed with it", r.Submissions, r.Scores))
	})
	if err != nil {
		return Row{}, fmt.Errorf("assignments: remove %d from course %d: %w", id, courseID, err)
	}
	return r, nil
}

// RemoveByKey is Remove for the assignment with outside key key.
func (s *Service) RemoveByKey(ctx context.Context, courseID int64, key string, by Actor) (Row, error) {
	a, err := s.d.AssignmentByKey(ctx, courseID, key)
	if err != nil {
		return Row{}, err
	}
	return s.Remove(ctx, courseID, a.ID, by)
}

// insert writes a new assignment, after the last one when pos is nil.
func (s *Service) insert(ctx context.Context, tx *db.Queries, courseID int64, a db.Assignment, pos *int) (db.Assignment, error) {
	a.CourseID = courseID
	if pos == nil {
		as, err := tx.Assignments(ctx, courseID)
		if err != nil {
			return db.Assignment{}, err
		}
		a.Position = 0
		for _, o := range as {
			a.Position = max(a.Position, o.Position+1)
		}
	}
	id, err := tx.InsertAssignment(ctx, a)
	if db.IsUniqueViolation(err) {
		return db.Assignment{}, keyClash(a.Key)
	}
	if err != nil {
		return db.Assignment{}, err
	}
	a.ID = id
	return a, nil
}

// update writes a over old when anything differs, audited with the changes.
func (s *Service) update(ctx context.Context, tx *db.Queries, by Actor, action string, old, a db.Assignment) error {
	changes := diff(old, a, s.tz)
	if len(changes) == 0 {
		return nil
	}
	err := tx.UpdateAssignment(ctx, a)
	if db.IsUniqueViolation(err) {
		return keyClash(a.Key)
	}
	if err != nil {
		return err
	}
	return s.audit(ctx, tx, by, action, a.CourseID, a, strings.Join(changes, "; "))
}

func keyClash(key string) error {
	return &keyTaken{courses.FieldError{Field: "key", Message: fmt.Sprintf("Another assignment of this course has the key %q.", key)}}
}

// merge is old with want's fields; the position moves only when given.
func merge(old, want db.Assignment, pos *int) db.Assignment {
	want.ID, want.CourseID, want.Position = old.ID, old.CourseID, old.Position
	if pos != nil {
		want.Position = *pos
	}
	return want
}

// diff lists what changed from old to a, for the audit log.
func diff(old, a db.Assignment, tz *time.Location) []string {
	var out []string
	for _, f := range []struct{ name, was, is string }{
		{"name", old.Name, a.Name}, {"kind", old.Kind, a.Kind},
		{"opens", when(old.OpensAt, tz), when(a.OpensAt, tz)}, {"due", when(old.DueAt, tz), when(a.DueAt, tz)},
		{"points", fmt.Sprint(old.Points), fmt.Sprint(a.Points)}, {"key", old.Key, a.Key},
		{"position", fmt.Sprint(old.Position), fmt.Sprint(a.Position)},
	} {
		if f.was != f.is {
			out = append(out, fmt.Sprintf("%s %q → %q", f.name, f.was, f.is))
		}
	}
	return out
}

func describe(a db.Assignment, tz *time.Location) string {
	return fmt.Sprintf("%s, %g points, due %s", a.Kind, a.Points, or(when(a.DueAt, tz), "never"))
}

// when formats a time for the audit log in the school's zone ("" for none).
func when(t *time.Time, tz *time.Location) string {
	if t == nil {
		return ""
	}
	return t.In(tz).Format("2006-01-02 15:04:05 MST")
}

func (s *Service) audit(ctx context.Context, tx *db.Queries, by Actor, action string, courseID int64, a db.Assignment, detail string) error {
	subject := a.Name
	if a.Key != "" {
		subject = fmt.Sprintf("%s (%s)", a.Name, a.Key)
	}
	return tx.InsertAuditEvent(ctx, db.AuditEvent{At: s.now(), UserID: by.UserID, Actor: by.Name, RemoteIP: by.RemoteIP,
		Action: action, CourseID: courseID, Subject: subject, Detail: detail})
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
