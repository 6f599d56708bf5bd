package roster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/jobs/csvfile"
)

// Options change what a roster does.
type Options struct {
	// RemoveMissing removes members the file does not list, but only those
	// whose role appears in the file (a students-only file never removes
	// staff) and never Actor.
	RemoveMissing bool
	Actor         int64 // the user applying the file
}

// Person is one line of a preview: who, and for a change what changes.
type Person struct {
	Line      int // 0 for members to remove
	Email     string
	Name      string
	Role      string
	Period    string
	StudentID string
	Changes   []string // "role: student → ta", one per field that changes

	userID int64 // 0: a new user
	given  string
	family string
	rename bool // the user's names change
}

// Preview is what applying a file would do.
type Preview struct {
	Add        []Person
	Change     []Person
	Unchanged  int
	Remove     []Person
	NewPeriods []string
	// RemoveRoles are the roles removal may touch (with RemoveMissing).
	RemoveRoles []string
	Errors      []LineError
}

// Counts are what an apply did.
type Counts struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Removed   int `json:"removed"`
	Unchanged int `json:"unchanged"`
}

// Counts of a preview: what applying it would do.
func (p Preview) Counts() Counts {
	return Counts{Added: len(p.Add), Updated: len(p.Change), Removed: len(p.Remove), Unchanged: p.Unchanged}
}

// Plan compares f with the course's members and lists what applying it
// would change. It writes nothing. People are matched by email; a new email
// whose student id belongs to another member is an error naming that member.
func Plan(ctx context.Context, q *db.Queries, courseID int64, f File, opts Options) (Preview, error) {
	pl, err := newPlanner(ctx, q, courseID, f, opts)
	if err != nil {
		return Preview{}, err
	}
	for _, e := range f.Entries {
		pl.entry(e)
	}
	p := &pl.p
	for _, r := range []string{db.RoleAdmin, db.RoleTeacher, db.RoleTA, db.RoleStudent} {
		if pl.fileRoles[r] {
			p.RemoveRoles = append(p.RemoveRoles, r)
		}
	}
	if opts.RemoveMissing {
		for _, m := range pl.members {
			if pl.listed[m.UserID] || !pl.fileRoles[m.Role] || m.UserID == opts.Actor {
				continue
			}
			p.Remove = append(p.Remove, Person{Email: m.Email, Name: m.Name, Role: m.Role, Period: m.PeriodName, StudentID: m.StudentIdentifier, userID: m.UserID})
		}
	}
	csvfile.SortByLine(p.Errors)
	return *p, nil
}

// planner holds what Plan compares a file with, and the preview it builds.
type planner struct {
	p       Preview
	opts    Options
	members []db.Member
	byEmail map[string]*db.Member
	byID    map[string]*db.Member // by student id
	idAfter map[int64]string      // the student id a listed member ends with (swaps in one file)
	periods map[string]string     // lower-case name → as the course (or, new, the file) spells it
	users   map[string]db.User    // users with the file's emails who are not members
	shared  map[string]bool       // people whose names the file must not change
	listed  map[int64]bool        // members the file lists
	// fileRoles are the roles the file gives or leaves; RemoveMissing
	// removes only members in one of them.
	fileRoles map[string]bool
}

