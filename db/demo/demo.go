// Package demo fills an empty coursevault database with deterministic demo
// data (same seed, same rows) for trying the app, tests and benchmarks.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"coursevault/db"
)

// Options sizes the demo. Students are spread over the courses that have
// students; every started score gets SubmissionsPerStudent submissions.
type Options struct {
	Seed                  int64
	Courses               int // at least 1; with 3 or more the last one is empty
	Students              int // in total, besides student@demo.test
	Assignments           int // per course
	SubmissionsPerStudent int // per assignment
	StdoutBytes           int // about this much build + test output per submission
	StaticFiles           int // per course
	// PasswordHash is the hash of the demo password, made once by the caller;
	// every demo user signs in with it. Empty: nobody can sign in.
	PasswordHash string
	// Now anchors every date (the term runs up to a few weeks after it), so
	// the same seed and Now give the same data. Zero means DefaultNow.
	Now time.Time
	// Static stores one static file's bytes and its static_files row. It is
	// called outside any transaction. Nil skips static files.
	Static func(ctx context.Context, courseID int64, path string, content []byte) error
}

// DefaultNow is the Now used when Options.Now is zero.
var DefaultNow = time.Date(2025, time.November, 3, 14, 0, 0, 0, time.UTC)

// Defaults returns a small demo that is quick to create.
func Defaults() Options {
	return Options{
		Seed:                  1,
		Courses:               3,
		Students:              40,
		Assignments:           12,
		SubmissionsPerStudent: 2,
		StdoutBytes:           2 << 10,
		StaticFiles:           5,
		Now:                   DefaultNow,
	}
}

// SignIn is a documented demo account.
type SignIn struct {
	Email, Role, Note string
}

// SignIns are the demo's documented accounts (all share the demo password).
// Generated students sign in as s00001@demo.test, s00002@demo.test, ...
var SignIns = []SignIn{
	{"admin@demo.test", "site admin", "sees every course; member of none"},
	{"instructor@demo.test", "admin", "course admin in every demo course, including the empty one"},
	{"teacher@demo.test", "teacher", "teacher in every demo course except the empty one"},
	{"ta@demo.test", "ta", "TA in every demo course except the empty one"},
	{"student@demo.test", "student", "student in the first course (1st Period, id 000417)"},
}

// ErrNotEmpty is returned (wrapped, with the number of courses) when the
// database already holds courses.
var ErrNotEmpty = errors.New("the demo only fills an empty database")

// Summary counts what Generate wrote.
type Summary struct {
	Users, Courses, Periods, Memberships, Assignments int
	Submissions, BuildResults, TestResults, Scores    int
	StaticFiles                                       int
	StdoutBytes                                       int64 // build and test output stored
	Elapsed                                           time.Duration
}

// Rows is the number of database rows written (static files count one each).
func (s Summary) Rows() int {
	return s.Users + s.Courses + s.Periods + s.Memberships + s.Assignments +
		s.Submissions + s.BuildResults + s.TestResults + s.Scores + s.StaticFiles
}

func (s Summary) String() string {
	return fmt.Sprintf("%d courses, %d users, %d memberships, %d assignments, %d scores, %d submissions, %d build results, %d test results (%.1f MB output), %d static files in %s",
		s.Courses, s.Users, s.Memberships, s.Assignments, s.Scores, s.Submissions, s.BuildResults, s.TestResults,
		float64(s.StdoutBytes)/1e6, s.StaticFiles, s.Elapsed.Round(time.Millisecond))
}

func (o Options) validate() error {
	switch {
	case o.Courses < 1:
		return errors.New("demo: need at least 1 course")
	case o.Students < 0, o.Assignments < 0, o.SubmissionsPerStudent < 0, o.StdoutBytes < 0, o.StaticFiles < 0:
		return errors.New("demo: sizes cannot be negative")
	case o.Students > 99999:
		return errors.New("demo: at most 99999 students")
	}
	return nil
}

// Generate fills an empty database with the demo. On a database that already
// holds a course it returns ErrNotEmpty and changes nothing. The people,
// courses and assignments commit in one transaction; the scores and
// submissions follow in one transaction per assignment, so a very large demo
// does not build a gigabyte write-ahead log, and a failure part-way leaves a
// database the demo will refuse to fill again.
func Generate(ctx context.Context, d *db.DB, opts Options) (Summary, error) {
	start := time.Now()
	if err := opts.validate(); err != nil {
		return Summary{}, err
	}
	if opts.Now.IsZero() {
		opts.Now = DefaultNow
	}
	opts.Now = opts.Now.UTC().Truncate(time.Second)
	g := &generator{
		opts: opts,
		r:    rand.New(rand.NewPCG(uint64(opts.Seed), 0x636f75727365)),
	}
	g.plan()
	err := d.InTx(ctx, func(tx *db.Queries) error {
		n, err := tx.CountCourses(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the database already holds %d %s; %w", n, plural(n, "course", "courses"), ErrNotEmpty)
		}
		return g.insertPlan(ctx, tx)
	})
	if err != nil {
		return Summary{}, err
	}
	partial := func(err error) (Summary, error) {
		g.sum.Elapsed = time.Since(start)
		return g.sum, fmt.Errorf("demo: %w (the database holds part of the demo; delete it to start again)", err)
	}
	if opts.Static != nil {
		for _, c := range g.courses {
			if c.empty {
				continue
			}
			for _, f := range staticFiles(c.code, c.name, opts.StaticFiles) {
				if err := opts.Static(ctx, c.id, f.path, f.content); err != nil {
					return partial(fmt.Errorf("store static file %s: %w", f.path, err))
				}
				g.sum.StaticFiles++
			}
		}
	}
	// One goroutine generates the next assignment's rows while this one
	// inserts the current one: generating is a tenth of the work, and SQLite
	// has one writer anyway. The generator alone draws from g.r, in order,
	// so the rows stay the same for a seed.
	genCtx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan batch, 2)
	go func() {
		defer close(batches)
		for _, c := range g.courses {
			for ai := range c.assignments {
				select {
				case batches <- g.work(c, &c.assignments[ai]):
				case <-genCtx.Done():
					return
				}
			}
		}
	}()
	for b := range batches {
		var w Summary
		err := d.InTx(ctx, func(tx *db.Queries) error {
			var err error
			w, err = insert(ctx, tx, b)
			return err
		})
		if err != nil {
			return partial(err)
		}
		g.sum.add(w)
	}
	if err := ctx.Err(); err != nil {
		return partial(err)
	}
	g.sum.Elapsed = time.Since(start)
	return g.sum, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
