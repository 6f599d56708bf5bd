package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"coursevault/db/files"
	"coursevault/jobs/restore"
)

// importCacheKiB is the import command's writer page cache.
const importCacheKiB = 8 << 10

// runImport restores a course archive as a new course:
// coursevault import FILE [--code NEWCODE] [--course-quota BYTES] [--data-dir DIR].
func runImport(ctx context.Context, args []string, stdout io.Writer) error {
	file, args := splitFileArg(args, "code", "data-dir", "database", "storage", "course-quota")
	f := newFlags("import")
	dataDir := f.dataDir()
	storage := f.storage()
	code := f.String("code", "", "import under this course code instead of the archive's")
	quota := f.Int64("course-quota", files.DefaultCourseQuota, "bytes of files a course may keep (its static files must fit)")
	if err := f.parse(args); err != nil {
		return err
	}
	if file == "" {
		return fmt.Errorf("%w: give one archive file", errUsage)
	}
	in, err := openInput(file)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	d, fs, err := openStore(ctx, *dataDir, *storage, files.Options{CourseQuota: *quota})
	if err != nil {
		return err
	}
	defer d.Close()
	// This process only streams the course in, in short transactions: a
	// small page cache keeps its memory low without slowing it down.
	if err := d.SetWriterCache(ctx, importCacheKiB); err != nil {
		return err
	}
	progress := progressPrinter(os.Stderr)
	res, err := restore.Import(ctx, d, fs, in, st.Size(), restore.Options{Code: *code, Progress: progress})
	if progress != nil {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
	if errors.Is(err, restore.ErrRefused) {
		return fmt.Errorf("%s refused, nothing imported: %w", file, err)
	}
	if err != nil {
		return fmt.Errorf("%s not imported: %w", file, err)
	}
	fmt.Fprintf(stdout, "imported %s as course %s (id %d): %s, %s\n", file, res.Code, res.CourseID, res.Name, or(res.Term, "no term"))
	fmt.Fprintf(stdout, "  %d periods, %d members: %d matched to existing users by email, %d new users (disabled, no password: invite them to sign in)\n",
		res.Periods, res.Members, res.UsersMatched, res.UsersCreated)
	fmt.Fprintf(stdout, "  %d assignments, %d submissions, %d build results, %d test results, %d scores\n",
		res.Assignments, res.Submissions, res.BuildResults, res.TestResults, res.Scores)
	fmt.Fprintf(stdout, "  %d static files (%s)\n", res.StaticFiles, files.FormatSize(res.StaticBytes))
	if res.StaticFilesWithoutBytes > 0 {
		fmt.Fprintf(stdout, "  %d static files listed without their bytes (exported without files): not restored\n", res.StaticFilesWithoutBytes)
	}
	if !res.Manifest.Options.IncludeStdout {
		fmt.Fprintln(stdout, "  the archive holds no build/test output: results were restored with empty stdout")
	}
	return nil
}

// openInput opens a file named on the command line; a path error says
// which file in one line.
func openInput(file string) (*os.File, error) {
	in, err := os.Open(file)
	var pe *os.PathError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("cannot read %s: %v", file, pe.Err)
	}
	return in, err
}

// splitFileArg takes the one positional argument (before or after the
// flags) out of args; valued names the flags that take a value.
func splitFileArg(args []string, valued ...string) (file string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" && i+1 < len(args) {
			return args[i+1], append(rest, args[i+2:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if file != "" {
				rest = append(rest, a) // a second one: parse reports it
				continue
			}
			file = a
			continue
		}
		rest = append(rest, a)
		name := strings.TrimLeft(a, "-")
		if !strings.Contains(name, "=") {
			for _, v := range valued {
				if name == v && i+1 < len(args) {
					i++
					rest = append(rest, args[i])
				}
			}
		}
	}
	return file, rest
}
