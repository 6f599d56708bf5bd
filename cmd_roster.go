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

// runRoster: roster import --course ID|CODE FILE.csv [--dry-run] [--remove-missing].
// It prints the preview; any bad line is listed and nothing is written (exit 1).
func runRoster(ctx context.Context, args []string, stdout io.Writer) error {
	args, err := subcommand(args, "import")
	if err != nil {
		return err
	}
	file, args := splitFileArg(args, "course", "data-dir")
	f := newFlags("roster import")
	dataDir := f.dataDir()
	courseRef := f.String("course", "", "course id or code")
	dryRun := f.Bool("dry-run", false, "print what would change; write nothing")
	removeMissing := f.Bool("remove-missing", false, "remove members missing from the file (only in the roles the file lists)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *courseRef == "" || file == "" {
		return fmt.Errorf("%w: give --course and one CSV file", errUsage)
	}
	in, err := openInput(file)
	if err != nil {
		return err
	}
	defer in.Close()
	d, err := openDB(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	course, err := findCourse(ctx, d, *courseRef)
	if err != nil {
		return err
	}
	rf, err := roster.Read(in)
	if err != nil {
		return fmt.Errorf("%s refused, nothing written: %w", file, err)
	}
	opts := roster.Options{RemoveMissing: *removeMissing}
	var p roster.Preview
	var n roster.Counts
	if *dryRun {
		if p, err = roster.Plan(ctx, d.Queries, course.ID, rf, opts); err != nil {
			return err
		}
		n = p.Counts()
	} else if p, n, err = roster.Apply(ctx, d, course.ID, rf, opts, time.Now()); err != nil {
		return err
	}
	printPreview(stdout, p, *removeMissing)
	if len(p.Errors) > 0 {
		return fmt.Errorf("%s has %d bad line(s): nothing written", file, len(p.Errors))
	}
	if *dryRun {
		fmt.Fprintf(stdout, "dry run, nothing written: would have %s\n", n)
		return nil
	}
	err = d.InTx(ctx, func(tx *db.Queries) error {
		return tx.InsertAuditEvent(ctx, db.AuditEvent{At: time.Now(), Action: "roster.apply", CourseID: course.ID, Subject: file, Detail: n.String()})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", course.Code, n)
	return nil
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
