package roster

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"coursevault/db"
)

const firstRoster = `email,name,role,period,student id
ada@school.edu,"Lovelace, Ada",student,P1,007
grace@school.edu,Grace Hopper,student,P2,008
alan@school.edu,Alan Turing,ta,,
`

func TestApply_addsPeopleAndPeriodsAndIsIdempotent(t *testing.T) {
	c := newCourse(t)
	before := c.version()
	p, n := c.apply(firstRoster, Options{})
	if n != (Counts{Added: 3}) || !reflect.DeepEqual(p.NewPeriods, []string{"P1", "P2"}) {
		t.Fatalf("counts %+v, new periods %v", n, p.NewPeriods)
	}
	want := "boss@school.edu Boss admin  \nalan@school.edu Alan Turing ta  \nada@school.edu Ada Lovelace student P1 007\ngrace@school.edu Grace Hopper student P2 008"
	if got := c.members(); got != want {
		t.Errorf("members:\n%s\nwant:\n%s", got, want)
	}
	u, err := c.d.UserByEmail(context.Background(), "ada@school.edu")
	if err != nil || u.PasswordHash != "" || u.Disabled || u.GivenName != "Ada" || u.FamilyName != "Lovelace" {
		t.Errorf("new user %+v, %v: want no password, not disabled, names split", u, err)
	}
	after := c.version()
	if after <= before {
		t.Errorf("data version %d → %d: an apply must move it", before, after)
	}
	p, n = c.apply(firstRoster, Options{RemoveMissing: true})
	if n != (Counts{Unchanged: 3}) || len(p.NewPeriods) != 0 {
		t.Errorf("second apply: %+v %v, want all unchanged", n, p.NewPeriods)
	}
	if v := c.version(); v != after {
		t.Errorf("data version moved on a no-op apply: %d → %d", after, v)
	}
}

func TestPlan_listsWhatChanges(t *testing.T) {
	c := newCourse(t)
	c.apply(firstRoster, Options{})
	p := c.plan(`Email,Name,Role,Section,Student ID
ADA@school.edu,Ada King,ta,p1,007
grace@school.edu,,,P3,0008
`, Options{})
	want := [][]string{
		{"role: student → ta", "name: Ada Lovelace → Ada King"}, // "p1" is the existing period P1
		{"period: P2 → P3", "student id: 008 → 0008"},
	}
	var got [][]string
	for _, ch := range p.Change {
		got = append(got, ch.Changes)
	}
	if !reflect.DeepEqual(got, want) || p.Unchanged != 0 || len(p.Add) != 0 || !reflect.DeepEqual(p.NewPeriods, []string{"P3"}) {
		t.Errorf("changes %q, unchanged %d, add %d, new periods %v", got, p.Unchanged, len(p.Add), p.NewPeriods)
	}
	if c.members() == "" || len(p.Remove) != 0 {
		t.Error("a plan without RemoveMissing removes nobody")
	}
}

func TestPlan_removeMissingOnlyTouchesRolesInTheFile(t *testing.T) {
	c := newCourse(t)
	c.apply(firstRoster, Options{})
	tests := []struct {
		name, csv string
		remove    string
	}{
		{"students-only file keeps staff", "email\nada@school.edu\n", "grace@school.edu"},
		{"a file with TAs removes missing TAs and students", "email,role\nada@school.edu,student\nkate@school.edu,ta\n", "alan@school.edu grace@school.edu"},
		{"never the person applying", "email,role\nnew@school.edu,admin\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.plan(tt.csv, Options{RemoveMissing: true})
			var got []string
			for _, r := range p.Remove {
				got = append(got, r.Email)
			}
			if strings.Join(got, " ") != tt.remove {
				t.Errorf("remove %v, want %s", got, tt.remove)
			}
		})
	}
	_, n := c.apply("email\nada@school.edu\n", Options{RemoveMissing: true})
	if n != (Counts{Unchanged: 1, Removed: 1}) || strings.Contains(c.members(), "grace") {
		t.Errorf("apply with remove: %+v\n%s", n, c.members())
	}
}

func TestApply_nothingWrittenOnError(t *testing.T) {
	c := newCourse(t)
	c.apply(firstRoster, Options{})
	before, members := c.version(), c.members()
	p, n := c.apply("email,student id,period\nnew@school.edu,Z1,NEW\nbad,,\neve@school.edu,007,\n", Options{RemoveMissing: true})
	want := []LineError{
		{Line: 3, Column: "email", Message: `"bad" is not an email address`},
		{Line: 4, Column: "student id", Message: "student id 007 belongs to Ada Lovelace <ada@school.edu>"},
	}
	if !reflect.DeepEqual(p.Errors, want) || n != (Counts{}) {
		t.Errorf("errors %v, counts %+v", p.Errors, n)
	}
	if c.version() != before || c.members() != members {
		t.Error("an apply with errors wrote something")
	}
	if _, err := c.d.UserByEmail(context.Background(), "new@school.edu"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("user of the good line created: %v", err)
	}
}

