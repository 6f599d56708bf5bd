package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"coursevault/db"
	"coursevault/jobs"
	"coursevault/web/auth"
)

// subcommand checks that args start with the one verb a command takes.
func subcommand(args []string, verb string) ([]string, error) {
	if len(args) == 0 || args[0] != verb {
		return nil, fmt.Errorf("%w: expected %q", errUsage, verb)
	}
	return args[1:], nil
}

// runUser adds a user or prints a set-password link for one.
func runUser(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "add":
			return runUserAdd(ctx, args[1:], stdout)
		case "link":
			return runUserLink(ctx, args[1:], stdout)
		}
	}
	return fmt.Errorf(`%w: expected "add" or "link"`, errUsage)
}

func runUserAdd(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("user add")
	dataDir := f.dataDir()
	email := f.String("email", "", "email address (sign-in name)")
	name := f.String("name", "", "display name")
	siteAdmin := f.Bool("site-admin", false, "may see and export every course")
	pwStdin := f.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := f.parse(args); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return fmt.Errorf("%w: --email and --name are required", errUsage)
	}
	hash := ""
	if *pwStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		if hash, err = auth.HashPassword(strings.TrimRight(line, "\r\n")); err != nil {
			return err
		}
	}
	d, err := openDB(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	given, family, _ := strings.Cut(*name, " ")
	var id int64
	err = d.InTx(ctx, func(tx *db.Queries) error {
		id, err = tx.InsertUser(ctx, db.User{Email: *email, Name: *name, GivenName: given, FamilyName: family,
			PasswordHash: hash, SiteAdmin: *siteAdmin, CreatedAt: time.Now()})
		return err
	})
	if db.IsUniqueViolation(err) {
		return fmt.Errorf("a user with email %s already exists", *email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added user %d <%s>", id, *email)
	if hash == "" {
		fmt.Fprint(stdout, " (no password yet: print them a set-password link with 'coursevault user link --email "+*email+"')")
	}
	fmt.Fprintln(stdout)
	return nil
}

// runUserLink prints a one-time set-password link for a user, as Admin →
// Users makes (earlier unused links of theirs stop working), and audits it.
func runUserLink(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("user link")
	dataDir := f.dataDir()
	email := f.String("email", "", "the user who sets a password with the link")
	base := f.String("base-url", "http://127.0.0.1:8080", "public URL of the site the link opens, as serve's --base-url (COURSEVAULT_BASE_URL)")
	if err := f.parse(args); err != nil {
		return err
	}
	d, u, err := openForUser(ctx, *dataDir, *email)
	if err != nil {
		return err
	}
	defer d.Close()
	token, hash := auth.NewLinkToken()
	now := time.Now()
	err = d.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertPasswordLink(ctx, db.PasswordLink{UserID: u.ID, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(auth.PasswordLinkTTL)})
		if err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, db.AuditEvent{At: now, Action: "user.link", Subject: u.Email, Detail: "from the command line"})
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, auth.PasswordLinkURL(*base, token))
	return nil
}

func runMember(ctx context.Context, args []string, stdout io.Writer) error {
	args, err := subcommand(args, "add")
	if err != nil {
		return err
	}
	f := newFlags("member add")
	dataDir := f.dataDir()
	courseRef := f.String("course", "", "course id or code")
	email := f.String("email", "", "the user's email")
	role := f.String("role", "", "admin, teacher, ta or student")
	period := f.String("period", "", "period name (students)")
	studentID := f.String("student-id", "", "student identifier, kept as text (students)")
	if err := f.parse(args); err != nil {
		return err
	}
	switch *role {
	case db.RoleAdmin, db.RoleTeacher, db.RoleTA, db.RoleStudent:
	default:
		return fmt.Errorf("%w: --role must be admin, teacher, ta or student", errUsage)
	}
	if *courseRef == "" || *email == "" {
		return fmt.Errorf("%w: --course and --email are required", errUsage)
	}
	d, err := openDB(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	course, err := findCourse(ctx, d, *courseRef)
	if err != nil {
		return err
	}
	u, err := d.UserByEmail(ctx, *email)
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("no user with email %s (add one with 'coursevault user add')", *email)
	}
	if err != nil {
		return err
	}
	m := db.Membership{CourseID: course.ID, UserID: u.ID, Role: *role, StudentIdentifier: *studentID, CreatedAt: time.Now()}
	if *period != "" {
		p, err := d.PeriodByName(ctx, course.ID, *period)
		if errors.Is(err, db.ErrNotFound) {
			return fmt.Errorf("course %s has no period %q", course.Code, *period)
		}
		if err != nil {
			return err
		}
		m.PeriodID = p.ID
	}
	err = d.InTx(ctx, func(tx *db.Queries) error { _, err := tx.InsertMembership(ctx, m); return err })
	if db.IsUniqueViolation(err) {
		return fmt.Errorf("%s is already a member of %s", *email, course.Code)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is now %s in %s\n", *email, *role, course.Code)
	return nil
}

// openForUser opens the database for a command about the user named by
// --email (required). The caller closes the database.
func openForUser(ctx context.Context, dataDir dataLoc, email string) (*db.DB, db.User, error) {
	if email == "" {
		return nil, db.User{}, fmt.Errorf("%w: --email is required", errUsage)
	}
	d, err := openDB(ctx, dataDir)
	if err != nil {
		return nil, db.User{}, err
	}
	u, err := d.UserByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) {
		err = fmt.Errorf("no user with email %s", email)
	}
	if err != nil {
		d.Close()
		return nil, db.User{}, err
	}
	return d, u, nil
}

