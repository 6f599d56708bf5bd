package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"coursevault/db"
)

// generator holds the demo being built. Every random choice comes from r in
// a fixed order, so a seed always gives the same rows.
type generator struct {
	opts    Options
	r       *rand.Rand
	sum     Summary
	users   []userSpec
	courses []*courseSpec
}

type userSpec struct {
	db.User
	student *studentSpec // nil for staff
}

type studentSpec struct {
	userID     int64
	identifier string  // text with leading zeros
	ability    float64 // typical fraction of tests passed
	period     int     // index into the course's periods; -1 when it has none
	joined     time.Time
}

type courseSpec struct {
	id               int64
	code, name, term string
	periods          []string
	periodIDs        []int64
	empty            bool
	staff            []staffSpec
	students         []*studentSpec // this course's copy of each student
	studentUsers     []int          // the students' indexes into generator.users
	assignments      []assignmentSpec
}

type staffSpec struct {
	user int // index into generator.users
	role string
}

type assignmentSpec struct {
	db.Assignment
	tests     []string // test names every submission runs
	testHeads []string // first line of each test's output
	buildHead string
}

// courseNames name the courses with students in order; the first has
// periods, the others none. Names carry "&", ":", "/" and quotes that file
// and sheet names must survive.
var courseNames = []struct{ code, name string }{
	{"CS101", "Introduction to Programming"},
	{"CS201", "Data Structures & Algorithms"},
	{"CS220", "Web Development: HTML, CSS & “Quotes”"},
	{"CS210", "Systems Programming in C"},
	{"MATH 221", "Linear Algebra — Théorie et pratique"},
	{"CS350", "Compilers/Interpreters"},
}

// emptyCourse is the last course when there are three or more: staff only.
var emptyCourse = struct{ code, name string }{"PHIL 330", "Seminar: Ethics in Computing"}

// firstCoursePeriods are the first course's sections. The last needs
// sanitizing as a spreadsheet sheet name (":", "/", "*", "?").
var firstCoursePeriods = []string{"1st Period", "3rd Period", "Period 5/6: Lab*?"}

var staffAccounts = []struct{ email, given, family string }{
	{"admin@demo.test", "Ada", "Administrator"},
	{"instructor@demo.test", "Ingrid", "Lindqvist-Ødegård"},
	{"teacher@demo.test", "Tomás", "Ó Ceallaigh"},
	{"ta@demo.test", "Tamar", "Ben-Ami"},
}

