// Package submissions takes in autograder results as NDJSON (one submission
// a line), streamed: each line is checked and written on its own, in short
// batch transactions, and bad lines are reported while good ones are kept.
package submissions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"coursevault/db"
)

// Limits bound what one line may hold. Zero fields take the defaults.
type Limits struct {
	MaxLine   int // bytes of one line (--ingest-max-line)
	MaxStdout int // bytes of one result's stdout (--ingest-max-stdout)
}

// DefaultLimits are serve's defaults.
var DefaultLimits = Limits{MaxLine: 64 << 20, MaxStdout: 16 << 20}

func (l Limits) orDefault() Limits {
	if l.MaxLine <= 0 {
		l.MaxLine = DefaultLimits.MaxLine
	}
	if l.MaxStdout <= 0 {
		l.MaxStdout = DefaultLimits.MaxStdout
	}
	return l
}

// Lines go in by batches of batchRows rows (a submission, its build, each
// test, its score), fewer when their text passes batchBytes: each batch is
// one transaction of some tens of milliseconds, so other writers wait at most
// that long for the single writer (as jobs/restore).
const (
	batchRows  = 2000
	batchBytes = 4 << 20
)

// MaxRejected is how many rejected lines a Result lists; the rest are counted.
const MaxRejected = 1000

// Options are the choices of one ingest.
type Options struct {
	Limits Limits
	Now    time.Time // updated_at of what is written; zero means time.Now()
	// Progress, if not nil, is called after each batch is written (from
	// the writing goroutine) with the number of the last line read.
	Progress func(lines int, res Result)
}

// Result is what an ingest did.
type Result struct {
	Accepted     int         `json:"accepted"`
	Replaced     int         `json:"replaced"` // of Accepted, lines that replaced a submission sent before
	Rejected     []Rejection `json:"rejected"`
	MoreRejected int         `json:"more_rejected"` // rejected lines beyond those listed
}

// Rejection is a line that was not written, and why.
type Rejection struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// RejectedCount is the number of rejected lines, listed or not.
func (r Result) RejectedCount() int { return len(r.Rejected) + r.MoreRejected }

// String sums a result up for the audit log.
func (r Result) String() string {
	return fmt.Sprintf("%d accepted (%d replaced), %d rejected", r.Accepted, r.Replaced, r.RejectedCount())
}

func (r *Result) reject(line int, err error) {
	if len(r.Rejected) < MaxRejected {
		r.Rejected = append(r.Rejected, Rejection{Line: line, Error: err.Error()})
		return
	}
	r.MoreRejected++
}

// ErrNotNDJSON matches the error of a body that is not NDJSON at all
// (empty, a JSON array, HTML, binary); nothing was written.
var ErrNotNDJSON = errors.New("not NDJSON")

type notNDJSON string

func (e notNDJSON) Error() string        { return string(e) }
func (e notNDJSON) Is(target error) bool { return target == ErrNotNDJSON }

// sniff decides from the first line that is not blank whether the body is
// NDJSON at all.
func sniff(first []byte) error {
	first = bytes.TrimPrefix(first, []byte("\xef\xbb\xbf"))
	first = bytes.TrimLeft(first, " \t")
	switch {
	case len(first) > 0 && first[0] == '{':
		return nil
	case len(first) > 0 && first[0] == '[':
		return notNDJSON("the body is a JSON array, not NDJSON: send one JSON object per line, without brackets or commas between them")
	case len(first) > 0 && first[0] == '<':
		return notNDJSON("the body looks like HTML or XML, not NDJSON: send one JSON object per line")
	case !utf8.Valid(first) || bytes.IndexByte(first, 0) >= 0:
		return notNDJSON("the body is binary, not NDJSON: send one JSON object per line")
	}
	return notNDJSON("the body is not NDJSON: its first line does not start with {; send one JSON object per line")
}