// findCourse resolves a course by numeric id or by code.
func findCourse(ctx context.Context, d *db.DB, ref string) (db.Course, error) {
	var c db.Course
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		c, err = d.CourseByID(ctx, id)
	} else {
		c, err = d.CourseByCode(ctx, ref)
	}
	if errors.Is(err, db.ErrNotFound) {
		return c, fmt.Errorf("no course %q", ref)
	}
	return c, err
}

// runToken prints a new token: a personal one acting as a user (--email) or
// a course token acting on one course only (--course).
func runToken(ctx context.Context, args []string, stdout io.Writer) error {
	args, err := subcommand(args, "create")
	if err != nil {
		return err
	}
	f := newFlags("token create")
	dataDir := f.dataDir()
	email := f.String("email", "", "the user a personal token acts as")
	courseRef := f.String("course", "", "course id or code a course token acts on")
	name := f.String("name", "", "a name to recognise the token by (required with --course)")
	if err := f.parse(args); err != nil {
		return err
	}
	if (*email == "") == (*courseRef == "") {
		return fmt.Errorf("%w: give exactly one of --email and --course", errUsage)
	}
	if *courseRef != "" && (strings.TrimSpace(*name) == "" || utf8.RuneCountInString(*name) > db.MaxCourseTokenName) {
		return fmt.Errorf("%w: --name is required with --course (at most %d characters)", errUsage, db.MaxCourseTokenName)
	}
	d, err := openDB(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	var token string
	if *courseRef != "" {
		token, err = createCourseToken(ctx, d, *courseRef, strings.TrimSpace(*name))
	} else {
		token, err = createAccessToken(ctx, d, *email, *name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	return nil
}

func createAccessToken(ctx context.Context, d *db.DB, email, name string) (string, error) {
	u, err := d.UserByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) {
		return "", fmt.Errorf("no user with email %s", email)
	}
	if err != nil {
		return "", err
	}
	token, hash := auth.NewAccessToken()
	err = d.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertAccessToken(ctx, u.ID, hash, name, time.Now())
		return err
	})
	return token, err
}

// createCourseToken makes a course token with no creator (the CLI is run by
// whoever holds the data directory) and audits it as the web page does.
func createCourseToken(ctx context.Context, d *db.DB, ref, name string) (string, error) {
	course, err := findCourse(ctx, d, ref)
	if err != nil {
		return "", err
	}
	token, hash := auth.NewCourseToken()
	now := time.Now()
	err = d.InTx(ctx, func(tx *db.Queries) error {
		id, err := tx.InsertCourseToken(ctx, db.CourseToken{CourseID: course.ID, Name: name, CreatedAt: now}, hash)
		if err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, db.AuditEvent{At: now, Action: "token.create", CourseID: course.ID, Subject: name,
			Detail: fmt.Sprintf("token #%d", id), Actor: "the command line"})
	})
	return token, err
}

func runJobs(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("jobs")
	dataDir := f.dataDir()
	state := f.String("state", "", "only jobs in this state")
	if err := f.parse(args); err != nil {
		return err
	}
	d, err := openDB(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	return jobs.WriteList(ctx, stdout, d, *state)
}