// plan decides every user, course, period, membership and assignment in
// memory; insertPlan then writes them.
func (g *generator) plan() {
	now := g.opts.Now
	termStart := now.AddDate(0, 0, -7*12).Truncate(24 * time.Hour).Add(8 * time.Hour)
	created := termStart.AddDate(0, 0, -14)

	for i, s := range staffAccounts {
		g.users = append(g.users, userSpec{User: db.User{
			Email: s.email, Name: s.given + " " + s.family, GivenName: s.given, FamilyName: s.family,
			PasswordHash: g.opts.PasswordHash, SiteAdmin: i == 0, CreatedAt: created.Add(time.Duration(i) * time.Minute),
		}})
	}
	// student@demo.test and the generated students.
	id := 417
	newStudent := func(email string, p person) int {
		g.users = append(g.users, userSpec{
			User: db.User{
				Email: email, Name: p.display, GivenName: p.given, FamilyName: p.family,
				PasswordHash: g.opts.PasswordHash, CreatedAt: created.Add(time.Duration(len(g.users)) * time.Second),
			},
			student: &studentSpec{
				identifier: fmt.Sprintf("%06d", id),
				ability:    0.35 + 0.65*g.r.Float64(),
				period:     -1,
				joined:     termStart.Add(-time.Duration(g.r.IntN(7*24)) * time.Hour),
			},
		})
		id += 1 + g.r.IntN(9)
		return len(g.users) - 1
	}
	demoStudent := newStudent("student@demo.test", person{"Ana Lucía", "Pérez", "Ana Lucía Pérez"})
	generated := make([]int, g.opts.Students)
	for i := range generated {
		var p person
		if i < len(featured) {
			p = featured[i]
		} else {
			p = randomPerson(g.r)
		}
		generated[i] = newStudent(fmt.Sprintf("s%05d@demo.test", i+1), p)
	}

	filled := g.opts.Courses
	if filled >= 3 {
		filled-- // the last course stays empty
	}
	for ci := range g.opts.Courses {
		c := &courseSpec{term: term(now), empty: ci >= filled}
		switch {
		case c.empty:
			c.code, c.name = emptyCourse.code, emptyCourse.name
		case ci < len(courseNames):
			c.code, c.name = courseNames[ci].code, courseNames[ci].name
		default:
			c.code, c.name = fmt.Sprintf("CS%d", 400+ci), fmt.Sprintf("Special Topics %d", ci-len(courseNames)+1)
		}
		g.courses = append(g.courses, c)
		c.staff = append(c.staff, staffSpec{1, db.RoleAdmin})
		if c.empty {
			continue
		}
		c.staff = append(c.staff, staffSpec{2, db.RoleTeacher}, staffSpec{3, db.RoleTA})
		if ci == 0 {
			c.periods = firstCoursePeriods
		}
		members := generated[ci*len(generated)/filled : (ci+1)*len(generated)/filled]
		if ci == 0 {
			members = append([]int{demoStudent}, members...)
		}
		for _, u := range members {
			st := *g.users[u].student // a copy: one student per course
			if len(c.periods) > 0 {
				st.period = g.r.IntN(len(c.periods))
				if u == demoStudent {
					st.period = 0
				}
			}
			c.studentUsers = append(c.studentUsers, u)
			c.students = append(c.students, &st)
		}
		c.assignments = g.planAssignments(termStart)
	}
}

// term names the school term Now falls in.
func term(now time.Time) string {
	switch m := now.Month(); {
	case m <= time.May:
		return fmt.Sprintf("Spring %d", now.Year())
	case m <= time.August:
		return fmt.Sprintf("Summer %d", now.Year())
	default:
		return fmt.Sprintf("Fall %d", now.Year())
	}
}

// kindCycle puts every kind in the first four assignments.
var kindCycle = []string{db.KindHomework, db.KindReading, db.KindProject, db.KindExam, db.KindHomework, db.KindHomework, db.KindReading, db.KindHomework, db.KindProject, db.KindHomework, db.KindExam, db.KindHomework}

var topics = []string{"Variables & Types", "Loops", "Strings — Unicode edition", "Linked lists", "Recursion", "Hash maps", "Sorting", "Trees", "Graphs: BFS/DFS", "Dynamic programming", "I/O & files", "Testing", "Concurrency", "Parsing JSON", "Regular expressions"}

var testNames = []string{"compiles_without_warnings", "test_empty_input", "TestParse/unicode_ß", "TestSort/duplicates", "test_naïve_split", "test_large_input (timeout 2s)", "style: gofmt", "TestReverse", "test_edge_cases", "memory: no leaks (valgrind)"}

