package submissions

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
)

var testNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// course is a database with one course (PHYS101) holding students ada
// (student id S1) and bob, a teacher, and assignments hw1 and hw2 with keys;
// a second course (CHEM201) has its own student carl.
type course struct {
	t     testing.TB
	d     *db.DB
	id    int64
	other int64
	users map[string]int64
	hw1   int64
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
		if c.other, err = tx.InsertCourse(ctx, db.Course{Code: "CHEM201", Name: "Chemistry", CreatedAt: testNow}); err != nil {
			return err
		}
		for _, m := range []struct {
			email, role, sid string
			course           int64
		}{
			{"ada@school.test", db.RoleStudent, "S1", c.id},
			{"bob@school.test", db.RoleStudent, "", c.id},
			{"teach@school.test", db.RoleTeacher, "", c.id},
			{"carl@school.test", db.RoleStudent, "S9", c.other},
		} {
			id, err := tx.InsertUser(ctx, db.User{Email: m.email, Name: strings.Split(m.email, "@")[0], CreatedAt: testNow})
			if err != nil {
				return err
			}
			c.users[m.email] = id
			if _, err := tx.InsertMembership(ctx, db.Membership{CourseID: m.course, UserID: id, Role: m.role, StudentIdentifier: m.sid, CreatedAt: testNow}); err != nil {
				return err
			}
		}
		if c.hw1, err = tx.InsertAssignment(ctx, db.Assignment{CourseID: c.id, Name: "Homework 1", Kind: db.KindHomework, Points: 10, Key: "hw1"}); err != nil {
			return err
		}
		if _, err = tx.InsertAssignment(ctx, db.Assignment{CourseID: c.id, Name: "Homework 2", Kind: db.KindHomework, Position: 1, Points: 10, Key: "hw2"}); err != nil {
			return err
		}
		_, err = tx.InsertAssignment(ctx, db.Assignment{CourseID: c.other, Name: "Lab", Kind: db.KindHomework, Points: 10, Key: "lab"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ingest sends body with the default limits (or lim).
func (c *course) ingest(body string, lim ...Limits) (Result, error) {
	c.t.Helper()
	opts := Options{Now: testNow}
	if len(lim) > 0 {
		opts.Limits = lim[0]
	}
	return Ingest(context.Background(), c.d, c.id, strings.NewReader(body), opts)
}

// counts are the course's rows of work.
func (c *course) counts() db.ArchiveCounts {
	c.t.Helper()
	n, err := c.d.CountArchiveRows(context.Background(), c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

func (c *course) dataVersion(t testing.TB) int64 {
	t.Helper()
	co, err := c.d.CourseByID(context.Background(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	return co.DataVersion
}

// line is one submission line; extra is spliced in before the closing brace.
func line(id, assignment, student, extra string) string {
	return fmt.Sprintf(`{"id":%q,"assignment":%q,"student":%q,"commit":"3f2a9c","state":"passed","submitted_at":"2026-11-01T10:00:00Z"%s}`,
		id, assignment, student, extra)
}

// generated is a body of n submission lines made as it is read (never
// whole in memory): line i is id gen-i of student ada or bob on hw1 or hw2,
// with a build and tests results of stdout bytes each.
type generated struct {
	n, tests, stdout int
	prefix           string // of the ids, so repeated runs insert anew
	i                int
	pending          []byte
	filler           string // stdout as a JSON string
}

func generate(n, tests, stdout int) *generated {
	return &generated{n: n, tests: tests, stdout: stdout, filler: `"` + strings.Repeat("x", stdout) + `"`}
}

func (g *generated) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		if g.i >= g.n {
			return 0, io.EOF
		}
		student := []string{"ada@school.test", "bob@school.test"}[g.i%2]
		hw := []string{"hw1", "hw2"}[g.i/2%2]
		var b strings.Builder
		if g.stdout > 0 {
			fmt.Fprintf(&b, `,"build":{"passed":true,"stdout":%s}`, g.filler)
		}
		b.WriteString(`,"tests":[`)
		for t := range g.tests {
			if t > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"name":"test_%d","passed":%t,"message":"","stdout":%s}`, t, t%3 != 2, g.filler)
		}
		b.WriteString(`],"score":0.5`)
		g.pending = []byte(line(fmt.Sprintf("%sgen-%d", g.prefix, g.i), hw, student, b.String()) + "\n")
		g.i++
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}
