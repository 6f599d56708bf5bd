package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"coursevault/db"
	"coursevault/jobs/gradebook"
)

// runGradebook: gradebook import --course ID|CODE FILE.csv [--dry-run].
// It prints the preview; any bad cell is listed and nothing is written (exit 1).
func runGradebook(ctx context.Context, args []string, stdout io.Writer) error {
	args, err := subcommand(args, "import")
	if err != nil {
		return err
	}
	file, args := splitFileArg(args, "course", "data-dir")
	f := newFlags("gradebook import")
	dataDir := f.dataDir()
	courseRef := f.String("course", "", "course id or code")
	dryRun := f.Bool("dry-run", false, "print what would change; write nothing")
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
	gf, err := gradebook.Read(in)
	if err != nil {
		return fmt.Errorf("%s refused, nothing written: %w", file, err)
	}
	var p gradebook.Preview
	var n gradebook.Counts
	if *dryRun {
		if p, err = gradebook.Plan(ctx, d.Queries, course.ID, gf); err != nil {
			return err
		}
		n = p.Counts()
	} else if p, n, err = gradebook.Apply(ctx, d, course.ID, gf, time.Now()); err != nil {
		return err
	}
	printGradebookPreview(stdout, p)
	if len(p.Errors) > 0 {
		return fmt.Errorf("%s has %d bad cells: nothing written", file, len(p.Errors))
	}
	if *dryRun {
		fmt.Fprintf(stdout, "dry run, nothing written: would have %s\n", n)
		return nil
	}
	err = d.InTx(ctx, func(tx *db.Queries) error {
		return tx.InsertAuditEvent(ctx, db.AuditEvent{At: time.Now(), Action: "gradebook.apply", CourseID: course.ID, Subject: file, Detail: n.String()})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", course.Code, n)
	return nil
}

// printGradebookPreview lists what the book page's preview shows.
func printGradebookPreview(w io.Writer, p gradebook.Preview) {
	for _, e := range p.Errors {
		fmt.Fprintln(w, e.Error())
	}
	fmt.Fprintf(w, "read as a %s file: %d students matched\n", p.Format, p.Matched)
	if len(p.Unknown) > 0 {
		fmt.Fprintf(w, "not students of this course, skipped (%d):\n", len(p.Unknown))
		for _, u := range p.Unknown {
			fmt.Fprintf(w, "  line %d: %s\n", u.Line, u.Who)
		}
	}
	if len(p.NewAssignments) > 0 {
		fmt.Fprintf(w, "new assignments (%d):\n", len(p.NewAssignments))
		for _, a := range p.NewAssignments {
			key := ""
			if a.Key != "" {
				key = " [" + a.Key + "]"
			}
			fmt.Fprintf(w, "  %s%s, %s points\n", a.Name, key, gradebook.FormatPoints(a.Points))
		}
	}
	list := func(heading string, cs []gradebook.Change) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "%s (%d):\n", heading, len(cs))
		for _, ch := range cs {
			from := ""
			if ch.From != nil {
				from = gradebook.FormatPoints(*ch.From) + " → "
			}
			fmt.Fprintf(w, "  line %d: %s, %s: %s%s/%s\n", ch.Line, ch.Student, ch.Assignment, from, gradebook.FormatPoints(ch.To), gradebook.FormatPoints(ch.Points))
		}
	}
	list("scores to set", p.Set)
	list("scores to change", p.Change)
	fmt.Fprintf(w, "unchanged: %d\n", p.Unchanged)
}
