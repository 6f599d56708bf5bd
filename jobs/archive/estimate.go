package archive

import (
	"context"
	"fmt"
	"sync"
	"time"

	"coursevault/db"
	"coursevault/db/files"
)

// SizeEstimate is what the Exports tab tells an admin before they choose
// options: how much stdout would add and what the static files weigh.
type SizeEstimate struct {
	Outputs     int64 // build and test results that have stdout
	StdoutBytes int64 // their stdout, before compression and JSON escaping
	StaticFiles int
	StaticBytes int64
}

// Estimate sums a course's stdout sizes and static files. It reads sizes from
// SQLite record headers without decoding the text, but still visits every
// result's page: about 0.4 s for 150,000 results (BenchmarkEstimate), so pages
// should go through an Estimator.
func Estimate(ctx context.Context, q *db.Queries, courseID int64) (SizeEstimate, error) {
	var e SizeEstimate
	var err error
	if e.Outputs, e.StdoutBytes, err = q.StdoutTotals(ctx, courseID); err != nil {
		return SizeEstimate{}, fmt.Errorf("archive: estimate: %w", err)
	}
	if e.StaticFiles, e.StaticBytes, err = q.StaticFilesSummary(ctx, courseID); err != nil {
		return SizeEstimate{}, fmt.Errorf("archive: estimate: %w", err)
	}
	return e, nil
}

// StdoutNote is the tooltip's sentence: "adds about 1.4 GB before
// compression, 380,000 outputs".
func (e SizeEstimate) StdoutNote() string {
	if e.Outputs == 0 {
		return "adds nothing: this course has no build or test output"
	}
	return fmt.Sprintf("adds about %s before compression, %s outputs", files.FormatSize(e.StdoutBytes), thousands(e.Outputs))
}

// StaticNote is "12 files, 40 MB".
func (e SizeEstimate) StaticNote() string {
	if e.StaticFiles == 1 {
		return "1 file, " + files.FormatSize(e.StaticBytes)
	}
	return fmt.Sprintf("%s files, %s", thousands(int64(e.StaticFiles)), files.FormatSize(e.StaticBytes))
}

// Estimator remembers each course's estimate while the course's data version
// stays the same, for at most MaxAge (build and test results can arrive
// without moving the data version). The Exports tab then pays the scan once a
// minute at most instead of on every load and poll.
type Estimator struct {
	MaxAge time.Duration    // 0: one minute
	Now    func() time.Time // nil: time.Now

	mu       sync.Mutex
	byCourse map[int64]cachedEstimate
}

type cachedEstimate struct {
	version int64
	at      time.Time
	e       SizeEstimate
}

// Estimate returns the course's estimate, from memory when still fresh.
func (c *Estimator) Estimate(ctx context.Context, q *db.Queries, courseID int64) (SizeEstimate, error) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	maxAge := c.MaxAge
	if maxAge == 0 {
		maxAge = time.Minute
	}
	course, err := q.CourseByID(ctx, courseID)
	if err != nil {
		return SizeEstimate{}, fmt.Errorf("archive: estimate: %w", err)
	}
	c.mu.Lock()
	hit, ok := c.byCourse[courseID]
	c.mu.Unlock()
	if ok && hit.version == course.DataVersion && now.Sub(hit.at) < maxAge {
		return hit.e, nil
	}
	e, err := Estimate(ctx, q, courseID)
	if err != nil {
		return SizeEstimate{}, err
	}
	c.mu.Lock()
	if c.byCourse == nil {
		c.byCourse = map[int64]cachedEstimate{}
	}
	c.byCourse[courseID] = cachedEstimate{version: course.DataVersion, at: now, e: e}
	c.mu.Unlock()
	return e, nil
}