// Ingest reads NDJSON submissions from body into courseID. Each line is all
// or nothing: a bad line (malformed, an unknown assignment or student, over
// a limit) is reported in the Result and the others go on. Sending the same
// id again replaces that submission with its build and tests; an id already
// used for another student or assignment is rejected (an id names one
// student's work on one assignment). A body that is not NDJSON at all
// matches ErrNotNDJSON and nothing is written. Any other error (reading the
// body, the database) stops the ingest: batches written before it stay, and
// sending the whole body again is safe.
func Ingest(ctx context.Context, d *db.DB, courseID int64, body io.Reader, opts Options) (Result, error) {
	in := &ingester{ctx: ctx, d: d, course: courseID, lim: opts.Limits.orDefault(), now: opts.Now, progress: opts.Progress}
	if in.now.IsZero() {
		in.now = time.Now()
	}
	in.res.Rejected = []Rejection{}
	// The next batch is read and decoded while the last one is written (the
	// decoding costs about as much CPU as the writing); at most three
	// batches are in memory.
	batches, stop, done := make(chan batch, 1), make(chan struct{}), make(chan error, 1)
	go func() { done <- in.writeAll(batches, stop) }()
	rerr := in.read(body, batches, stop)
	close(batches)
	if werr := <-done; werr != nil {
		return in.res, werr
	}
	return in.res, rerr
}

// batch is lines to write in one transaction; last is the number of the
// last line read.
type batch struct {
	lines []numbered
	last  int
}

type numbered struct {
	n int
	Line
	err error // the line is bad as it stands: rejected without a lookup
}

type ingester struct {
	ctx      context.Context
	d        *db.DB
	course   int64
	lim      Limits
	now      time.Time
	progress func(int, Result)

	res Result // written by writeAll only
}

// errStopped: the writer failed, and its error is the one to report.
var errStopped = errors.New("stopped")

// read reads and decodes lines into batches for writeAll, until the end of
// the body, an error, or stop.
func (in *ingester) read(body io.Reader, batches chan<- batch, stop <-chan struct{}) error {
	lr := newLineReader(body, in.lim.MaxLine)
	seen := false
	var b batch
	var bytes, rows int
	send := func() error {
		b.last = lr.n
		select {
		case batches <- b:
		case <-stop:
			return errStopped
		}
		b, bytes, rows = batch{}, 0, 0
		return nil
	}
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("submissions: read line %d: %w", lr.n+1, err)
		}
		if isBlank(line) && !lr.tooLong {
			continue
		}
		if !seen {
			if err := sniff(line); err != nil {
				return err // before any batch: nothing written
			}
			seen = true
		}
		var l Line
		if lr.tooLong {
			err = fmt.Errorf("the line is longer than %s (--ingest-max-line); it was skipped", mib(int64(in.lim.MaxLine)))
		} else {
			l, err = Parse(line, in.lim.MaxStdout)
		}
		if err != nil {
			l = Line{} // let go of what a bad line decoded (its stdout)
			rows++
		} else {
			bytes += l.size()
			rows += l.rows()
		}
		// A bad line waits in the batch too, so rejections come in line order.
		b.lines = append(b.lines, numbered{n: lr.n, Line: l, err: err})
		if rows >= batchRows || bytes >= batchBytes {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if !seen {
		return notNDJSON("the body is empty: send one JSON object per line")
	}
	if len(b.lines) > 0 {
		return send()
	}
	return nil
}

// writeAll writes the batches as they come; on the first failure it closes
// stop and returns the error.
func (in *ingester) writeAll(batches <-chan batch, stop chan<- struct{}) (err error) {
	defer func() {
		if err != nil {
			close(stop)
		}
	}()
	b, ok := <-batches
	if !ok {
		return nil
	}
	// The WAL is copied into the database in the background while the next
	// batch is written, not by the writer in the commits (db.Checkpointer).
	ctx := context.WithoutCancel(in.ctx) // to turn it back on whatever happens
	ckpt, err := in.d.StartCheckpointer(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if serr := ckpt.Stop(ctx); err == nil {
			err = serr
		}
	}()
	for ; ok; b, ok = <-batches {
		if err := in.flush(b); err != nil {
			return err
		}
		if err := ckpt.Committed(); err != nil {
			return err
		}
	}
	return nil
}

