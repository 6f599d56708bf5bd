package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/jobs/roster"
)

// courseImport is what the `<command> import --course ID|CODE FILE.csv
// [--dry-run]` commands (roster, gradebook) share: the file, the database
// and the course, open.
type courseImport struct {
	file   string
	in     io.ReadCloser
	d      *db.DB
	course db.Course
	dryRun bool
}

// openCourseImport parses the command line (more adds a command's own
// flags) and opens the file, the database and the course.
func openCourseImport(ctx context.Context, args []string, command string, more func(flags)) (*courseImport, error) {
	args, err := subcommand(args, "import")
	if err != nil {
		return nil, err
	}
	file, args := splitFileArg(args, "course", "data-dir", "database")
	f := newFlags(command + " import")
	dataDir := f.dataDir()
	courseRef := f.String("course", "", "course id or code")
	dryRun := f.Bool("dry-run", false, "print what would change; write nothing")
	if more != nil {
		more(f)
	}
	if err := f.parse(args); err != nil {
		return nil, err
	}
	if *courseRef == "" || file == "" {
		return nil, fmt.Errorf("%w: give --course and one CSV file", errUsage)
	}
	ci := &courseImport{file: file, dryRun: *dryRun}
	if ci.in, err = openInput(file); err != nil {
		return nil, err
	}
	if ci.d, err = openDB(ctx, *dataDir); err != nil {
		ci.in.Close()
		return nil, err
	}
	if ci.course, err = findCourse(ctx, ci.d, *courseRef); err != nil {
		ci.Close()
		return nil, err
	}
	return ci, nil
}

func (ci *courseImport) Close() {
	ci.in.Close()
	ci.d.Close()
}

// finish reports a dry run, or audits the apply and prints what it did.
func (ci *courseImport) finish(ctx context.Context, stdout io.Writer, action string, n fmt.Stringer) error {
	if ci.dryRun {
		fmt.Fprintf(stdout, "dry run, nothing written: would have %s\n", n)
		return nil
	}
	err := ci.d.InTx(ctx, func(tx *db.Queries) error {
		return tx.InsertAuditEvent(ctx, db.AuditEvent{At: time.Now(), Action: action, CourseID: ci.course.ID, Subject: ci.file, Detail: n.String()})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", ci.course.Code, n)
	return nil
}

// runRoster: roster import --course ID|CODE FILE.csv [--dry-run] [--remove-missing].
// It prints the preview; any bad line is listed and nothing is written (exit 1).
func runRoster(ctx context.Context, args []string, stdout io.Writer) error {
	var removeMissing *bool
	ci, err := openCourseImport(ctx, args, "roster", func(f flags) {
		removeMissing = f.Bool("remove-missing", false, "remove members missing from the file (only in the roles the file lists)")
	})
	if err != nil {
		return err
	}
	defer ci.Close()
	rf, err := roster.Read(ci.in)
	if err != nil {
		return fmt.Errorf("%s refused, nothing written: %w", ci.file, err)
	}
	opts := roster.Options{RemoveMissing: *removeMissing}
	var p roster.Preview
	var n roster.Counts
	if ci.dryRun {
		if p, err = roster.Plan(ctx, ci.d.Queries, ci.course.ID, rf, opts); err != nil {
			return err
		}
		n = p.Counts()
	} else if p, n, err = roster.Apply(ctx, ci.d, ci.course.ID, rf, opts, time.Now()); err != nil {
		return err
	}
	printPreview(stdout, p, *removeMissing)
	if len(p.Errors) > 0 {
		return fmt.Errorf("%s has %d bad line(s): nothing written", ci.file, len(p.Errors))
	}
	return ci.finish(ctx, stdout, "roster.apply", n)
}

// printPreview lists the changes and every bad line, as the People tab does.
func printPreview(w io.Writer, p roster.Preview, removeMissing bool) {
	for _, e := range p.Errors {
		fmt.Fprintln(w, e.Error())
	}
	if len(p.NewPeriods) > 0 {
		fmt.Fprintf(w, "new periods: %s\n", strings.Join(p.NewPeriods, ", "))
	}
	list := func(heading string, people []roster.Person) {
		if len(people) == 0 {
			return
		}
		fmt.Fprintf(w, "%s (%d):\n", heading, len(people))
		for _, pp := range people {
			line := ""
			if pp.Line > 0 {
				line = fmt.Sprintf("line %d: ", pp.Line)
			}
			what := strings.Join(pp.Changes, "; ")
			if what == "" {
				what = strings.Join(nonEmpty(pp.Role, pp.Period, pp.StudentID), ", ")
			}
			fmt.Fprintf(w, "  %s%s <%s>: %s\n", line, pp.Name, pp.Email, what)
		}
	}
	list("to add", p.Add)
	list("to change", p.Change)
	fmt.Fprintf(w, "unchanged: %d\n", p.Unchanged)
	if removeMissing {
		list("to remove", p.Remove)
		fmt.Fprintf(w, "(only %s missing from the file are removed)\n", roster.RoleList(p.RemoveRoles))
	}
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
