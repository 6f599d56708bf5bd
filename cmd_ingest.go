package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"coursevault/db"
	"coursevault/jobs/submissions"
)

// runIngest: ingest --course ID|CODE FILE.ndjson, for backfills of autograder
// results, as POST /api/courses/:id/submissions takes them. Rejected lines
// are listed; the good lines are written either way (exit 1 if any was rejected).
func runIngest(ctx context.Context, args []string, stdout io.Writer) error {
	file, args := splitFileArg(args, "course", "data-dir", "database", "max-line", "max-stdout")
	f := newFlags("ingest")
	dataDir := f.dataDir()
	courseRef := f.String("course", "", "course id or code")
	var lim submissions.Limits
	f.IntVar(&lim.MaxLine, "max-line", submissions.DefaultLimits.MaxLine, "bytes one line may have; a longer line is rejected and skipped")
	f.IntVar(&lim.MaxStdout, "max-stdout", submissions.DefaultLimits.MaxStdout, "bytes of stdout one build or test result may carry")
	if err := f.parse(args); err != nil {
		return err
	}
	if *courseRef == "" || file == "" {
		return fmt.Errorf("%w: give --course and one NDJSON file", errUsage)
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
	d, _, course, err := openCourse(ctx, *dataDir, "file", *courseRef) // results touch no file
	if err != nil {
		return err
	}
	defer d.Close()
	body := &countingReader{r: in}
	opts := submissions.Options{Limits: lim}
	progress := progressPrinter(os.Stderr)
	if progress != nil {
		opts.Progress = func(lines int, res submissions.Result) {
			progress(body.n.Load(), st.Size(), fmt.Sprintf("%d lines: %s", lines, res))
		}
	}
	res, err := submissions.Ingest(ctx, d, course.ID, body, opts)
	if progress != nil {
		fmt.Fprintln(os.Stderr)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(stdout, "line %d: %s\n", r.Line, r.Error)
	}
	if res.MoreRejected > 0 {
		fmt.Fprintf(stdout, "… and %d more rejected lines\n", res.MoreRejected)
	}
	err = d.InTx(ctx, func(tx *db.Queries) error {
		return tx.InsertAuditEvent(ctx, db.AuditEvent{At: time.Now(), Action: "submissions.ingest", CourseID: course.ID, Subject: file, Detail: res.String()})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", course.Code, res)
	if n := res.RejectedCount(); n > 0 {
		return fmt.Errorf("%s: %d lines rejected (listed above); the other lines were written", file, n)
	}
	return nil
}

// countingReader counts the bytes read, for the progress bar.
type countingReader struct {
	r io.Reader
	n atomic.Int64 // read by the progress bar in the writing goroutine
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