// flush writes a batch in one transaction. Lines that name an unknown
// assignment or student are rejected without writing; the rest is written.
func (in *ingester) flush(b batch) error {
	var res Result
	// A bulk transaction: the course's data_version moves once, at the end
	// of the batch, if it wrote anything, not once per row (as many as six
	// a line) by the triggers.
	write := func(fn func(*db.Queries) error) error { return in.d.InBulkTx(in.ctx, in.course, fn) }
	if !slices.ContainsFunc(b.lines, func(l numbered) bool { return l.err == nil }) {
		write = func(fn func(*db.Queries) error) error { return fn(nil) } // only bad lines: no transaction
	}
	// The statements run without the request's cancellation: the driver
	// would start a goroutine per statement to watch it. The loop checks it
	// between lines instead.
	ctx := context.WithoutCancel(in.ctx)
	err := write(func(tx *db.Queries) error {
		res = Result{} // the rejections of this batch only
		var w *db.SubmissionWriter
		if tx != nil {
			var err error
			if w, err = tx.PrepareSubmissionWriter(ctx, in.course); err != nil {
				return err
			}
			defer w.Close()
			ids := make([]string, 0, len(b.lines))
			for _, l := range b.lines {
				if l.err == nil {
					ids = append(ids, l.ID)
				}
			}
			if err := w.Find(ctx, ids); err != nil {
				return err
			}
		}
		r := resolver{ctx: ctx, tx: tx, course: in.course, assignments: map[string]any{}, students: map[string]any{}}
		var scores latestScores
		for _, l := range b.lines {
			if l.err != nil {
				res.Rejected = append(res.Rejected, Rejection{Line: l.n, Error: l.err.Error()})
				continue
			}
			if err := in.ctx.Err(); err != nil {
				return err
			}
			replaced, err := in.write(w, &r, &l.Line, &scores)
			var bad lineError
			switch {
			case errors.As(err, &bad):
				res.Rejected = append(res.Rejected, Rejection{Line: l.n, Error: bad.Error()})
			case err != nil:
				return fmt.Errorf("submissions: line %d: %w", l.n, err)
			default:
				res.Accepted++
				if replaced {
					res.Replaced++
				}
			}
		}
		if tx != nil {
			if err := w.Flush(ctx); err != nil {
				return err
			}
		}
		for _, s := range scores.list {
			if err := w.Score(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := in.ctx.Err(); err != nil && cerr != nil {
		err = cerr // the statements failed because the transaction was cancelled
	}
	if err != nil {
		return err
	}
	in.res.Accepted += res.Accepted
	in.res.Replaced += res.Replaced
	for _, r := range res.Rejected {
		in.res.reject(r.Line, errors.New(r.Error))
	}
	if in.progress != nil {
		in.progress(b.last, in.res)
	}
	return nil
}

func isBlank(line []byte) bool { return len(bytes.TrimSpace(line)) == 0 }

// lineError is the line's fault: it is rejected, the batch goes on.
type lineError string

func (e lineError) Error() string { return string(e) }

// write resolves one line and hands it to the writer, all or nothing on an
// error of the line's own.
func (in *ingester) write(w *db.SubmissionWriter, r *resolver, l *Line, scores *latestScores) (replaced bool, err error) {
	assignment, err := r.assignment(l.Assignment)
	if err != nil {
		return false, err
	}
	student, err := r.student(l.Student)
	if err != nil {
		return false, err
	}
	s := db.ExternalSubmission{ExternalID: l.ID, AssignmentID: assignment, UserID: student.UserID,
		CommitSHA: l.Commit, State: l.State, SubmittedAt: l.submittedAt, Now: in.now}
	var build *db.BuildResult
	if l.Build != nil {
		build = &db.BuildResult{Passed: *l.Build.Passed, Stdout: l.Build.Stdout, CreatedAt: in.now}
	}
	tests := make([]db.TestResult, len(l.Tests))
	for i, t := range l.Tests {
		tests[i] = db.TestResult{Name: t.Name, Passed: *t.Passed, Message: t.Message, Stdout: t.Stdout, CreatedAt: in.now}
	}
	replaced, err = w.Put(s, build, tests)
	if errors.Is(err, db.ErrSubmissionIDTaken) {
		return false, lineError(fmt.Sprintf("field \"id\": %q already names another student's or assignment's submission in this course; an id names one student's work on one assignment, so send this one with a new id", l.ID))
	}
	if err != nil {
		return false, err
	}
	if l.Score != nil {
		at := l.submittedAt
		scores.set(db.Score{AssignmentID: assignment, UserID: student.UserID, Fraction: l.Score,
			Status: db.ScoreCompleted, Late: l.Late, SubmittedAt: &at, UpdatedAt: in.now})
	}
	return replaced, nil
}

// latestScores are the scores a batch sets, the last line's for each
// student and assignment: an autograder sends a student's every run, and
// each would replace the one before, so the batch writes each score once,
// at its end.
type latestScores struct {
	at   map[[2]int64]int // assignment, user → index in list
	list []db.Score
}

func (s *latestScores) set(sc db.Score) {
	k := [2]int64{sc.AssignmentID, sc.UserID}
	if i, ok := s.at[k]; ok {
		s.list[i] = sc
		return
	}
	if s.at == nil {
		s.at = map[[2]int64]int{}
	}
	s.at[k] = len(s.list)
	s.list = append(s.list, sc)
}

// resolver finds assignments by key and students by email or student id,
// remembering answers (and refusals) for the rest of its batch.
type resolver struct {
	ctx         context.Context
	tx          *db.Queries
	course      int64
	assignments map[string]any // key → int64 id or lineError
	students    map[string]any // ref → db.StudentRef or lineError
}

func (r *resolver) assignment(key string) (int64, error) {
	if v, ok := r.assignments[key]; ok {
		return cached[int64](v)
	}
	var v any
	a, err := r.tx.AssignmentByKey(r.ctx, r.course, key)
	switch {
	case errors.Is(err, db.ErrNotFound):
		v = lineError(fmt.Sprintf("field \"assignment\": this course has no assignment with key %q; create it first with PUT /api/courses/%d/assignments/%s", key, r.course, key))
	case err != nil:
		return 0, err
	default:
		v = a.ID
	}
	r.assignments[key] = v
	return cached[int64](v)
}

func (r *resolver) student(ref string) (db.StudentRef, error) {
	if v, ok := r.students[ref]; ok {
		return cached[db.StudentRef](v)
	}
	var v any
	ms, err := r.tx.MembersByEmailOrStudentID(r.ctx, r.course, ref)
	switch {
	case err != nil:
		return db.StudentRef{}, err
	case len(ms) == 0:
		v = lineError(fmt.Sprintf("field \"student\": %q is neither the email nor the student id of a student of this course", ref))
	case len(ms) > 1 && !strings.EqualFold(ms[0].Email, ref):
		v = lineError(fmt.Sprintf("field \"student\": student id %q is shared by %d members of this course; send the student's email", ref, len(ms)))
	case ms[0].Role != db.RoleStudent:
		v = lineError(fmt.Sprintf("field \"student\": %s is a member of this course as %s, not as a student", ms[0].Email, ms[0].Role))
	default:
		v = ms[0]
	}
	r.students[ref] = v
	return cached[db.StudentRef](v)
}

func cached[T any](v any) (T, error) {
	if err, ok := v.(lineError); ok {
		var zero T
		return zero, err
	}
	return v.(T), nil
}
