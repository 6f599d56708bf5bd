package perfbook

import (
	"context"
	"errors"
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

	approx(t, "Lovelace HW 1", lovelace.Cells[0].Fraction, 0.8)
	if c := lovelace.Cells[1]; !c.InProgress() || c.Late {
		t.Fatalf("Lovelace Reading 1 = %+v, want in progress", c)
	}
	if c := lovelace.Cells[2]; c.Fraction != nil || c.Status != db.ScoreNotStarted {
		t.Fatalf("Lovelace Exam 1 = %+v, want not started", c)
	}
	if c := turing.Cells[0]; !c.Late {
		t.Fatalf("Turing HW 1 = %+v, want late", c)
	}
	if c := hopper.Cells[2]; c.Fraction != nil || c.Status != db.ScoreNotStarted {
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
