package gradebook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
)

var testNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// course is a database with one course: four students (Ada, Grace, Alan,
// Katherine, with student ids 00417 to 00420), a teacher, a student of
// another course, and "Homework 1" (10 points) where Alan has 5, late.
type course struct {
	t     testing.TB
	d     *db.DB
	id    int64
	hw1   int64
	users map[string]int64 // by email
}

func newCourse(t testing.TB) *course {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t)
	var err error
	c := &course{t: t, d: d, users: map[string]int64{}}
	err = d.InTx(ctx, func(tx *db.Queries) error {
		if c.id, err = tx.InsertCourse(ctx, db.Course{Code: "PHYS101", Name: "Physics", CreatedAt: testNow}); err != nil {
			return err
		}
		other, err := tx.InsertCourse(ctx, db.Course{Code: "CHEM201", Name: "Chemistry", CreatedAt: testNow})
		if err != nil {
			return err
		}
		people := []struct{ email, name, role, id string }{
			{"ada@school.edu", "Ada Lovelace", db.RoleStudent, "00417"},
			{"grace@school.edu", "Grace Hopper", db.RoleStudent, "00418"},
			{"alan@school.edu", "Alan Turing", db.RoleStudent, "00420"},
			{"katherine@school.edu", "Katherine Johnson", db.RoleStudent, "00421"},
			{"teacher@school.edu", "Tess Teacher", db.RoleTeacher, ""},
		}
		for _, p := range people {
			uid, err := tx.InsertUser(ctx, db.User{Email: p.email, Name: p.name, CreatedAt: testNow})
			if err != nil {
				return err
			}
			c.users[p.email] = uid
			if _, err := tx.InsertMembership(ctx, db.Membership{CourseID: c.id, UserID: uid, Role: p.role, StudentIdentifier: p.id, CreatedAt: testNow}); err != nil {
				return err
			}
		}
		uid, err := tx.InsertUser(ctx, db.User{Email: "nobody@school.edu", Name: "Known Nobody", CreatedAt: testNow})
		if err != nil {
			return err
		}
		if _, err := tx.InsertMembership(ctx, db.Membership{CourseID: other, UserID: uid, Role: db.RoleStudent, CreatedAt: testNow}); err != nil {
			return err
		}
		if c.hw1, err = tx.InsertAssignment(ctx, db.Assignment{CourseID: c.id, Name: "Homework 1", Kind: db.KindHomework, Position: 1, Points: 10}); err != nil {
			return err
		}
		ins, err := tx.PrepareInsertScore(ctx)
		if err != nil {
			return err
		}
		defer ins.Close()
		half := 0.5
		_, err = ins.Exec(ctx, db.Score{AssignmentID: c.hw1, UserID: c.users["alan@school.edu"], Fraction: &half, Status: db.ScoreCompleted, Late: true, UpdatedAt: testNow})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (c *course) read(csv string) File {
	c.t.Helper()
	f, err := Read(strings.NewReader(csv))
	if err != nil {
		c.t.Fatal(err)
	}
	return f
}

func (c *course) plan(csv string) Preview {
	c.t.Helper()
	p, err := Plan(context.Background(), c.d.Queries, c.id, c.read(csv))
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *course) apply(csv string) (Preview, Counts) {
	c.t.Helper()
	p, n, err := Apply(context.Background(), c.d, c.id, c.read(csv), testNow)
	if err != nil {
		c.t.Fatal(err)
	}
	return p, n
}

func (c *course) version() int64 {
	c.t.Helper()
	co, err := c.d.CourseByID(context.Background(), c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	return co.DataVersion
}

// scores renders the course's scores as "assignment email points/of status late", sorted.
func (c *course) scores() []string {
	c.t.Helper()
	ctx := context.Background()
	as, err := c.d.Assignments(ctx, c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	byID := map[int64]db.Assignment{}
	for _, a := range as {
		byID[a.ID] = a
	}
	email := map[int64]string{}
	for e, id := range c.users {
		email[id] = e
	}
	var out []string
	err = c.d.EachBookScore(ctx, c.id, func(s db.BookScore) error {
		a := byID[s.AssignmentID]
		out = append(out, fmt.Sprintf("%s %s %s/%s %s late=%v", a.Name, email[s.UserID], FormatPoints(s.Fraction*a.Points), FormatPoints(a.Points), s.Status, s.Late))
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// assignments renders the course's assignments as "position name key points kind".
func (c *course) assignments() []string {
	c.t.Helper()
	as, err := c.d.Assignments(context.Background(), c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, fmt.Sprintf("%d %s [%s] %s %s", a.Position, a.Name, a.Key, FormatPoints(a.Points), a.Kind))
	}
	return out
}

// changes renders a preview's scores as "line student assignment from→to/of".
func changes(cs []Change) []string {
	var out []string
	for _, c := range cs {
		from := "none"
		if c.From != nil {
			from = FormatPoints(*c.From)
		}
		out = append(out, fmt.Sprintf("%d %s %s %s→%s/%s", c.Line, c.Student, c.Assignment, from, FormatPoints(c.To), FormatPoints(c.Points)))
	}
	return out
}
