package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"coursevault/jobs/gradebook"
)

// runGradebook: gradebook import --course ID|CODE FILE.csv [--dry-run].
// It prints the preview; any bad cell is listed and nothing is written (exit 1).
func runGradebook(ctx context.Context, args []string, stdout io.Writer) error {
	ci, err := openCourseImport(ctx, args, "gradebook", nil)
	if err != nil {
		return err
	}
	defer ci.Close()
	gf, err := gradebook.Read(ci.in)
	if err != nil {
		return fmt.Errorf("%s refused, nothing written: %w", ci.file, err)
	}
	var p gradebook.Preview
	var n gradebook.Counts
	if ci.dryRun {
		if p, err = gradebook.Plan(ctx, ci.d.Queries, ci.course.ID, gf); err != nil {
			return err
		}
		n = p.Counts()
	} else if p, n, err = gradebook.Apply(ctx, ci.d, ci.course.ID, gf, time.Now()); err != nil {
		return err
	}
	printGradebookPreview(stdout, p)
	if len(p.Errors) > 0 {
		return fmt.Errorf("%s has %d bad cells: nothing written", ci.file, len(p.Errors))
	}
	return ci.finish(ctx, stdout, "gradebook.apply", n)
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
