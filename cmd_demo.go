package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"coursevault/db"
	"coursevault/db/demo"
	"coursevault/db/files"
	"coursevault/web/auth"
)

// demoPassword is every demo sign-in's password, printed at start in demo mode.
const demoPassword = "coursevault-demo"

func runDemo(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("demo")
	dataDir := f.dataDir()
	storage := f.storage()
	o := demo.Defaults()
	f.IntVar(&o.Courses, "courses", o.Courses, "number of courses (one has periods, one has none, one is empty)")
	f.IntVar(&o.Students, "students", o.Students, "students per course")
	f.IntVar(&o.Assignments, "assignments", o.Assignments, "assignments per course")
	f.IntVar(&o.SubmissionsPerStudent, "submissions", o.SubmissionsPerStudent, "submissions per student and assignment")
	f.IntVar(&o.StdoutBytes, "stdout-bytes", o.StdoutBytes, "approximate bytes of build/test output per submission")
	f.IntVar(&o.StaticFiles, "static-files", o.StaticFiles, "static files per course")
	f.Int64Var(&o.Seed, "seed", o.Seed, "random seed: the same seed gives the same data")
	if err := f.parse(args); err != nil {
		return err
	}
	d, fs, err := openStore(ctx, *dataDir, *storage, files.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	return generateDemo(ctx, d, fs, o, stdout)
}

// seedDemoIfEmpty fills an empty database with the default demo and leaves a
// database that already holds courses alone (serve --demo).
func seedDemoIfEmpty(ctx context.Context, d *db.DB, fs *files.Service, stdout io.Writer) error {
	n, err := d.CountCourses(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintf(stdout, "demo: the database already holds %d courses; not adding demo data\n", n)
		printSignIns(stdout)
		return nil
	}
	return generateDemo(ctx, d, fs, demo.Defaults(), stdout)
}

func generateDemo(ctx context.Context, d *db.DB, fs *files.Service, o demo.Options, stdout io.Writer) error {
	hash, err := auth.HashPassword(demoPassword)
	if err != nil {
		return err
	}
	o.PasswordHash = hash
	o.Static = func(ctx context.Context, courseID int64, path string, content []byte) error {
		_, err := fs.AddStatic(ctx, courseID, path, bytes.NewReader(content))
		return err
	}
	sum, err := demo.Generate(ctx, d, o)
	if errors.Is(err, demo.ErrNotEmpty) {
		return err
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(stdout, "demo: %s\n", sum)
	printSignIns(stdout)
	return nil
}

func printSignIns(w io.Writer) {
	fmt.Fprintf(w, "demo sign-ins (password %q):\n", demoPassword)
	for _, s := range demo.SignIns {
		fmt.Fprintf(w, "  %-22s %s\n", s.Email, s.Note)
	}
}