func newPlanner(ctx context.Context, q *db.Queries, courseID int64, f File, opts Options) (*planner, error) {
	pl := &planner{p: Preview{Errors: append([]LineError(nil), f.Errors...)}, opts: opts,
		byEmail: map[string]*db.Member{}, byID: map[string]*db.Member{}, idAfter: map[int64]string{},
		periods: map[string]string{}, listed: map[int64]bool{}, fileRoles: map[string]bool{}}
	var err error
	if pl.members, err = q.CourseMembers(ctx, courseID); err != nil {
		return nil, err
	}
	periods, err := q.Periods(ctx, courseID)
	if err != nil {
		return nil, err
	}
	for _, pe := range periods {
		pl.periods[strings.ToLower(pe.Name)] = pe.Name
	}
	for i := range pl.members {
		m := &pl.members[i]
		pl.byEmail[strings.ToLower(m.Email)] = m
		if m.StudentIdentifier != "" {
			pl.byID[m.StudentIdentifier] = m
		}
	}
	var outside []string
	for _, e := range f.Entries {
		if m := pl.byEmail[e.Email]; m == nil {
			outside = append(outside, e.Email)
		} else if e.StudentID != "" {
			pl.idAfter[m.UserID] = e.StudentID
		}
	}
	if pl.users, err = q.UsersByEmails(ctx, outside); err != nil {
		return nil, err
	}
	// A name in the file is the person's name only where they are nobody
	// else's: not site admins, nor members of another course. Asked only
	// for the names that differ: usually none.
	var renames []string
	for _, e := range f.Entries {
		if m := pl.byEmail[e.Email]; m != nil && namesDiffer(e, m.Name, m.GivenName, m.FamilyName) {
			renames = append(renames, e.Email)
		} else if u, ok := pl.users[e.Email]; ok && m == nil && namesDiffer(e, u.Name, u.GivenName, u.FamilyName) {
			renames = append(renames, e.Email)
		}
	}
	pl.shared = map[string]bool{}
	if len(renames) > 0 {
		if pl.shared, err = q.SharedUsers(ctx, courseID, renames); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

func (pl *planner) fail(e Entry, column, msg string) {
	pl.p.Errors = append(pl.p.Errors, LineError{Line: e.Line, Column: column, Message: msg})
}

// entry plans one person of the file.
func (pl *planner) entry(e Entry) {
	m := pl.byEmail[e.Email]
	if m != nil {
		pl.listed[m.UserID] = true
	}
	if e.StudentID != "" {
		if holder := pl.byID[e.StudentID]; holder != nil && (m == nil || holder.UserID != m.UserID) {
			if after, ok := pl.idAfter[holder.UserID]; !ok || after == e.StudentID {
				pl.fail(e, ColStudentID, fmt.Sprintf("student id %s belongs to %s", e.StudentID, who(holder)))
				return
			}
		}
	}
	if m == nil {
		pl.add(e)
	} else {
		pl.change(e, m)
	}
}

// period is the name of e's period as the course spells it; a new one is
// listed to be created.
func (pl *planner) period(e Entry) string {
	if e.Period == "" {
		return ""
	}
	key := strings.ToLower(e.Period)
	if name, ok := pl.periods[key]; ok {
		return name
	}
	pl.periods[key] = e.Period
	pl.p.NewPeriods = append(pl.p.NewPeriods, e.Period)
	return e.Period
}

func (pl *planner) add(e Entry) {
	pl.fileRoles[e.EffectiveRole()] = true
	np := Person{Line: e.Line, Email: e.Email, Name: e.Name, Role: e.EffectiveRole(), Period: pl.period(e), StudentID: e.StudentID,
		given: e.GivenName, family: e.FamilyName}
	if np.Name == "" {
		np.Name, _, _ = strings.Cut(e.Email, "@")
	}
	if u, ok := pl.users[e.Email]; ok {
		np.userID = u.ID
		np.rename = !pl.shared[e.Email] && namesDiffer(e, u.Name, u.GivenName, u.FamilyName)
		if !np.rename {
			np.Name = u.Name
		}
	}
	pl.p.Add = append(pl.p.Add, np)
}

func (pl *planner) change(e Entry, m *db.Member) {
	cp := Person{Line: e.Line, Email: m.Email, Name: m.Name, Role: m.Role, Period: m.PeriodName, StudentID: m.StudentIdentifier,
		userID: m.UserID, given: m.GivenName, family: m.FamilyName}
	changed := func(what, from, to string) {
		cp.Changes = append(cp.Changes, fmt.Sprintf("%s: %s → %s", what, from, to))
	}
	switch {
	case e.Role == "":
		pl.fileRoles[m.Role] = true
	case e.Role != m.Role && m.UserID == pl.opts.Actor:
		pl.fail(e, ColRole, "you cannot change your own role")
		return
	case e.Role != m.Role:
		pl.fileRoles[e.Role] = true
		changed("role", m.Role, e.Role)
		cp.Role = e.Role
	default:
		pl.fileRoles[e.Role] = true
	}
	if period := pl.period(e); e.NoPeriod && m.PeriodID != 0 {
		changed("period", m.PeriodName, "none")
		cp.Period = ""
	} else if period != "" && period != m.PeriodName {
		changed("period", orNone(m.PeriodName), period)
		cp.Period = period
	}
	if e.StudentID != "" && e.StudentID != m.StudentIdentifier {
		changed("student id", orNone(m.StudentIdentifier), e.StudentID)
		cp.StudentID = e.StudentID
	}
	if !pl.shared[e.Email] && namesDiffer(e, m.Name, m.GivenName, m.FamilyName) {
		if e.Name != m.Name {
			changed("name", m.Name, e.Name)
		} else {
			changed("name", m.FamilyName+", "+m.GivenName, e.FamilyName+", "+e.GivenName)
		}
		cp.Name, cp.given, cp.family, cp.rename = e.Name, e.GivenName, e.FamilyName, true
	}
	if len(cp.Changes) == 0 {
		pl.p.Unchanged++
		return
	}
	pl.p.Change = append(pl.p.Change, cp)
}

// namesDiffer reports whether e names someone otherwise than they are named.
func namesDiffer(e Entry, name, given, family string) bool {
	return e.Name != "" && (e.Name != name || e.GivenName != given || e.FamilyName != family)
}

func who(m *db.Member) string {
	if m.Name == "" {
		return m.Email
	}
	return fmt.Sprintf("%s <%s>", m.Name, m.Email)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Apply plans f again inside one write transaction and, when the plan has no
// errors, writes it: missing users (without a password: they cannot sign in
// until they get one), missing periods, memberships. With errors it writes
// nothing and returns the preview with them (and a zero Counts).
func Apply(ctx context.Context, d *db.DB, courseID int64, f File, opts Options, now time.Time) (Preview, Counts, error) {
	return apply(ctx, d, courseID, f, opts, now, nil)
}

// apply is Apply; check, when set, may refuse the plan before anything is written.
func apply(ctx context.Context, d *db.DB, courseID int64, f File, opts Options, now time.Time, check func(Preview) error) (Preview, Counts, error) {
	var p Preview
	err := d.InTx(ctx, func(tx *db.Queries) error {
		var err error
		if p, err = Plan(ctx, tx, courseID, f, opts); err != nil || len(p.Errors) > 0 {
			return err
		}
		if check != nil {
			if err := check(p); err != nil {
				return err
			}
		}
		return write(ctx, tx, courseID, p, now)
	})
	if err != nil || len(p.Errors) > 0 {
		return p, Counts{}, err
	}
	return p, p.Counts(), nil
}

func write(ctx context.Context, tx *db.Queries, courseID int64, p Preview, now time.Time) error {
	periods, err := tx.Periods(ctx, courseID)
	if err != nil {
		return err
	}
	periodID := map[string]int64{}
	pos := 0
	for _, pe := range periods {
		periodID[pe.Name] = pe.ID
		pos = max(pos, pe.Position)
	}
	for _, name := range p.NewPeriods {
		pos++
		if periodID[name], err = tx.InsertPeriod(ctx, db.Period{CourseID: courseID, Name: name, Position: pos}); err != nil {
			return err
		}
	}
	users, err := tx.PrepareInsertUser(ctx)
	if err != nil {
		return err
	}
	defer users.Close()
	upsert, err := tx.PrepareUpsertMembership(ctx)
	if err != nil {
		return err
	}
	defer upsert.Close()
	put := func(pp Person) error {
		if pp.userID == 0 {
			id, err := users.Exec(ctx, db.User{Email: pp.Email, Name: pp.Name, GivenName: pp.given, FamilyName: pp.family, CreatedAt: now})
			if err != nil {
				return err
			}
			pp.userID = id
		} else if pp.rename {
			if err := tx.UpdateUserNames(ctx, pp.userID, pp.Name, pp.given, pp.family); err != nil {
				return err
			}
		}
		return upsert.Exec(ctx, db.Membership{CourseID: courseID, UserID: pp.userID, Role: pp.Role,
			PeriodID: periodID[pp.Period], StudentIdentifier: pp.StudentID, CreatedAt: now})
	}
	for _, pp := range p.Add {
		if err := put(pp); err != nil {
			return err
		}
	}
	for _, pp := range p.Change {
		if err := put(pp); err != nil {
			return err
		}
	}
	for _, pp := range p.Remove {
		if err := tx.DeleteMembership(ctx, courseID, pp.userID); err != nil {
			return err
		}
	}
	return nil
}

// ErrRemoveSelf refuses to take the person acting out of the course.
var ErrRemoveSelf = errors.New("you cannot remove yourself from the course")

// Remove takes one member out of a course (the user stays). The actor
// cannot remove themselves; a user who is not a member is db.ErrNotFound.
func Remove(ctx context.Context, d *db.DB, courseID, userID, actor int64) error {
	if userID == actor {
		return ErrRemoveSelf
	}
	return d.InTx(ctx, func(tx *db.Queries) error { return tx.DeleteMembership(ctx, courseID, userID) })
}

// Single-person edits are a one-entry roster, so they follow the same rules.
var (
	ErrAlreadyMember = errors.New("already a member of the course")
	ErrNotMember     = errors.New("not a member of the course")
)

// AddOne adds one person (ErrAlreadyMember for a member). Line errors come
// back in the preview, with nothing written.
func AddOne(ctx context.Context, d *db.DB, courseID int64, e Entry, opts Options, now time.Time) (Preview, error) {
	opts.RemoveMissing = false
	p, _, err := apply(ctx, d, courseID, File{Entries: []Entry{e}}, opts, now, func(p Preview) error {
		if len(p.Add) == 0 {
			return ErrAlreadyMember
		}
		return nil
	})
	return p, err
}

// ChangeOne changes one member's role, period or student id (ErrNotMember
// for someone who is not one).
func ChangeOne(ctx context.Context, d *db.DB, courseID int64, e Entry, opts Options, now time.Time) (Preview, error) {
	opts.RemoveMissing = false
	p, _, err := apply(ctx, d, courseID, File{Entries: []Entry{e}}, opts, now, func(p Preview) error {
		if len(p.Add) > 0 {
			return ErrNotMember
		}
		return nil
	})
	return p, err
}

// PlanFile reads a roster and plans it: the preview the People tab, the API
// and the CLI show. The error is a whole-file refusal (see Read).
func PlanFile(ctx context.Context, q *db.Queries, courseID int64, r io.Reader, opts Options) (File, Preview, error) {
	f, err := Read(r)
	if err != nil {
		return File{}, Preview{}, err
	}
	p, err := Plan(ctx, q, courseID, f, opts)
	return f, p, err
}

// String says what an apply did, for the audit log and the CLI.
func (n Counts) String() string {
	return fmt.Sprintf("added %d, updated %d, removed %d, unchanged %d", n.Added, n.Updated, n.Removed, n.Unchanged)
}

// RoleList names roles for people: "students and TAs".
func RoleList(roles []string) string {
	words := map[string]string{db.RoleAdmin: "course admins", db.RoleTeacher: "teachers", db.RoleTA: "TAs", db.RoleStudent: "students"}
	var out []string
	for _, r := range roles {
		out = append(out, words[r])
	}
	switch len(out) {
	case 0:
		return "nobody"
	case 1:
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}
