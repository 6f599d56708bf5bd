package gradebook

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"coursevault/db"
)

func TestPlan_canvasFile(t *testing.T) {
	c := newCourse(t)
	before, scores := c.version(), c.scores()
	p := c.plan(testFile(t, "canvas_gradebook.csv"))
	if len(p.Errors) > 0 {
		t.Fatalf("errors: %v", p.Errors)
	}
	if p.Matched != 3 || !reflect.DeepEqual(p.Unknown, []Unknown{{Line: 6, Who: "nobody@school.edu"}}) {
		t.Errorf("matched %d, unknown %+v", p.Matched, p.Unknown)
	}
	wantNew := []NewAssignment{{Name: "Lab: Pendulum", Key: "canvas-124", Points: 20}, {Name: "Midterm", Key: "canvas-130", Points: 50}}
	if !reflect.DeepEqual(p.NewAssignments, wantNew) {
		t.Errorf("new assignments %+v", p.NewAssignments)
	}
	wantSet := []string{
		"3 Ada Lovelace Homework 1 none→9/10",
		"3 Ada Lovelace Lab: Pendulum none→18.5/20",
		"4 Grace Hopper Homework 1 none→10/10",
		"4 Grace Hopper Midterm none→45/50",
		"5 Alan Turing Lab: Pendulum none→12/20", // by SIS User ID; EX leaves Homework 1 as it is
		"5 Alan Turing Midterm none→40.5/50",
	}
	if got := changes(p.Set); !reflect.DeepEqual(got, wantSet) {
		t.Errorf("set\n%q\nwant\n%q", got, wantSet)
	}
	if len(p.Change) != 0 || p.Unchanged != 0 {
		t.Errorf("change %q, unchanged %d", changes(p.Change), p.Unchanged)
	}
	if c.version() != before || !reflect.DeepEqual(c.scores(), scores) {
		t.Error("planning wrote something")
	}
}

func TestApply_writesScoresAndAssignmentsOnce(t *testing.T) {
	c := newCourse(t)
	before := c.version()
	_, n := c.apply(testFile(t, "canvas_gradebook.csv"))
	if n != (Counts{CreatedAssignments: 2, Set: 6}) {
		t.Errorf("counts %+v", n)
	}
	wantAssignments := []string{"1 Homework 1 [] 10 homework", "2 Lab: Pendulum [canvas-124] 20 homework", "3 Midterm [canvas-130] 50 homework"}
	if got := c.assignments(); !reflect.DeepEqual(got, wantAssignments) {
		t.Errorf("assignments %q", got)
	}
	wantScores := []string{
		"Homework 1 ada@school.edu 9/10 completed late=false",
		"Homework 1 alan@school.edu 5/10 completed late=true", // EX: untouched
		"Homework 1 grace@school.edu 10/10 completed late=false",
		"Lab: Pendulum ada@school.edu 18.5/20 completed late=false",
		"Lab: Pendulum alan@school.edu 12/20 completed late=false",
		"Midterm alan@school.edu 40.5/50 completed late=false",
		"Midterm grace@school.edu 45/50 completed late=false",
	}
	if got := c.scores(); !reflect.DeepEqual(got, wantScores) {
		t.Errorf("scores\n%q\nwant\n%q", got, wantScores)
	}
	// One bulk transaction: 2 assignments and 6 scores move it once.
	if got := c.version(); got != before+1 {
		t.Errorf("data version %d → %d, want one step for the whole file", before, got)
	}
	t.Run("the same file again changes nothing", func(t *testing.T) {
		v := c.version()
		_, n := c.apply(testFile(t, "canvas_gradebook.csv"))
		if n != (Counts{Unchanged: 6}) || c.version() != v || !reflect.DeepEqual(c.assignments(), wantAssignments) {
			t.Errorf("counts %+v, version %d → %d, assignments %q", n, v, c.version(), c.assignments())
		}
	})
}

func TestApply_changesKeepTheLateFlag(t *testing.T) {
	c := newCourse(t)
	p, n := c.apply("SIS User ID,Homework 1\n00420,8\n")
	if got := changes(p.Change); !reflect.DeepEqual(got, []string{"2 Alan Turing Homework 1 5→8/10"}) || n != (Counts{Changed: 1}) {
		t.Errorf("change %q, counts %+v", got, n)
	}
	if got := c.scores(); !reflect.DeepEqual(got, []string{"Homework 1 alan@school.edu 8/10 completed late=true"}) {
		t.Errorf("scores %q", got)
	}
}

func TestApply_moodleAndLongForm(t *testing.T) {
	c := newCourse(t)
	_, n := c.apply(testFile(t, "moodle_grades.csv"))
	if n != (Counts{CreatedAssignments: 1, Set: 2}) {
		t.Errorf("moodle counts %+v", n)
	}
	_, n = c.apply(testFile(t, "long_form.csv"))
	if n != (Counts{CreatedAssignments: 2, Set: 2, Unchanged: 1}) { // Ada's 85% of Homework 1 is Moodle's 8.5
		t.Errorf("long form counts %+v", n)
	}
	want := []string{
		"1 Homework 1 [] 10 homework",
		"2 Quiz 1 [] 100 homework", // Moodle gives no maximum: 100 points
		"3 hw2 [] 100 homework",
		"4 Essay: \"Why,\nwhy\" [] 100 homework",
	}
	if got := c.assignments(); !reflect.DeepEqual(got, want) {
		t.Errorf("assignments %q", got)
	}
	wantScores := []string{
		"Essay: \"Why,\nwhy\" grace@school.edu 60/100 completed late=false",
		"Homework 1 ada@school.edu 8.5/10 completed late=false", // 85% of 10
		"Homework 1 alan@school.edu 5/10 completed late=true",
		"Quiz 1 grace@school.edu 72/100 completed late=false",
		"hw2 grace@school.edu 7/100 completed late=false",
	}
	if got := c.scores(); !reflect.DeepEqual(got, wantScores) {
		t.Errorf("scores\n%q\nwant\n%q", got, wantScores)
	}
}

