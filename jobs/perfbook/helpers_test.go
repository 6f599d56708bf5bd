package perfbook

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
)

// Fixtures are built through db's own insert methods on a real SQLite file.

var t0 = time.Date(2015, 4, 30, 12, 0, 0, 0, time.UTC)

func openDB(tb testing.TB) *db.DB {
	tb.Helper()
	d := dbtest.Open(tb)
	return d
}

type studentSpec struct {
	given, family, id, period string // period "": none
}

type scoreSpec struct {
	student, assignment int      // indexes into the spec's slices
	fraction            *float64 // nil: NULL
	status              string
	late                bool
}

type courseSpec struct {
	name, code, term string
	periods          []string
	assignments      []db.Assignment // CourseID and Position are filled in
	students         []studentSpec
	scores           []scoreSpec
}

type seeded struct {
	courseID    int64
	students    []int64 // user ids, in spec order
	assignments []int64 // in spec order
	periods     map[string]int64
}

func frac(f float64) *float64 { return &f }

// seedCourse writes spec in one transaction.
func seedCourse(tb testing.TB, d *db.DB, spec courseSpec) seeded {
	tb.Helper()
	ctx := context.Background()
	out := seeded{periods: map[string]int64{}}
	err := d.InTx(ctx, func(tx *db.Queries) error {
		var err error
		out.courseID, err = tx.InsertCourse(ctx, db.Course{Code: spec.code, Name: spec.name, Term: spec.term, CreatedAt: t0})
		if err != nil {
			return err
		}
		for i, p := range spec.periods {
			id, err := tx.InsertPeriod(ctx, db.Period{CourseID: out.courseID, Name: p, Position: i})
			if err != nil {
				return err
			}
			out.periods[p] = id
		}
		for i, a := range spec.assignments {
			a.CourseID, a.Position = out.courseID, i
			if a.Kind == "" {
				a.Kind = db.KindHomework
			}
			id, err := tx.InsertAssignment(ctx, a)
			if err != nil {
				return err
			}
			out.assignments = append(out.assignments, id)
		}
		for i, s := range spec.students {
			uid, err := tx.InsertUser(ctx, db.User{
				Email: fmt.Sprintf("c%d-s%d@example.edu", out.courseID, i), Name: s.given + " " + s.family,
				GivenName: s.given, FamilyName: s.family, CreatedAt: t0,
			})
			if err != nil {
				return err
			}
			_, err = tx.InsertMembership(ctx, db.Membership{
				CourseID: out.courseID, UserID: uid, Role: db.RoleStudent,
				PeriodID: out.periods[s.period], StudentIdentifier: s.id, CreatedAt: t0,
			})
			if err != nil {
				return err
			}
			out.students = append(out.students, uid)
		}
		ins, err := tx.PrepareInsertScore(ctx)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, s := range spec.scores {
			status := s.status
			if status == "" {
				status = db.ScoreCompleted
			}
			_, err := ins.Exec(ctx, db.Score{
				AssignmentID: out.assignments[s.assignment], UserID: out.students[s.student],
				Fraction: s.fraction, Status: status, Late: s.late, UpdatedAt: t0,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// largeSpec is a deterministic course of n students × m assignments in four
// periods: about 85% of cells scored, 5% in progress, 10% not started, some late.
func largeSpec(n, m int) courseSpec {
	r := rand.New(rand.NewPCG(uint64(n), uint64(m)))
	spec := courseSpec{
		name: fmt.Sprintf("Large %dx%d", n, m), code: fmt.Sprintf("L%dX%d", n, m), term: "Fall 2015",
		periods: []string{"Period 1", "Period 2", "Period 3", "Period 4"},
	}
	for j := range m {
		due := t0.AddDate(0, 0, 7*j)
		kinds := []string{db.KindHomework, db.KindReading, db.KindProject, db.KindExam}
		spec.assignments = append(spec.assignments, db.Assignment{
			Name: fmt.Sprintf("Assignment %d", j+1), Kind: kinds[j%4], DueAt: &due, Points: 100,
		})
	}
	given := []string{"Ana", "Björn", "Chloé", "Dmitri", "Émile", "Fatima", "Grace", "Hiroshi"}
	family := []string{"Álvarez", "Nunez", "Ñúñez", "Öberg", "Oberg", "Smith", "Zhou", "O'Brien", "van der Berg"}
	for i := range n {
		spec.students = append(spec.students, studentSpec{
			given: given[r.IntN(len(given))], family: family[r.IntN(len(family))] + fmt.Sprint(i%97),
			id: fmt.Sprintf("%07d", i+1), period: spec.periods[i%4],
		})
		for j := range m {
			switch x := r.Float64(); {
			case x < 0.10:
			case x < 0.15:
				spec.scores = append(spec.scores, scoreSpec{student: i, assignment: j, fraction: frac(r.Float64() / 2), status: db.ScoreInProgress})
			default:
				spec.scores = append(spec.scores, scoreSpec{student: i, assignment: j, fraction: frac(float64(r.IntN(1001)) / 1000), late: x > 0.95})
			}
		}
	}
	return spec
}
