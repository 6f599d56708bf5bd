package db

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// A course archive takes minutes for a large course. Read in one transaction
// (ReadTx), it pins one WAL snapshot all that time: SQLite cannot checkpoint
// past it, and the WAL file grows with every write anyone makes meanwhile
// (sign-ins, job heartbeats, other courses' imports).
//
// CourseReader reads the same rows in short read transactions instead, and
// keeps the archive one consistent state of the course with the course's
// data_version: every write to a course's data moves it (the triggers of
// migrations 0001, 0007 and 0017; "Up to date" relies on the same rule), and
// each transaction reads data_version first, in the same snapshot as the rows
// it then reads. If it still holds the version of the first transaction, the
// course's rows in that snapshot are exactly those of the first one, so every
// chunk sees the same state. If it moved, the reader stops with
// ErrCourseChanged and the caller starts again (jobs/exports falls back to
// one long transaction after a retry). Writes that are not the course's data
// (sessions, jobs, exports, other courses) do not move the version and do not
// disturb the reader.

// ErrCourseChanged is returned by a CourseReader when the course's data moved
// since its first read: what it read so far mixes two states.
var ErrCourseChanged = errors.New("the course changed while it was being read")

// DefaultChunk is how long a CourseReader holds one read transaction.
const DefaultChunk = 250 * time.Millisecond

// CourseReader reads one course's archive rows in read transactions of about
// chunk each, all at one data version (see above). It has the read methods
// of Queries that an archive uses; it is not safe for concurrent use.
type CourseReader struct {
	d        *DB
	courseID int64
	chunk    time.Duration
	version  int64 // 0 until the first read
	reads    int   // transactions so far (tests)

	checkpointed time.Time // the last checkpoint between two chunks
}

// checkpointEvery is how often a CourseReader checkpoints between chunks.
// SQLite checkpoints by itself as the WAL grows, but at a commit, when the
// reader's current chunk usually still holds an older snapshot: the WAL is
// then never copied in whole and never starts over. Between two chunks the
// reader holds none, so a checkpoint there can copy it all and the next
// write starts the WAL from the beginning again.
const checkpointEvery = time.Second

// CourseReader returns a reader of courseID's archive rows whose read
// transactions last about chunk (DefaultChunk when 0).
func (d *DB) CourseReader(courseID int64, chunk time.Duration) *CourseReader {
	if chunk <= 0 {
		chunk = DefaultChunk
	}
	return &CourseReader{d: d, courseID: courseID, chunk: chunk}
}

// Version is the data version every read so far saw (0 before the first).
func (r *CourseReader) Version() int64 { return r.version }

// Reads is how many read transactions the reader has used.
func (r *CourseReader) Reads() int { return r.reads }

// read runs fn in a new read transaction whose snapshot holds the reader's
// data version (the first read sets it).
func (r *CourseReader) read(ctx context.Context, fn func(tx *Queries) error) error {
	r.reads++
	return r.d.ReadTx(ctx, func(tx *Queries) error {
		var v int64
		// The first statement of the transaction: the snapshot starts here.
		err := tx.q.QueryRowContext(ctx, `SELECT data_version FROM courses WHERE id = ? AND restoring_by IS NULL`, r.courseID).Scan(&v)
		if err != nil {
			return notFound(err, fmt.Sprintf("course %d", r.courseID))
		}
		if r.version == 0 {
			r.version = v
		} else if v != r.version {
			return fmt.Errorf("db: read course %d at version %d, now %d: %w", r.courseID, r.version, v, ErrCourseChanged)
		}
		return fn(tx)
	})
}

// CourseByID reads the course; the id must be the reader's.
func (r *CourseReader) CourseByID(ctx context.Context, id int64) (c Course, err error) {
	if id != r.courseID {
		return Course{}, fmt.Errorf("db: course reader of %d asked for course %d", r.courseID, id)
	}
	err = r.read(ctx, func(tx *Queries) error { c, err = tx.CourseByID(ctx, id); return err })
	return c, err
}

// CountArchiveRows is Queries.CountArchiveRows at the reader's version.
func (r *CourseReader) CountArchiveRows(ctx context.Context, courseID int64) (c ArchiveCounts, err error) {
	err = r.read(ctx, func(tx *Queries) error { c, err = tx.CountArchiveRows(ctx, courseID); return err })
	return c, err
}