func TestPlan_studentIDSwapInOneFileIsAllowed(t *testing.T) {
	c := newCourse(t)
	c.apply(firstRoster, Options{})
	_, n := c.apply("email,student id\nada@school.edu,008\ngrace@school.edu,007\n", Options{})
	if n.Updated != 2 || !strings.Contains(c.members(), "ada@school.edu Ada Lovelace student P1 008") {
		t.Errorf("%+v\n%s", n, c.members())
	}
}

func TestApply_existingUserJoinsWithoutDuplicate(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	c.d.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertUser(ctx, db.User{Email: "Ada@School.edu", Name: "A. L.", CreatedAt: testNow})
		return err
	})
	_, n := c.apply("email,first name,last name\nada@school.edu,Ada,Lovelace\n", Options{})
	if n.Added != 1 {
		t.Fatalf("%+v", n)
	}
	if u, _ := c.d.UserByEmail(ctx, "ada@school.edu"); u.Name != "Ada Lovelace" {
		t.Errorf("name %q: the file's name is the user's", u.Name)
	}
	if _, n = c.apply("email,first name,last name\nada@school.edu,Ada,Lovelace\n", Options{}); n != (Counts{Unchanged: 1}) {
		t.Errorf("second apply %+v", n)
	}
}

func TestSingleEdits(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	c.apply(firstRoster, Options{})
	one := func(e Entry) Counts {
		t.Helper()
		_, n, err := Apply(ctx, c.d, c.id, File{Entries: []Entry{e}}, Options{Actor: c.admin}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := one(Entry{Email: "kate@school.edu", Name: "Kate", Role: db.RoleTeacher, Period: "P9"}); n.Added != 1 {
		t.Errorf("add one: %+v", n)
	}
	if n := one(Entry{Email: "ada@school.edu", NoPeriod: true}); n.Updated != 1 || !strings.Contains(c.members(), "ada@school.edu Ada Lovelace student  007") {
		t.Errorf("clear period: %+v\n%s", n, c.members())
	}
	ada, _ := c.d.UserByEmail(ctx, "ada@school.edu")
	if err := Remove(ctx, c.d, c.id, ada.ID, c.admin); err != nil || strings.Contains(c.members(), "ada@") {
		t.Errorf("remove: %v", err)
	}
	if err := Remove(ctx, c.d, c.id, ada.ID, c.admin); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("remove a non-member: %v", err)
	}
	if err := Remove(ctx, c.d, c.id, c.admin, c.admin); !errors.Is(err, ErrRemoveSelf) {
		t.Errorf("remove self: %v", err)
	}
}

func TestSingleEdits_refuseWrongTargets(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	c.apply(firstRoster, Options{})
	opts := Options{Actor: c.admin}
	if _, err := AddOne(ctx, c.d, c.id, Entry{Email: "ada@school.edu"}, opts, testNow); !errors.Is(err, ErrAlreadyMember) {
		t.Errorf("add a member: %v", err)
	}
	if _, err := ChangeOne(ctx, c.d, c.id, Entry{Email: "nobody@school.edu", Role: db.RoleTA}, opts, testNow); !errors.Is(err, ErrNotMember) {
		t.Errorf("change a non-member: %v", err)
	}
	p, err := ChangeOne(ctx, c.d, c.id, Entry{Email: "boss@school.edu", Role: db.RoleStudent}, opts, testNow)
	if err != nil || len(p.Errors) != 1 || p.Errors[0].Column != "role" {
		t.Errorf("demote yourself: %v %v", err, p.Errors)
	}
	if _, err := c.d.UserByEmail(ctx, "nobody@school.edu"); !errors.Is(err, db.ErrNotFound) {
		t.Error("a refused change created a user")
	}
}

func TestPlan_namesOfPeopleSharedWithOtherCoursesStay(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	err := c.d.InTx(ctx, func(tx *db.Queries) error {
		id, err := tx.InsertUser(ctx, db.User{Email: "dual@school.edu", Name: "Dual Member", CreatedAt: testNow})
		if err != nil {
			return err
		}
		if _, err := tx.InsertMembership(ctx, db.Membership{CourseID: c.other, UserID: id, Role: db.RoleTeacher, CreatedAt: testNow}); err != nil {
			return err
		}
		_, err = tx.InsertUser(ctx, db.User{Email: "root@school.edu", Name: "Site Admin", SiteAdmin: true, CreatedAt: testNow})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const file = "email,name,role\ndual@school.edu,Renamed Person,ta\nroot@school.edu,Someone Else,ta\n"
	if _, n := c.apply(file, Options{}); n.Added != 2 {
		t.Fatalf("%+v", n)
	}
	for email, name := range map[string]string{"dual@school.edu": "Dual Member", "root@school.edu": "Site Admin"} {
		if u, _ := c.d.UserByEmail(ctx, email); u.Name != name {
			t.Errorf("%s renamed to %q by a course's roster", email, u.Name)
		}
	}
	if _, n := c.apply(file, Options{}); n != (Counts{Unchanged: 2}) {
		t.Errorf("second apply: %+v", n)
	}
}
