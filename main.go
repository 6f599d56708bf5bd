// Command coursevault is a self-hosted web app that lets course staff get
// their course's data out: zip backups and performance-book workbooks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"

	"coursevault/db"
	"coursevault/db/files"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one sub-command of the binary.
type command struct {
	name  string
	args  string // usage after the name
	about string
	run   func(ctx context.Context, args []string, stdout io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "[flags] [--no-worker]", "run the web server and the job worker (--no-worker: the web only)", runServe},
		{"worker", "[flags]", "run background jobs only, beside serve --no-worker processes sharing the database", runWorker},
		{"demo", "[flags]", "fill an empty database with deterministic demo data", runDemo},
		{"user", "add --email E --name N [--site-admin] [--password-stdin] | link --email E [--base-url URL]", "add a user, or print a one-time set-password link for one", runUser},
		{"course", "add --code C --name N [--term T] [--period P]... | list | edit ID|CODE [--code C] [--name N] [--term T] | remove ID|CODE --yes", "create, list, change or remove courses", runCourse},
		{"member", "add --course ID|CODE --email E --role admin|teacher|ta|student [--period P] [--student-id ID]", "put a user in a course", runMember},
		{"roster", "import --course ID|CODE FILE.csv [--dry-run] [--remove-missing]", "add, change (and remove) a course's people from a CSV roster", runRoster},
		{"gradebook", "import --course ID|CODE FILE.csv [--dry-run]", "set scores from a gradebook CSV (Canvas, Moodle or email,assignment,score)", runGradebook},
		{"token", "create --email E [--name N] | create --course ID|CODE --name N", "print a new personal access token, or a course token for one course", runToken},
		{"export", "course --course ID|CODE [--include-stdout] [--no-files] --out FILE | perfbook --course ID|CODE --out FILE", "write a course archive or performance book now", runExport},
		{"verify", "FILE", "check a course archive's manifest and every checksum", runVerify},
		{"import", "FILE [--code NEWCODE]", "restore a course archive as a new course", runImport},
		{"ingest", "--course ID|CODE FILE.ndjson [--max-line N] [--max-stdout N]", "take in autograder results (NDJSON, one submission a line) for backfills", runIngest},
		{"files", "migrate --to URL | --from URL | check", "copy attachments to or from object storage; list files whose bytes are missing", runFiles},
		{"db", "copy [--data-dir D | --database FILE] --to postgres://…", "copy a SQLite database into an empty PostgreSQL database, verifying every table", runDB},
		{"backup", "schedule --course ID|CODE|--site-default (--daily HH:MM | --weekly DAY HH:MM | --off | --default) [--keep 7] [--include-stdout] [--include-files] | list", "schedule course archives (kept to the last N, skipped when unchanged), or list every course's schedule and last archive", runBackup},
		{"jobs", "[--state queued|running|succeeded|failed|cancelled]", "list background jobs", runJobs},
		{"version", "", "print the version", runVersion},
	}
}

// errUsage marks a wrong command line: usage is printed and the exit code is 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// COURSEVAULT_CPUPROFILE=FILE writes a CPU profile of the command
	// (.ci/importbench uses it to profile an import).
	if p := os.Getenv("COURSEVAULT_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil && pprof.StartCPUProfile(f) == nil {
			code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "coursevault: %v\nusage: coursevault %s %s\n", err, c.name, c.args)
			return 2
		default:
			fmt.Fprintf(stderr, "coursevault %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "coursevault: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: coursevault <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.about)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set by an environment variable: --data-dir is COURSEVAULT_DATA_DIR, --database is COURSEVAULT_DATABASE.\nRun 'coursevault <command> -h' for a command's flags.")
}

// flags is a command's flag set whose defaults come from COURSEVAULT_* variables.
type flags struct {
	*flag.FlagSet
}

func newFlags(name string) flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return flags{fs}
}

// parse reads env defaults and then the command line. Errors are usage errors.
func (f flags) parse(args []string) error {
	var envErr error
	f.VisitAll(func(fl *flag.Flag) {
		key := "COURSEVAULT_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		// An empty variable counts as unset (as compose files and shells
		// often leave them), not as a value to parse.
		if v := os.Getenv(key); v != "" && envErr == nil {
			if err := fl.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %v", key, v, err)
			}
		}
	})
	if envErr != nil {
		return fmt.Errorf("%w: %v", errUsage, envErr)
	}
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.SetOutput(os.Stderr)
			f.PrintDefaults()
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if f.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, f.Arg(0))
	}
	return nil
}

// dataDir adds --data-dir and --database, shared by every command that
// opens the database.
func (f flags) dataDir() *dataLoc {
	var l dataLoc
	f.StringVar(&l.dir, "data-dir", "./data", "directory for the database and attachments (COURSEVAULT_DATA_DIR)")
	f.StringVar(&l.database, "database", "", "the database: a SQLite file (default: coursevault.db in --data-dir) or a PostgreSQL URL "+
		"such as postgres://user:password@host:5432/coursevault; see README (COURSEVAULT_DATABASE)")
	return &l
}

// dataLoc is where a command's data lives: the data directory (attachments,
// and the SQLite file by default) and the --database value.
type dataLoc struct{ dir, database string }

// String is the data directory, as messages name it.
func (l dataLoc) String() string { return l.dir }

// storage adds --storage, shared by every command that opens the file store.
func (f flags) storage() *string {
	return f.String("storage", "file", "where attachments live: file (the data directory's attachments/) or an S3 URL such as "+
		"s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=true; see README (COURSEVAULT_STORAGE)")
}

// openBlobs opens the store --storage names (files.OpenStorage); a bad
// value is a usage error, told without the URL's credentials.
func openBlobs(storage string, log *slog.Logger) (files.Blobs, error) {
	b, err := files.OpenStorage(storage)
	if errors.Is(err, files.ErrStorageURL) {
		return nil, fmt.Errorf("%w: --storage %v", errUsage, err)
	}
	if err == nil && b != nil && log != nil {
		log.Info("attachments in object storage", "store", b.String())
	}
	return b, err
}

// openStore opens the data directory's database and the file store
// --storage names, for the
// commands that need both. The caller closes the database.
func openStore(ctx context.Context, dataDir dataLoc, storage string, opts files.Options) (*db.DB, *files.Service, error) {
	b, err := openBlobs(storage, nil)
	if err != nil {
		return nil, nil, err
	}
	if opts.Blobs == nil {
		opts.Blobs = b
	}
	d, err := openDB(ctx, dataDir)
	if err != nil {
		return nil, nil, err
	}
	fs, err := files.New(d, attachmentsDir(dataDir), opts)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, fs, nil
}

// attachmentsDir is where a data directory keeps the bytes of stored files.
func attachmentsDir(dataDir dataLoc) string { return filepath.Join(dataDir.dir, "attachments") }

// openDB opens (creating) the database --database names, by default the
// data directory's SQLite file.
func openDB(ctx context.Context, dataDir dataLoc) (*db.DB, error) {
	if err := os.MkdirAll(dataDir.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if dataDir.database != "" {
		return db.OpenURL(ctx, dataDir.database)
	}
	return db.Open(ctx, filepath.Join(dataDir.dir, "coursevault.db"))
}

func runVersion(_ context.Context, args []string, stdout io.Writer) error {
	f := newFlags("version")
	if err := f.parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "coursevault %s (schema %d)\n", version, db.SchemaVersion())
	return nil
}