// ListStaticFiles is Queries.ListStaticFiles at the reader's version.
func (r *CourseReader) ListStaticFiles(ctx context.Context, courseID int64) (s []StaticFile, err error) {
	err = r.read(ctx, func(tx *Queries) error { s, err = tx.ListStaticFiles(ctx, courseID); return err })
	return s, err
}

// The small tables (a few thousand rows at most) are read in one transaction each.

// EachPeriod is Queries.EachPeriod at the reader's version.
func (r *CourseReader) EachPeriod(ctx context.Context, courseID int64, fn func(Period) error) error {
	return r.read(ctx, func(tx *Queries) error { return tx.EachPeriod(ctx, courseID, fn) })
}

// EachMember is Queries.EachMember at the reader's version.
func (r *CourseReader) EachMember(ctx context.Context, courseID int64, fn func(MemberRow) error) error {
	return r.read(ctx, func(tx *Queries) error { return tx.EachMember(ctx, courseID, fn) })
}

// EachAssignment is Queries.EachAssignment at the reader's version.
func (r *CourseReader) EachAssignment(ctx context.Context, courseID int64, fn func(Assignment) error) error {
	return r.read(ctx, func(tx *Queries) error { return tx.EachAssignment(ctx, courseID, fn) })
}

// The big tables are read in chunks, each resuming after the key of the last
// row the one before delivered.

// EachSubmission is Queries.EachSubmission in chunks at the reader's version.
func (r *CourseReader) EachSubmission(ctx context.Context, courseID int64, fn func(Submission) error) error {
	return r.chunked(ctx, func(tx *Queries, after archiveKey, next func(archiveKey) error) error {
		return tx.eachSubmission(ctx, courseID, after, fn, next)
	})
}

// EachBuildResult is Queries.EachBuildResult in chunks at the reader's version.
func (r *CourseReader) EachBuildResult(ctx context.Context, courseID int64, withStdout bool, fn func(BuildResultRow) error) error {
	return r.chunked(ctx, func(tx *Queries, after archiveKey, next func(archiveKey) error) error {
		return tx.eachBuildResult(ctx, courseID, withStdout, after, fn, next)
	})
}

// EachTestResult is Queries.EachTestResult in chunks at the reader's version.
func (r *CourseReader) EachTestResult(ctx context.Context, courseID int64, withStdout bool, fn func(TestResultRow) error) error {
	return r.chunked(ctx, func(tx *Queries, after archiveKey, next func(archiveKey) error) error {
		return tx.eachTestResult(ctx, courseID, withStdout, after, fn, next)
	})
}

// EachScore is Queries.EachScore in chunks at the reader's version.
func (r *CourseReader) EachScore(ctx context.Context, courseID int64, fn func(Score) error) error {
	return r.chunked(ctx, func(tx *Queries, after archiveKey, next func(archiveKey) error) error {
		return tx.eachScore(ctx, courseID, after, fn, next)
	})
}

// errChunkFull ends one chunk's query; the next chunk resumes after its key.
var errChunkFull = errors.New("chunk full")

// chunked runs stream in read transactions of about r.chunk until it ends.
// stream calls next with each delivered row's key; next stops the
// transaction once the chunk's time is up.
func (r *CourseReader) chunked(ctx context.Context, stream func(tx *Queries, after archiveKey, next func(archiveKey) error) error) error {
	after := firstKey
	for {
		if time.Since(r.checkpointed) >= checkpointEvery {
			if err := r.d.Checkpoint(ctx); err != nil {
				return err
			}
			r.checkpointed = time.Now()
		}
		full := false
		err := r.read(ctx, func(tx *Queries) error {
			deadline := time.Now().Add(r.chunk)
			return stream(tx, after, func(k archiveKey) error {
				after = k
				if time.Now().After(deadline) {
					full = true
					return errChunkFull
				}
				return nil
			})
		})
		if full && errors.Is(err, errChunkFull) {
			continue
		}
		return err
	}
}

// archiveKey is a row's place in an archive table's order: its assignment's
// position and id, the student, the submission, and the row's own id where
// a submission has several (test results). Unused parts stay 0.
type archiveKey struct {
	Position, AssignmentID, UserID, SubmissionID, ID int64
}

// firstKey sorts before every row.
var firstKey = archiveKey{math.MinInt64, math.MinInt64, math.MinInt64, math.MinInt64, math.MinInt64}
