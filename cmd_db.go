package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"coursevault/db"
	"coursevault/db/dbcopy"
)

// runDB: db copy --to postgres://…
func runDB(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "copy" {
		return runDBCopy(ctx, args[1:], stdout)
	}
	return fmt.Errorf("%w: expected copy", errUsage)
}

// runDBCopy copies the SQLite database the usual flags name into an empty
// PostgreSQL database and prints each table's verification.
func runDBCopy(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("db copy")
	dataDir := f.dataDir()
	to := f.String("to", "", "the empty PostgreSQL database to copy into: postgres://user:password@host:5432/db")
	if err := f.parse(args); err != nil {
		return err
	}
	if !db.IsPostgresURL(*to) {
		return fmt.Errorf("%w: give --to postgres://user:password@host:5432/database", errUsage)
	}
	source := dataDir.database
	if db.IsPostgresURL(source) {
		return fmt.Errorf("%w: the source (--database) must be a SQLite file; db copy moves SQLite to PostgreSQL", errUsage)
	}
	if source == "" {
		source = filepath.Join(dataDir.dir, "coursevault.db")
	}
	progress := progressPrinter(os.Stderr)
	res, err := dbcopy.Copy(ctx, source, *to, dbcopy.Options{Progress: progress})
	if progress != nil {
		fmt.Fprint(os.Stderr, "\r\033[K")
	}
	if err != nil && !errors.Is(err, dbcopy.ErrMismatch) {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "table\trows\tchecksum (sha256)\t\t")
	for _, t := range res.Tables {
		state, sum := "OK", t.Checksum[:16]
		if !t.OK() {
			state = fmt.Sprintf("MISMATCH: PostgreSQL has %d rows, checksum %s", t.TargetRows, t.Target[:16])
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t\n", t.Name, t.Rows, sum, state)
	}
	w.Flush()
	if err != nil {
		return fmt.Errorf("%w: PostgreSQL's rows differ from SQLite's in the tables marked MISMATCH", err)
	}
	fmt.Fprintf(stdout, "copied %d rows of %d tables from %s to %s in one transaction in %s, verified in %s; every table's count and checksum match\n",
		res.Rows, len(res.Tables), source, db.RedactURL(*to), res.Copy.Round(time.Millisecond), res.Verify.Round(time.Millisecond))
	fmt.Fprintln(stdout, "attachments were not copied: their bytes stay in the data directory or the --storage store, which both databases share (`coursevault files migrate --to s3://…` moves them to object storage)")
	fmt.Fprintf(stdout, "stop serve on the SQLite file and start it with --database '%s' and the same --data-dir or --storage\n", db.RedactURL(*to))
	return nil
}
