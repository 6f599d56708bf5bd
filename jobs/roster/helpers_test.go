package roster

import (
	"context"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
)

var testNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// course is a database with one course, its admin (who applies files) and
// a second course.
type course struct {
	t     testing.TB
	d     *db.DB
	id    int64
	other int64
	admin int64
}

func newCourse(t testing.TB) *course {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t)
	var err error
	c := &course{t: t, d: d}
	err = d.InTx(ctx, func(tx *db.Queries) error {
		if c.id, err = tx.InsertCourse(ctx, db.Course{Code: "PHYS101", Name: "Physics", CreatedAt: testNow}); err != nil {
			return err
		}
		if c.other, err = tx.InsertCourse(ctx, db.Course{Code: "CHEM201", Name: "Chemistry", CreatedAt: testNow}); err != nil {
			return err
		}
		if c.admin, err = tx.InsertUser(ctx, db.User{Email: "boss@school.edu", Name: "Boss", CreatedAt: testNow}); err != nil {
			return err
		}
		_, err = tx.InsertMembership(ctx, db.Membership{CourseID: c.id, UserID: c.admin, Role: db.RoleAdmin, CreatedAt: testNow})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *course) read(csv string) File {
	c.t.Helper()
	f, err := Read(strings.NewReader(csv))
	if err != nil {
		c.t.Fatal(err)
	}
	return f
}

func (c *course) plan(csv string, opts Options) Preview {
	c.t.Helper()
	opts.Actor = c.admin
	p, err := Plan(context.Background(), c.d.Queries, c.id, c.read(csv), opts)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (c *course) apply(csv string, opts Options) (Preview, Counts) {
	c.t.Helper()
	opts.Actor = c.admin
	p, n, err := Apply(context.Background(), c.d, c.id, c.read(csv), opts, testNow)
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

// members renders the course's members as "email role period id", in order.
func (c *course) members() string {
	c.t.Helper()
	ms, err := c.d.CourseMembers(context.Background(), c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, strings.Join([]string{m.Email, m.Name, m.Role, m.PeriodName, m.StudentIdentifier}, " "))
	}
	return strings.Join(out, "\n")
}
