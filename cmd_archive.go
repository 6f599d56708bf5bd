package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/term"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/archive"
	"coursevault/jobs/perfbook"
)

func runExport(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "perfbook" {
		return runExportBook(ctx, args[1:], stdout)
	}
	args, err := subcommand(args, "course")
	if err != nil {
		return fmt.Errorf("%w (or \"perfbook\")", err)
	}
	f := newFlags("export course")
	dataDir := f.dataDir()
	storage := f.storage()
	courseRef := f.String("course", "", "course id or code")
	withStdout := f.Bool("include-stdout", false, "include build and test output (much larger)")
	noFiles := f.Bool("no-files", false, "leave the static files out")
	out := f.String("out", "", "archive file to write (a directory: the usual file name inside it)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *courseRef == "" || *out == "" {
		return fmt.Errorf("%w: --course and --out are required", errUsage)
	}
	d, fs, err := openStore(ctx, *dataDir, *storage, files.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	course, err := findCourse(ctx, d, *courseRef)
	if err != nil {
		return err
	}
	now := time.Now()
	progress := progressPrinter(os.Stderr)
	var m archive.Manifest
	path, err := writeAtomically(*out, archive.Filename(course.Code, course.Term, now), func(w io.Writer) error {
		return d.ReadTx(ctx, func(tx *db.Queries) error {
			src := archive.Source{Q: tx, CourseID: course.ID, OpenFile: fs.OpenByID}
			written, err := archive.Write(ctx, w, src, archive.Options{IncludeStdout: *withStdout, IncludeStaticFiles: !*noFiles,
				AppVersion: version, Now: now}, progress)
			m = written
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("export %s: %w", course.Code, err)
	}
	if progress != nil {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
	fmt.Fprintf(stdout, "wrote %s (%d entries) from course %s at data version %d\n", path, len(m.Entries)+1, course.Code, m.Course.DataVersion)
	return nil
}

// runExportBook writes a course's performance-book workbook now.
func runExportBook(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("export perfbook")
	dataDir := f.dataDir()
	courseRef := f.String("course", "", "course id or code")
	out := f.String("out", "", "workbook file to write (a directory: the usual file name inside it)")
	timezone := f.String("timezone", "", "time zone for the generated-at time and file name (default: the server's)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *courseRef == "" || *out == "" {
		return fmt.Errorf("%w: --course and --out are required", errUsage)
	}
	tz := time.Local
	if *timezone != "" {
		var err error
		if tz, err = time.LoadLocation(*timezone); err != nil {
			return fmt.Errorf("%w: --timezone %q is not a known time zone", errUsage, *timezone)
		}
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
	var book perfbook.Book
	if err := d.ReadTx(ctx, func(tx *db.Queries) error {
		book, err = perfbook.Load(ctx, tx, course.ID)
		return err
	}); err != nil {
		return err
	}
	now := time.Now().In(tz)
	path, err := writeAtomically(*out, perfbook.Filename(course.Name, now), func(w io.Writer) error {
		return perfbook.Write(w, book, perfbook.Meta{GeneratedAt: now, GeneratedBy: "coursevault export perfbook"})
	})
	if err != nil {
		return fmt.Errorf("export perfbook %s: %w", course.Code, err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d students, %d assignments, %d periods\n", path, len(book.Students), len(book.Assignments), len(book.Periods))
	return nil
}

// writeAtomically writes the file out (or, when out is a directory, the file
// named name inside it) through write. It writes beside the target, syncs and
// renames at the end, so a failed or interrupted export never leaves a half
// file under the real name. It returns the path written.
func writeAtomically(out, name string, write func(w io.Writer) error) (string, error) {
	path := out
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		path = filepath.Join(out, name)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".coursevault-export-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return path, err
}

// progressPrinter draws a one-line progress bar on w when it is a terminal.
func progressPrinter(w *os.File) func(done, total int64, note string) {
	if !term.IsTerminal(int(w.Fd())) {
		return nil
	}
	var last time.Time
	return func(done, total int64, note string) {
		if time.Since(last) < 100*time.Millisecond && done != total {
			return
		}
		last = time.Now()
		pct := 0
		if total > 0 {
			pct = int(100 * done / total)
		}
		bar := make([]byte, 30)
		for i := range bar {
			bar[i] = ' '
			if i < pct*30/100 {
				bar[i] = '#'
			}
		}
		fmt.Fprintf(w, "\r\033[K[%s] %3d%% %s", bar, pct, note)
	}
}

func runVerify(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		return fmt.Errorf("%w: give one archive file", errUsage)
	}
	m, err := archive.VerifyFile(args[0])
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("cannot read %s: %v", args[0], pe.Err)
		}
		return fmt.Errorf("%s is NOT intact: %w", args[0], err)
	}
	var rows, bytes int64
	for _, e := range m.Entries {
		rows += e.Rows
		bytes += e.Bytes
	}
	fmt.Fprintf(stdout, "%s is intact: format %d, course %s (%s, %s), generated %s by %s; %d entries, %d rows, %s checked\n",
		args[0], m.FormatVersion, m.Course.Code, m.Course.Name, m.Course.Term, m.GeneratedAt.Format(time.RFC3339),
		or(m.GeneratedBy.Email, "the command line"), len(m.Entries)+1, rows, files.FormatSize(bytes))
	return nil
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
