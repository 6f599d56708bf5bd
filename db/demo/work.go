package demo

import (
	"context"
	"encoding/hex"
	"math"
	"time"

	"coursevault/db"
)

var buildTails = []string{
	ansiGreen + "Build succeeded" + ansiReset + " in 1.42s\n",
	ansiGreen + "✓ build ok" + ansiReset + " (0 errors, 2 warnings)\n",
	"Finished `release` profile [optimized] target(s) in 3.07s\n",
}

var errorTails = []string{
	ansiRed + "Build failed" + ansiReset + ": 2 errors generated.\n",
	ansiRed + "✗ compilation terminated." + ansiReset + "\n",
}

var failMessages = []string{
	"expected 42, got 41",
	"timeout after 2s",
	"panic: runtime error: index out of range [3] with length 3",
	"AssertionError: 'naïve' != 'naive'",
	"output differs at line 3: “café” vs \"cafe\"",
	"segmentation fault (core dumped)",
}

// batch is one assignment's generated rows: its scores and submissions, each
// submission with its build result (nil before the build) and test results.
// Ids are filled in as the rows are inserted.
type batch struct {
	scores      []db.Score
	submissions []submissionRows
}

type submissionRows struct {
	db.Submission
	build *db.BuildResult
	tests []db.TestResult
}

// work decides one assignment's scores and submissions for every student of
// the course. It only computes; insert writes.
func (g *generator) work(c *courseSpec, a *assignmentSpec) batch {
	var out batch
	now := g.opts.Now
	opens, due := g.window(a)
	if opens.After(now) {
		// Future work has no score rows at all: the other kind of gap,
		// beside not_started rows with a NULL fraction.
		return out
	}
	for _, st := range c.students {
		s := g.score(a, st, opens, due)
		out.scores = append(out.scores, s)
		if s.Status == db.ScoreNotStarted {
			continue
		}
		last := now.Add(-time.Duration(1+g.r.IntN(48)) * time.Hour)
		if s.SubmittedAt != nil {
			last = *s.SubmittedAt
		}
		if last.Before(opens) {
			last = opens.Add(time.Hour)
		}
		n := g.opts.SubmissionsPerStudent
		for j := range n {
			at := opens.Add(last.Sub(opens) * time.Duration(j+1) / time.Duration(n)).Truncate(time.Second)
			out.submissions = append(out.submissions, g.submission(a, st, s, at, j == n-1, float64(j+1)/float64(n)))
		}
	}
	return out
}

// submission makes one attempt at a, made at time at; progress (0..1]
// says how far through the student's attempts it is. The final attempt of
// completed work passes as many tests as the score says.
func (g *generator) submission(a *assignmentSpec, st *studentSpec, s db.Score, at time.Time, final bool, progress float64) submissionRows {
	sub := submissionRows{Submission: db.Submission{AssignmentID: a.ID, UserID: st.userID, CommitSHA: g.sha(), CreatedAt: at,
		UpdatedAt: at.Add(time.Duration(20+g.r.IntN(180)) * time.Second)}}
	passing := int(math.Round(st.ability * float64(len(a.tests)) * (0.5 + 0.5*progress)))
	switch x := g.r.IntN(100); {
	case final && s.Status == db.ScoreCompleted:
		passing = int(math.Round(*s.Fraction * float64(len(a.tests))))
		sub.State = db.SubmissionFailed
	case final && x < 5:
		sub.State = db.SubmissionQueued
	case final && x < 10:
		sub.State = db.SubmissionBuilding
	case final && x < 15:
		sub.State = db.SubmissionTesting
	case x < 10:
		sub.State = db.SubmissionError
	default:
		sub.State = db.SubmissionFailed
	}
	passing = min(passing, len(a.tests))
	if sub.State == db.SubmissionFailed && passing == len(a.tests) {
		sub.State = db.SubmissionPassed
	}
	if sub.State == db.SubmissionQueued || sub.State == db.SubmissionBuilding {
		return sub // not built yet
	}
	buildSize := g.opts.StdoutBytes / 2
	b := &db.BuildResult{Passed: sub.State != db.SubmissionError, CreatedAt: at.Add(15 * time.Second)}
	if b.Passed {
		b.Stdout = output(g.r, buildSize, a.buildHead, buildLines, buildTails[g.r.IntN(len(buildTails))])
	} else {
		b.Stdout = output(g.r, buildSize, a.buildHead, errorLines, errorTails[g.r.IntN(len(errorTails))])
	}
	sub.build = b
	if sub.State != db.SubmissionPassed && sub.State != db.SubmissionFailed {
		return sub // a failed build runs no tests; "testing" has not finished
	}
	testSize := (g.opts.StdoutBytes - buildSize) / len(a.tests)
	sub.tests = make([]db.TestResult, len(a.tests))
	for ti, name := range a.tests {
		t := db.TestResult{Name: name, Passed: ti < passing, CreatedAt: b.CreatedAt.Add(time.Duration(ti+1) * time.Second)}
		t.Stdout = output(g.r, testSize, a.testHeads[ti], testLines, "")
		if !t.Passed {
			t.Message = failMessages[g.r.IntN(len(failMessages))]
		}
		sub.tests[ti] = t
	}
	return sub
}

