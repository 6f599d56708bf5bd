package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/courses"
)

// runCourse is coursevault course add|list|edit|remove.
func runCourse(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: expected add, list, edit or remove", errUsage)
	}
	switch args[0] {
	case "add":
		return courseAdd(ctx, args[1:], stdout)
	case "list":
		return courseList(ctx, args[1:], stdout)
	case "edit":
		return courseEdit(ctx, args[1:], stdout)
	case "remove":
		return courseRemove(ctx, args[1:], stdout)
	}
	return fmt.Errorf("%w: expected add, list, edit or remove, not %q", errUsage, args[0])
}

// repeated is a flag that may be given several times (--period A --period B).
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// openCourses opens the data directory and the courses service over it,
// with the file store storage names ("file" for commands that touch no file).
// The caller closes the database.
func openCourses(ctx context.Context, dataDir dataLoc, storage string) (*db.DB, *courses.Service, error) {
	d, fs, err := openStore(ctx, dataDir, storage, files.Options{})
	if err != nil {
		return nil, nil, err
	}
	return d, courses.New(d, fs, nil), nil
}

// openCourse opens the courses service and finds the course ref (id or code).
func openCourse(ctx context.Context, dataDir dataLoc, storage, ref string) (*db.DB, *courses.Service, db.Course, error) {
	d, cs, err := openCourses(ctx, dataDir, storage)
	if err != nil {
		return nil, nil, db.Course{}, err
	}
	course, err := findCourse(ctx, d, ref)
	if err != nil {
		d.Close()
		return nil, nil, db.Course{}, err
	}
	return d, cs, course, nil
}

// courseProblem turns a field problem into a command-line sentence.
func courseProblem(err error) error {
	if p := courses.Problems(err); p != nil {
		return fmt.Errorf("%s", strings.ReplaceAll(p.Error(), "periods:", "--period:"))
	}
	return err
}

func courseAdd(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("course add")
	dataDir := f.dataDir()
	code := f.String("code", "", "course code: letters, digits, - _ . (part of file names)")
	name := f.String("name", "", "course name")
	term := f.String("term", "", "term, such as Fall 2026")
	var periods repeated
	f.Var(&periods, "period", "a period (repeat for several, in order)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *code == "" || *name == "" {
		return fmt.Errorf("%w: --code and --name are required", errUsage)
	}
	d, cs, err := openCourses(ctx, *dataDir, "file") // a new course has no files
	if err != nil {
		return err
	}
	defer d.Close()
	c, err := cs.Create(ctx, courses.Input{Code: *code, Name: *name, Term: *term, Periods: periods}, courses.Actor{})
	if err != nil {
		return courseProblem(err)
	}
	fmt.Fprintln(stdout, c.ID)
	return nil
}

func courseList(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("course list")
	dataDir := f.dataDir()
	if err := f.parse(args); err != nil {
		return err
	}
	d, err := openDB(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	list, err := d.CourseOverviews(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tCODE\tNAME\tTERM\tMEMBERS")
	for _, o := range list {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\n", o.ID, o.Code, o.Name, o.Term, o.Members)
	}
	return w.Flush()
}

// courseRef takes the one ID|CODE argument (before or after the flags).
func courseRef(args []string, valued ...string) (string, []string, error) {
	ref, rest := splitFileArg(args, valued...)
	if ref == "" {
		return "", nil, fmt.Errorf("%w: give the course's id or code", errUsage)
	}
	return ref, rest, nil
}

func courseEdit(ctx context.Context, args []string, stdout io.Writer) error {
	ref, args, err := courseRef(args, "data-dir", "database", "code", "name", "term")
	if err != nil {
		return err
	}
	f := newFlags("course edit")
	dataDir := f.dataDir()
	var p courses.Patch
	set := map[string]**string{"code": &p.Code, "name": &p.Name, "term": &p.Term}
	values := map[string]*string{
		"code": f.String("code", "", "new code"),
		"name": f.String("name", "", "new name"),
		"term": f.String("term", "", "new term (\"\" for none)"),
	}
	if err := f.parse(args); err != nil {
		return err
	}
	f.Visit(func(fl *flag.Flag) {
		if dst, ok := set[fl.Name]; ok {
			*dst = values[fl.Name]
		}
	})
	if p.Code == nil && p.Name == nil && p.Term == nil {
		return fmt.Errorf("%w: give --code, --name or --term", errUsage)
	}
	d, cs, course, err := openCourse(ctx, *dataDir, "file", ref) // an edit touches no file
	if err != nil {
		return err
	}
	defer d.Close()
	c, err := cs.Update(ctx, course.ID, p, courses.Actor{})
	if err != nil {
		return courseProblem(err)
	}
	fmt.Fprintf(stdout, "course %d: %s, %s, %s\n", c.ID, c.Code, c.Name, or(c.Term, "no term"))
	return nil
}

func courseRemove(ctx context.Context, args []string, stdout io.Writer) error {
	ref, args, err := courseRef(args, "data-dir", "database", "storage")
	if err != nil {
		return err
	}
	f := newFlags("course remove")
	dataDir := f.dataDir()
	storage := f.storage()
	yes := f.Bool("yes", false, "really remove the course with everything in it")
	if err := f.parse(args); err != nil {
		return err
	}
	if !*yes {
		return fmt.Errorf("%w: removing a course deletes everything in it and cannot be undone; add --yes", errUsage)
	}
	d, cs, course, err := openCourse(ctx, *dataDir, *storage, ref)
	if err != nil {
		return err
	}
	defer d.Close()
	r, err := cs.Remove(ctx, course.ID, courses.Actor{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed course %s (%s): %d members' places, %s of files\n", r.Code, r.Name, r.Members, files.FormatSize(r.Bytes))
	return nil
}
