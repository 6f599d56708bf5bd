package gradebook

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"coursevault/db"
)

// canvasFile is a Canvas export of students × assignments, with the Points
// Possible row and Canvas's twelve computed columns; shift changes every score.
func canvasFile(students, assignments, shift int) []byte {
	var b bytes.Buffer
	b.WriteString("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section")
	for a := range assignments {
		fmt.Fprintf(&b, ",Assignment %d (%d)", a+1, 1000+a)
	}
	totals := ",Assignments Current Score,Assignments Final Score,Current Points,Final Points,Current Score,Unposted Current Score,Final Score,Unposted Final Score,Current Grade,Unposted Current Grade,Final Grade,Unposted Final Grade\r\n"
	b.WriteString(totals)
	b.WriteString("    Points Possible,,,,")
	for range assignments {
		b.WriteString(",10.00")
	}
	b.WriteString(",(read only),(read only),(read only),(read only),(read only),(read only),(read only),(read only),(read only),(read only),(read only),(read only)\r\n")
	for s := range students {
		fmt.Fprintf(&b, "\"Family%d, Given%d\",%d,%06d,student%05d@school.edu,Period %d", s, s, s+1, s, s, s%20)
		for a := range assignments {
			fmt.Fprintf(&b, ",%d.%d", (s+a+shift)%10, shift%2*5)
		}
		b.WriteString(",90,90,270,270,90,90,90,90,A-,A-,A-,A-\r\n")
	}
	return b.Bytes()
}

// withStudents adds n students (student00000@school.edu…) to c's course.
func (c *course) withStudents(n int) {
	ctx := context.Background()
	err := c.d.InTx(ctx, func(tx *db.Queries) error {
		users, err := tx.PrepareInsertUser(ctx)
		if err != nil {
			return err
		}
		defer users.Close()
		members, err := tx.PrepareUpsertMembership(ctx)
		if err != nil {
			return err
		}
		defer members.Close()
		for i := range n {
			id, err := users.Exec(ctx, db.User{Email: fmt.Sprintf("student%05d@school.edu", i), Name: fmt.Sprintf("Given%d Family%d", i, i), CreatedAt: testNow})
			if err != nil {
				return err
			}
			if err := members.Exec(ctx, db.Membership{CourseID: c.id, UserID: id, Role: db.RoleStudent, StudentIdentifier: fmt.Sprintf("%06d", i), CreatedAt: testNow}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

func BenchmarkGradebook(b *testing.B) {
	const students, assignments = 5000, 30
	cells := float64(students * assignments)
	files := [2][]byte{canvasFile(students, assignments, 0), canvasFile(students, assignments, 1)}
	ctx := context.Background()
	perSec := func(b *testing.B) { b.ReportMetric(cells*float64(b.N)/b.Elapsed().Seconds(), "scores/s") }
	name := fmt.Sprintf("%dx%d", students, assignments)
	b.Run("preview/"+name, func(b *testing.B) { // Read + Plan, the course with every score already set
		c := newCourse(b)
		c.withStudents(students)
		if _, n, err := Apply(ctx, c.d, c.id, c.read(string(files[0])), testNow); err != nil || n.Set != students*assignments {
			b.Fatal(err, n)
		}
		b.SetBytes(int64(len(files[1])))
		b.ReportAllocs()
		for b.Loop() {
			f, err := Read(bytes.NewReader(files[1]))
			if err != nil {
				b.Fatal(err)
			}
			if p, err := Plan(ctx, c.d.Queries, c.id, f); err != nil || len(p.Change) != students*assignments {
				b.Fatal(err, len(p.Change), p.Errors)
			}
		}
		perSec(b)
	})
	b.Run("apply/"+name, func(b *testing.B) { // every score changes, each time
		c := newCourse(b)
		c.withStudents(students)
		parsed := [2]File{c.read(string(files[0])), c.read(string(files[1]))}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_, n, err := Apply(ctx, c.d, c.id, parsed[i%2], testNow)
			if err != nil || n.Set+n.Changed != students*assignments {
				b.Fatal(err, n)
			}
			i++
		}
		perSec(b)
	})
}
