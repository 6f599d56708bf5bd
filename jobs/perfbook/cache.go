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
// about 0.3 s of CPU to load; with the cache, paging, sorting and the
// period filter pay a course-row read instead. Books it returns are shared:
// callers must not modify them (Window and ForPeriod do not).
type Cache struct {
	Size int // books kept; 0: 4

	mu    sync.Mutex
	books []Book // the most recently used last
}

// Load returns the course's book, from memory when its data version is the
// one in the database. The version check and the read of a book not in
// memory share one read transaction: the book is one state of the course,
// the state of the version it is kept under.
func (c *Cache) Load(ctx context.Context, d *db.DB, courseID int64) (Book, error) {
	var b Book
	var hit bool
	err := d.ReadTx(ctx, func(tx *db.Queries) error {
		course, err := tx.CourseByID(ctx, courseID)
		if err != nil {
			return fmt.Errorf("perfbook: load: %w", err)
		}
		if b, hit = c.lookup(course); hit {
			return nil
		}
		b, err = Load(ctx, tx, courseID)
		return err
	})
	if err != nil || hit {
		return b, err
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

// lookup returns the book of course at its data version, if kept.
func (c *Cache) lookup(course db.Course) (Book, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, b := range c.books {
		if b.Course.ID == course.ID && b.Course.DataVersion == course.DataVersion {
			c.books = append(slices.Delete(c.books, i, i+1), b)
			return b, true
		}
	}
	return Book{}, false
}
