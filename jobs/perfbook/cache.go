package perfbook

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"coursevault/db"
)

// Cache keeps the books of the courses read last, each as long as its
// course's data version stays the same: every write the book shows (scores,
// members, periods, assignments, names) moves it. A 5,000 × 100 book takes
// about a second of CPU to load; with the cache, paging, sorting and the
// period filter pay a course-row read instead. Books it returns are shared:
// callers must not modify them (Window and ForPeriod do not).
type Cache struct {
	Size int // books kept; 0: 4

	mu    sync.Mutex
	books []Book // the most recently used last
}

// Load returns the course's book, from memory when its data version is the
// one in the database.
func (c *Cache) Load(ctx context.Context, q *db.Queries, courseID int64) (Book, error) {
	course, err := q.CourseByID(ctx, courseID)
	if err != nil {
		return Book{}, fmt.Errorf("perfbook: load: %w", err)
	}
	c.mu.Lock()
	for i, b := range c.books {
		if b.Course.ID == courseID && b.Course.DataVersion == course.DataVersion {
			c.books = append(slices.Delete(c.books, i, i+1), b)
			c.mu.Unlock()
			return b, nil
		}
	}
	c.mu.Unlock()
	// Load reads the course row again before the scores: a write during the
	// load leaves an older version with the book, never a newer one.
	b, err := Load(ctx, q, courseID)
	if err != nil {
		return Book{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.books = slices.DeleteFunc(c.books, func(old Book) bool { return old.Course.ID == courseID })
	c.books = append(c.books, b)
	size := c.Size
	if size <= 0 {
		size = 4
	}
	if len(c.books) > size {
		c.books = slices.Delete(c.books, 0, len(c.books)-size)
	}
	return b, nil
}