func TestApply_anyBadCellWritesNothing(t *testing.T) {
	c := newCourse(t)
	before, scores, assignments := c.version(), c.scores(), c.assignments()
	tests := []struct {
		name string
		csv  string
		want []LineError
	}{
		{"bad cells of the file", testFile(t, "errors.csv"), []LineError{
			{Line: 2, Column: "Homework 1", Message: `"abc" is not a score: write points (8.5), a percentage (85%) or leave the cell empty`},
			{Line: 3, Column: "Homework 1", Message: "-3: a score cannot be negative"},
			{Line: 4, Column: "Homework 1", Message: `"1e3" is not a score: write points (8.5), a percentage (85%) or leave the cell empty`},
			{Line: 5, Column: "Homework 1", Message: "150 is more than 10 times the 10 points of Homework 1"},
			{Line: 6, Column: "email", Message: "the row has no email address or student id"},
			{Line: 7, Column: "email", Message: `"not-an-email" is not an email address`},
			{Line: 8, Column: "email", Message: "ada@school.edu is also on line 2"},
		}},
		{"a percentage over ten times", "email,New one\nada@school.edu,1001%\ngrace@school.edu,5\n", []LineError{
			{Line: 2, Column: "New one", Message: "1001% is more than 10 times the 100 points of New one"},
		}},
		{"two columns for one assignment", "email,Homework 1,homework 1\nada@school.edu,1,2\n", []LineError{
			{Line: 1, Column: "homework 1", Message: `the column "Homework 1" is for the same assignment`},
		}},
		{"a bad points possible", "Student,SIS User ID,Lab (9)\nPoints Possible,,ten\nAda,00417,5\n", []LineError{
			{Line: 2, Column: "Lab (9)", Message: `"ten" is not a number of points possible`},
		}},
		{"a score twice in the long form", "email,assignment,score\nada@school.edu,hw1,1\nada@school.edu,HW1,2\n", []LineError{
			{Line: 3, Column: "assignment", Message: "ada@school.edu has a score for HW1 on line 2 too"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, n := c.apply(tt.csv)
			if !reflect.DeepEqual(p.Errors, tt.want) || n != (Counts{}) {
				t.Errorf("errors\n%q\nwant\n%q\ncounts %+v", p.Errors, tt.want, n)
			}
			if c.version() != before || !reflect.DeepEqual(c.scores(), scores) || !reflect.DeepEqual(c.assignments(), assignments) {
				t.Error("something was written")
			}
		})
	}
}

func TestPlan_matching(t *testing.T) {
	c := newCourse(t)
	tests := []struct {
		name    string
		csv     string
		matched int
		unknown []Unknown
		set     []string
	}{
		{"by email, any case", "Email address,Homework 1\nADA@School.edu,7\n", 1, nil, []string{"2 Ada Lovelace Homework 1 none→7/10"}},
		{"by student id when the email is unknown", "email,ID number,Homework 1\nada@elsewhere.edu,00418,7\n", 1, nil, []string{"2 Grace Hopper Homework 1 none→7/10"}},
		{"staff and other courses' students are unknown", "email,Homework 1\nteacher@school.edu,7\nnobody@school.edu,7\n", 0,
			[]Unknown{{Line: 2, Who: "teacher@school.edu"}, {Line: 3, Who: "nobody@school.edu"}}, nil},
		{"an unknown id", "SIS User ID,Homework 1\n99999,7\n", 0, []Unknown{{Line: 2, Who: "id 99999"}}, nil},
		{"a login id that is no email, without a student id", "Student,SIS User ID,SIS Login ID,Homework 1\nAda,,alovelace,7\n", 0, []Unknown{{Line: 2, Who: "login alovelace"}}, nil},
		{"assignment by key in the long form", "email,assignment,score\nada@school.edu,HOMEWORK 1,7\n", 1, nil, []string{"2 Ada Lovelace Homework 1 none→7/10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.plan(tt.csv)
			if p.Matched != tt.matched || !reflect.DeepEqual(p.Unknown, tt.unknown) || !reflect.DeepEqual(changes(p.Set), tt.set) || len(p.Errors) > 0 {
				t.Errorf("matched %d, unknown %+v, set %q, errors %v", p.Matched, p.Unknown, changes(p.Set), p.Errors)
			}
		})
	}
}

// A long-form file that names one assignment by its key on one line and by
// its name on another is refused with words that say so.
func TestPlan_longFormNamingOneAssignmentTwoWays(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	err := c.d.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertAssignment(ctx, db.Assignment{CourseID: c.id, Name: "Project", Kind: db.KindProject, Position: 2, Points: 50, Key: "proj"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Read(strings.NewReader("email,assignment,score\nada@school.edu,proj,40\ngrace@school.edu,Project,45\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Plan(ctx, c.d.Queries, c.id, f)
	if err != nil {
		t.Fatal(err)
	}
	want := `"proj" and "Project" name the same assignment (one by its key, one by its name): name it one way throughout the file`
	if len(p.Errors) != 1 || p.Errors[0].Message != want {
		t.Fatalf("errors %+v", p.Errors)
	}
}