// insert writes one assignment's rows with statements prepared once.
func insert(ctx context.Context, tx *db.Queries, b batch) (Summary, error) {
	var sum Summary
	if len(b.scores) == 0 {
		return sum, nil
	}
	scores, err := tx.PrepareInsertScore(ctx)
	if err != nil {
		return sum, err
	}
	defer scores.Close()
	subs, err := tx.PrepareInsertSubmission(ctx)
	if err != nil {
		return sum, err
	}
	defer subs.Close()
	builds, err := tx.PrepareInsertBuildResult(ctx)
	if err != nil {
		return sum, err
	}
	defer builds.Close()
	tests, err := tx.PrepareInsertTestResult(ctx)
	if err != nil {
		return sum, err
	}
	defer tests.Close()

	for _, s := range b.scores {
		if _, err := scores.Exec(ctx, s); err != nil {
			return sum, err
		}
		sum.Scores++
	}
	for _, s := range b.submissions {
		id, err := subs.Exec(ctx, s.Submission)
		if err != nil {
			return sum, err
		}
		sum.Submissions++
		if s.build == nil {
			continue
		}
		s.build.SubmissionID = id
		if _, err := builds.Exec(ctx, *s.build); err != nil {
			return sum, err
		}
		sum.BuildResults++
		sum.StdoutBytes += int64(len(s.build.Stdout))
		for _, t := range s.tests {
			t.SubmissionID = id
			if _, err := tests.Exec(ctx, t); err != nil {
				return sum, err
			}
			sum.TestResults++
			sum.StdoutBytes += int64(len(t.Stdout))
		}
	}
	return sum, nil
}

func (s *Summary) add(w Summary) {
	s.Scores += w.Scores
	s.Submissions += w.Submissions
	s.BuildResults += w.BuildResults
	s.TestResults += w.TestResults
	s.StdoutBytes += w.StdoutBytes
}

// window returns when work on a could start and when it was due. An
// assignment without dates counts as open all term and due at Now.
func (g *generator) window(a *assignmentSpec) (opens, due time.Time) {
	due = g.opts.Now
	if a.DueAt != nil {
		due = *a.DueAt
	}
	switch {
	case a.OpensAt != nil:
		opens = *a.OpensAt
	case a.DueAt != nil:
		opens = due.AddDate(0, 0, -7)
	default:
		opens = g.opts.Now.AddDate(0, 0, -7*12)
	}
	return opens, due
}

// score decides a student's cell: past work is mostly completed (some late,
// a few not started or still in progress); open work is a mix.
func (g *generator) score(a *assignmentSpec, st *studentSpec, opens, due time.Time) db.Score {
	now := g.opts.Now
	s := db.Score{AssignmentID: a.ID, UserID: st.userID, Status: db.ScoreCompleted, UpdatedAt: opens}
	past := !due.After(now)
	x := g.r.IntN(100)
	switch {
	case past && x < 6, !past && x < 30:
		s.Status = db.ScoreNotStarted
		return s
	case past && x < 12, !past && x < 70:
		s.Status = db.ScoreInProgress
		f := round2(st.ability * (0.2 + 0.5*g.r.Float64()))
		s.Fraction = &f
		s.UpdatedAt = between(g, opens, now)
		return s
	}
	f := round2(min(1, max(0, st.ability+0.3*(g.r.Float64()-0.5))))
	if g.r.IntN(50) == 0 {
		f = 0 // completed with nothing right: a 0, not a blank
	}
	s.Fraction = &f
	var at time.Time
	if past && now.Sub(due) > 2*time.Hour && g.r.IntN(8) == 0 {
		s.Late = true
		at = between(g, due.Add(time.Hour), earlier(now, due.AddDate(0, 0, 4)))
	} else {
		at = between(g, opens.Add(time.Hour), earlier(now, due))
	}
	s.SubmittedAt = &at
	s.UpdatedAt = at.Add(time.Duration(1+g.r.IntN(600)) * time.Second)
	return s
}

// between returns a time in [a, b] to the second (a when b is before a).
func between(g *generator, a, b time.Time) time.Time {
	d := b.Sub(a)
	if d <= 0 {
		return a
	}
	return a.Add(time.Duration(g.r.Int64N(int64(d)))).Truncate(time.Second)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// sha returns a commit id: 40 hex digits.
func (g *generator) sha() string {
	var b [20]byte
	for i := 0; i < 20; i += 8 {
		v := g.r.Uint64()
		for k := 0; k < 8 && i+k < 20; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	return hex.EncodeToString(b[:])
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
