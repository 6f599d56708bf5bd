package web

import (
	"context"
	"time"

	"coursevault/db"
	"coursevault/jobs/courses"
)

// staffedCourse creates a course with the fixture's admin, teacher, TA and
// student in it, as the fixture's own course has them.
func (f *fixture) staffedCourse(code string) int64 {
	f.t.Helper()
	ctx := context.Background()
	c, err := f.srv.courses.Create(ctx, courses.Input{Code: code, Name: "Course " + code}, courses.Actor{})
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.db.InTx(ctx, func(tx *db.Queries) error {
		for email, role := range map[string]string{asAdmin: db.RoleAdmin, asTeacher: db.RoleTeacher, asTA: db.RoleTA, asStudent: db.RoleStudent} {
			if _, err := tx.InsertMembership(ctx, db.Membership{CourseID: c.ID, UserID: f.users[email], Role: role, CreatedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}
