package perfbook

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"coursevault/db"
)

func approx(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s = nil, want %v", what, want)
	}
	if math.Abs(*got-want) > 1e-9 {
		t.Fatalf("%s = %v, want %v", what, *got, want)
	}
}

func TestLoad_sortsStudentsByFamilyThenGivenNameWithCollation(t *testing.T) {
	d := openDB(t)
	s := seedCourse(t, d, courseSpec{name: "Sorting", code: "S1", students: []studentSpec{
		{given: "Zoe", family: "Zhou"},
		{given: "María", family: "Ñúñez"},
		{given: "Ana", family: "Nunez"},
		{given: "Lars", family: "Öberg"},
		{given: "Bea", family: "oberg"},
		{given: "Ben", family: "Adams"},
		{given: "Al", family: "Adams"},
		{given: "Émile", family: "Zola"},
		{given: "Eli", family: "Zola", id: "2"},
		{given: "Eli", family: "Zola", id: "1"},
	}})
	b, err := Load(context.Background(), d.Queries, s.courseID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range b.Students {
		got = append(got, st.FamilyName+","+st.GivenName+","+st.StudentID)
	}
	// Accented letters sort beside their base letter (not after z), case
	// does not split a name from its kin, and ties fall to the id.
	want := []string{
		"Adams,Al,", "Adams,Ben,", "Nunez,Ana,", "Ñúñez,María,", "oberg,Bea,", "Öberg,Lars,",
		"Zhou,Zoe,", "Zola,Eli,1", "Zola,Eli,2", "Zola,Émile,",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %q\nwant %q", got, want)
	}
}

// bookSpec is a small course whose numbers are easy to check by hand.
func bookSpec() courseSpec {
	due := time.Date(2015, 5, 1, 23, 59, 0, 0, time.UTC)
	return courseSpec{
		name: "Physics I", code: "PHYS1", term: "Spring 2015",
		periods: []string{"Period 1", "Period 2"},
		assignments: []db.Assignment{
			{Name: "HW 1", Kind: db.KindHomework, DueAt: &due, Points: 10},
			{Name: "Reading 1", Kind: db.KindReading, Points: 5},
			{Name: "Exam 1", Kind: db.KindExam, DueAt: &due, Points: 100},
		},
		students: []studentSpec{
			{given: "Ada", family: "Lovelace", id: "00123", period: "Period 1"},
			{given: "Alan", family: "Turing", id: "0042", period: "Period 2"},
			{given: "Grace", family: "Hopper", id: "7", period: "Period 1"},
		},
		scores: []scoreSpec{
			{student: 0, assignment: 0, fraction: frac(0.8)},
			{student: 0, assignment: 1, fraction: frac(0.5), status: db.ScoreInProgress},
			{student: 0, assignment: 2, status: db.ScoreNotStarted}, // a row with NULL fraction
			{student: 1, assignment: 0, fraction: frac(1), late: true},
			{student: 1, assignment: 2, fraction: frac(0.7)},
			// Grace has no scores at all.
		},
	}
}

func TestLoad_cellsAndAveragesFollowTheScores(t *testing.T) {
	d := openDB(t)
	s := seedCourse(t, d, bookSpec())
	b, err := Load(context.Background(), d.Queries, s.courseID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Course.Name != "Physics I" || len(b.Periods) != 2 || len(b.Assignments) != 3 || len(b.Students) != 3 {
		t.Fatalf("book shape: %+v", b)
	}
	if names := []string{b.Assignments[0].Name, b.Assignments[1].Name, b.Assignments[2].Name}; !slices.Equal(names, []string{"HW 1", "Reading 1", "Exam 1"}) {
		t.Fatalf("assignments not in course order: %v", names)
	}
	// Hopper, Lovelace, Turing.
	hopper, lovelace, turing := b.Students[0], b.Students[1], b.Students[2]
	if hopper.FamilyName != "Hopper" || lovelace.FamilyName != "Lovelace" || turing.FamilyName != "Turing" {
		t.Fatalf("order: %v %v %v", hopper.FamilyName, lovelace.FamilyName, turing.FamilyName)
	}
	if lovelace.StudentID != "00123" || lovelace.PeriodName != "Period 1" || turing.PeriodName != "Period 2" {
		t.Fatalf("student fields: %+v %+v", lovelace, turing)
	}

	approx(t, "Lovelace HW 1", lovelace.Cells[0].Score(), 0.8)
	if c := lovelace.Cells[1]; !c.InProgress() || c.Late {
		t.Fatalf("Lovelace Reading 1 = %+v, want in progress", c)
	}
	if c := lovelace.Cells[2]; c.Scored || c.Status() != db.ScoreNotStarted {
		t.Fatalf("Lovelace Exam 1 = %+v, want not started", c)
	}
	if c := turing.Cells[0]; !c.Late {
		t.Fatalf("Turing HW 1 = %+v, want late", c)
	}
	if c := hopper.Cells[2]; c.Scored || c.Status() != db.ScoreNotStarted {
		t.Fatalf("cell without a score row = %+v, want not started", c)
	}

	// Student averages leave out work not started.
	approx(t, "Lovelace average", lovelace.Average, (0.8+0.5)/2)
	approx(t, "Turing average", turing.Average, (1+0.7)/2)
	if hopper.Average != nil {
		t.Fatalf("Hopper has no scores, average = %v, want nil", *hopper.Average)
	}
	// Assignment averages and completion rates are over all three students.
	approx(t, "HW 1 average", b.Assignments[0].Average, 0.9)
	approx(t, "Reading 1 average", b.Assignments[1].Average, 0.5)
	approx(t, "Exam 1 average", b.Assignments[2].Average, 0.7)
	if a := b.Assignments[0]; a.Completed != 2 || math.Abs(a.CompletionRate-2.0/3) > 1e-9 {
		t.Fatalf("HW 1 completion = %d, %v", a.Completed, a.CompletionRate)
	}
	if a := b.Assignments[1]; a.Completed != 0 || a.CompletionRate != 0 {
		t.Fatalf("in progress counted as completed: %+v", a)
	}
	approx(t, "class average", b.Average, (0.8+0.5+1+0.7)/4)
	if b.Scored != 4 {
		t.Fatalf("scored cells = %d, want 4", b.Scored)
	}
}

func TestForPeriod_keepsThePeriodsStudentsAndRecomputesAverages(t *testing.T) {
	d := openDB(t)
	s := seedCourse(t, d, bookSpec())
	b, err := Load(context.Background(), d.Queries, s.courseID)
	if err != nil {
		t.Fatal(err)
	}
	p1 := b.ForPeriod(s.periods["Period 1"])
	if len(p1.Students) != 2 || p1.Students[0].FamilyName != "Hopper" || p1.Students[1].FamilyName != "Lovelace" {
		t.Fatalf("period 1 students: %+v", p1.Students)
	}
	approx(t, "period 1 HW 1 average", p1.Assignments[0].Average, 0.8)
	if p1.Assignments[2].Average != nil {
		t.Fatalf("period 1 Exam 1 has no scores, average = %v", *p1.Assignments[2].Average)
	}
	approx(t, "period 1 class average", p1.Average, (0.8+0.5)/2)
	if math.Abs(p1.Assignments[0].CompletionRate-0.5) > 1e-9 {
		t.Fatalf("period 1 HW 1 completion = %v, want 0.5", p1.Assignments[0].CompletionRate)
	}
	// The whole book is untouched.
	approx(t, "book HW 1 average", b.Assignments[0].Average, 0.9)
	if none := b.ForPeriod(0); len(none.Students) != 0 || none.Average != nil {
		t.Fatalf("no-period book: %+v", none)
	}
}

func TestLoad_leavesOutStaffAndOtherCourses(t *testing.T) {
	d := openDB(t)
	ctx := context.Background()
	s := seedCourse(t, d, bookSpec())
	other := seedCourse(t, d, courseSpec{name: "Other", code: "O1",
		assignments: []db.Assignment{{Name: "Other HW", Points: 1}},
		students:    []studentSpec{{given: "Olga", family: "Other"}},
		scores:      []scoreSpec{{student: 0, assignment: 0, fraction: frac(0.1)}},
	})
	err := d.InTx(ctx, func(tx *db.Queries) error {
		// A teacher of the course who also has a score row (e.g. tried the work).
		uid, err := tx.InsertUser(ctx, db.User{Email: "teacher@example.edu", Name: "T", FamilyName: "Aaron", CreatedAt: t0})
		if err != nil {
			return err
		}
		if _, err := tx.InsertMembership(ctx, db.Membership{CourseID: s.courseID, UserID: uid, Role: db.RoleTeacher, CreatedAt: t0}); err != nil {
			return err
		}
		ins, err := tx.PrepareInsertScore(ctx)
		if err != nil {
			return err
		}
		defer ins.Close()
		_, err = ins.Exec(ctx, db.Score{AssignmentID: s.assignments[0], UserID: uid, Fraction: frac(0), Status: db.ScoreCompleted, UpdatedAt: t0})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(ctx, d.Queries, s.courseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Students) != 3 {
		t.Fatalf("students = %d, want 3 (no teacher, no other course)", len(b.Students))
	}
	approx(t, "HW 1 average", b.Assignments[0].Average, 0.9)
	if o, err := Load(ctx, d.Queries, other.courseID); err != nil || len(o.Students) != 1 || o.Scored != 1 {
		t.Fatalf("other course: %+v, %v", o, err)
	}
}

func TestLoad_unknownCourseIsNotFound(t *testing.T) {
	d := openDB(t)
	_, err := Load(context.Background(), d.Queries, 999)
	if !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestLoad_emptyCourseHasNoAverages(t *testing.T) {
	d := openDB(t)
	s := seedCourse(t, d, courseSpec{name: "Empty", code: "E1"})
	b, err := Load(context.Background(), d.Queries, s.courseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Students) != 0 || len(b.Assignments) != 0 || b.Average != nil || b.Scored != 0 {
		t.Fatalf("empty book: %+v", b)
	}
}

// mixedSpec is a course with everything a cell or an average can meet:
// blanks with and without a score row, late and in-progress work (with and
// without a fraction), three periods and students in none, and assignments
// of different points.
func mixedSpec() courseSpec {
	spec := courseSpec{name: "Mixed", code: "MIX1", term: "Fall 2015", periods: []string{"P1", "P2", "P3"}}
	for j, pts := range []float64{10, 100, 5, 20, 1, 50, 100} {
		spec.assignments = append(spec.assignments, db.Assignment{Name: fmt.Sprintf("A%d", j+1), Points: pts})
	}
	for i := range 43 {
		period := ""
		if i%4 != 3 {
			period = spec.periods[i%4]
		}
		spec.students = append(spec.students, studentSpec{given: fmt.Sprintf("G%02d", i), family: fmt.Sprintf("F%02d", 43-i), id: fmt.Sprint(1000 + i), period: period})
		for j := range spec.assignments {
			switch (i*7 + j*3) % 9 {
			case 0: // no score row
			case 1:
				spec.scores = append(spec.scores, scoreSpec{student: i, assignment: j, status: db.ScoreNotStarted})
			case 2:
				spec.scores = append(spec.scores, scoreSpec{student: i, assignment: j, status: db.ScoreInProgress, late: true})
			case 3:
				spec.scores = append(spec.scores, scoreSpec{student: i, assignment: j, fraction: frac(float64(i+j) / 97), status: db.ScoreInProgress})
			case 4:
				spec.scores = append(spec.scores, scoreSpec{student: i, assignment: j, fraction: frac(float64(j) / 7), late: true})
			default:
				spec.scores = append(spec.scores, scoreSpec{student: i, assignment: j, fraction: frac(float64((i*31+j*17)%101) / 100)})
			}
		}
	}
	// Student 42 has no score at all.
	spec.scores = slices.DeleteFunc(spec.scores, func(s scoreSpec) bool { return s.student == 42 })
	return spec
}

// TestLoad_agreesWithEveryScoreRow checks the book's cells and every
// average against the scores as db.EachBookScore lists them, row by row,
// with the averages worked out here the plain way: for the course, for each
// period, and for the students without one. Scores of users who are not
// (or no longer) students of the course are in the table but not in the book.
func TestLoad_agreesWithEveryScoreRow(t *testing.T) {
	d := openDB(t)
	ctx := context.Background()
	s := seedCourse(t, d, mixedSpec())
	err := d.InTx(ctx, func(tx *db.Queries) error {
		set, err := tx.PrepareSetScore(ctx)
		if err != nil {
			return err
		}
		defer set.Close()
		// Student 40 leaves the course, student 41 becomes a TA: both keep
		// their scores in the table.
		if err := tx.DeleteMembership(ctx, s.courseID, s.students[40]); err != nil {
			return err
		}
		if err := tx.UpsertMembership(ctx, db.Membership{CourseID: s.courseID, UserID: s.students[41], Role: db.RoleTA, CreatedAt: t0}); err != nil {
			return err
		}
		for _, u := range s.students[40:42] {
			for _, a := range s.assignments {
				if err := set.Exec(ctx, a, u, 0.01, t0); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[[2]int64]db.BookScore{}
	err = d.EachBookScore(ctx, s.courseID, func(sc db.BookScore) error {
		rows[[2]int64{sc.AssignmentID, sc.UserID}] = sc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var b Book
	err = d.ReadTx(ctx, func(tx *db.Queries) error { b, err = Load(ctx, tx, s.courseID); return err })
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Students) != 41 {
		t.Fatalf("%d students in the book, want the 41 still students", len(b.Students))
	}
	for _, st := range b.Students {
		for j, a := range b.Assignments {
			c, r := st.Cells[j], rows[[2]int64{a.ID, st.UserID}]
			if r.Status == "" {
				r.Status = db.ScoreNotStarted // no row
			}
			if c.Scored != r.Scored || c.Fraction != r.Fraction || c.Status() != r.Status || c.Late != r.Late {
				t.Fatalf("%s %s: cell %+v (%s), row %+v", st.FamilyName, a.Name, c, c.Status(), r)
			}
		}
	}

	// expect checks the averages of book against the rows of its students.
	expect := func(what string, book Book) {
		t.Helper()
		var sum float64
		var n int
		for j, a := range book.Assignments {
			var aSum float64
			var aN, done int
			for _, st := range book.Students {
				r, ok := rows[[2]int64{a.ID, st.UserID}]
				if ok && r.Status == db.ScoreCompleted {
					done++
				}
				if ok && r.Scored {
					aSum += r.Fraction
					aN++
				}
			}
			sameAverage(t, fmt.Sprintf("%s: %s", what, a.Name), book.Assignments[j].Average, aSum, aN)
			if a.Scored != aN || a.Completed != done || len(book.Students) > 0 && a.CompletionRate != float64(done)/float64(len(book.Students)) {
				t.Errorf("%s: %s scored %d completed %d rate %v; want %d, %d of %d", what, a.Name, a.Scored, a.Completed, a.CompletionRate, aN, done, len(book.Students))
			}
			sum += aSum
			n += aN
		}
		sameAverage(t, what+": class", book.Average, sum, n)
		for _, st := range book.Students {
			var sSum float64
			var sN int
			for _, a := range book.Assignments {
				if r := rows[[2]int64{a.ID, st.UserID}]; r.Scored {
					sSum += r.Fraction
					sN++
				}
			}
			sameAverage(t, what+": "+st.FamilyName, st.Average, sSum, sN)
		}
	}
	expect("course", b)
	for _, p := range append(b.Periods, Period{Name: "no period"}) {
		book := b.ForPeriod(p.ID)
		if len(book.Students) == 0 {
			t.Fatalf("%s has no students: the fixture lost its point", p.Name)
		}
		expect(p.Name, book)
		if w := b.Window(Query{HasPeriod: true, Period: p.ID, PerPage: 4}); w.Book.Average != book.Average && *w.Book.Average != *book.Average {
			t.Errorf("%s: the window's class average is not the period's", p.Name)
		}
	}
}

// sameAverage fails unless got is sum/n (nil when n is 0), up to the order
// the sum was added in.
func sameAverage(t *testing.T, what string, got *float64, sum float64, n int) {
	t.Helper()
	switch {
	case n == 0 && got != nil:
		t.Errorf("%s = %v, want blank", what, *got)
	case n > 0 && got == nil:
		t.Errorf("%s is blank, want %v", what, sum/float64(n))
	case n > 0 && math.Abs(*got-sum/float64(n)) > 1e-12:
		t.Errorf("%s = %v, want %v", what, *got, sum/float64(n))
	}
}