func (g *generator) planAssignments(termStart time.Time) []assignmentSpec {
	n := g.opts.Assignments
	// Assignments open from termStart, 12 weeks before Now, to 2 weeks after
	// it: most work is past, one or two assignments are open, the last ones
	// are in the future.
	span := 14 * 7 * 24 * time.Hour
	var out []assignmentSpec
	counts := map[string]int{}
	for i := range n {
		kind := kindCycle[i%len(kindCycle)]
		counts[kind]++
		k := counts[kind]
		opens := termStart.Add(span * time.Duration(i) / time.Duration(max(n-1, 1))).Truncate(24 * time.Hour).Add(8 * time.Hour)
		due := opens.AddDate(0, 0, 7).Truncate(24 * time.Hour).Add(23*time.Hour + 59*time.Minute)
		a := db.Assignment{Kind: kind, Position: i + 1}
		topic := topics[(i+g.r.IntN(3))%len(topics)]
		switch kind {
		case db.KindHomework:
			a.Name = fmt.Sprintf("Homework %d: %s", k, topic)
			a.Points = []float64{10, 20, 25}[g.r.IntN(3)]
			a.OpensAt, a.DueAt = &opens, &due
		case db.KindReading:
			a.Name = fmt.Sprintf("Reading %d: Chapter %d", k, i+1)
			a.Points = 5
			if k > 1 { // the first reading has no dates at all
				a.DueAt = &due
			}
		case db.KindProject:
			a.Name = fmt.Sprintf("Project %d: %s", k, topic)
			a.Points = 100
			due = due.AddDate(0, 0, 7)
			a.OpensAt, a.DueAt = &opens, &due
		case db.KindExam:
			if k == 1 {
				a.Name = "Midterm exam"
			} else {
				a.Name = fmt.Sprintf("Exam %d", k)
			}
			a.Points = 12.5 * float64(1+g.r.IntN(4))
			start, end := opens.Add(time.Hour), opens.Add(3*time.Hour)
			a.OpensAt, a.DueAt = &start, &end
		}
		spec := assignmentSpec{Assignment: a}
		nt := 3 + g.r.IntN(4)
		first := g.r.IntN(len(testNames))
		for t := range nt {
			name := testNames[(first+t)%len(testNames)]
			spec.tests = append(spec.tests, name)
			spec.testHeads = append(spec.testHeads, fmt.Sprintf("%s=== RUN   %s%s\n", ansiBold, name, ansiReset))
		}
		spec.buildHead = fmt.Sprintf("%s==> Building %q (assignment %d)%s\n", ansiBold, a.Name, i+1, ansiReset)
		out = append(out, spec)
	}
	return out
}

// insertPlan writes the planned users, courses, periods, memberships and
// assignments, filling in their ids.
func (g *generator) insertPlan(ctx context.Context, tx *db.Queries) error {
	var sum Summary
	for i := range g.users {
		id, err := tx.InsertUser(ctx, g.users[i].User)
		if err != nil {
			return err
		}
		g.users[i].ID = id
		sum.Users++
	}
	courseCreated := g.opts.Now.AddDate(0, 0, -7*14)
	for ci, c := range g.courses {
		id, err := tx.InsertCourse(ctx, db.Course{Code: c.code, Name: c.name, Term: c.term, CreatedAt: courseCreated.Add(time.Duration(ci) * time.Hour)})
		if err != nil {
			return err
		}
		c.id = id
		sum.Courses++
		for pi, name := range c.periods {
			pid, err := tx.InsertPeriod(ctx, db.Period{CourseID: c.id, Name: name, Position: pi + 1})
			if err != nil {
				return err
			}
			c.periodIDs = append(c.periodIDs, pid)
			sum.Periods++
		}
		for _, s := range c.staff {
			_, err := tx.InsertMembership(ctx, db.Membership{CourseID: c.id, UserID: g.users[s.user].ID, Role: s.role, CreatedAt: courseCreated})
			if err != nil {
				return err
			}
			sum.Memberships++
		}
		for k, st := range c.students {
			st.userID = g.users[c.studentUsers[k]].ID
			m := db.Membership{CourseID: c.id, UserID: st.userID, Role: db.RoleStudent, StudentIdentifier: st.identifier, CreatedAt: st.joined}
			if st.period >= 0 {
				m.PeriodID = c.periodIDs[st.period]
			}
			if _, err := tx.InsertMembership(ctx, m); err != nil {
				return err
			}
			sum.Memberships++
		}
		for ai := range c.assignments {
			a := &c.assignments[ai]
			a.CourseID = c.id
			id, err := tx.InsertAssignment(ctx, a.Assignment)
			if err != nil {
				return err
			}
			a.ID = id
			sum.Assignments++
		}
	}
	g.sum = sum
	return nil
}
