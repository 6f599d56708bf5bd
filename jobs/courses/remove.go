package courses

import (
	"context"
	"errors"
	"fmt"

	"coursevault/db"
	"coursevault/db/files"
)

// Removed is what a removal took away.
type Removed struct {
	Code    string
	Name    string
	Members int64
	Bytes   int64 // of the course's files: archives, workbooks, static files
}

// Remove takes a course away with everything it owns. The first transaction
// hides it (like a course an import is writing: every page, API and job
// treats it as gone from then on), asks its running exports to stop and
// writes the audit event. Then its rows go an assignment per transaction
// and its files through the file store, so the single writer is never held
// for long; the course row goes last. If the process dies on the way, the
// course stays hidden and FinishRemovals (the janitor, and every start)
// completes the job: nothing is left half deleted for anyone to see.
func (s *Service) Remove(ctx context.Context, id int64, by Actor) (Removed, error) {
	var r Removed
	err := s.d.InTx(ctx, func(tx *db.Queries) error {
		o, err := tx.CourseOverviewByID(ctx, id)
		if err != nil {
			return err
		}
		r = Removed{Code: o.Code, Name: o.Name, Members: o.Members, Bytes: o.DataBytes}
		if err := tx.HideCourseForRemoval(ctx, id); err != nil {
			return err
		}
		jobIDs, err := tx.ActiveExportJobs(ctx, id)
		if err != nil {
			return err
		}
		for _, j := range jobIDs {
			if _, err := tx.RequestJobCancel(ctx, j, s.now()); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, by, "course.remove", id, o.Code, fmt.Sprintf("%s, %s; %d members, %s of files",
			o.Name, or(o.Term, "no term"), o.Members, files.FormatSize(o.DataBytes)))
	})
	if err != nil {
		return Removed{}, fmt.Errorf("courses: remove course %d: %w", id, err)
	}
	// Hidden and audited: finish even if the caller goes away.
	if err := s.finish(context.WithoutCancel(ctx), id); err != nil {
		return r, fmt.Errorf("courses: remove course %d (hidden; the janitor finishes it): %w", id, err)
	}
	return r, nil
}

// FinishRemovals completes the removals a stopped process left (courses
// hidden for removal). The janitor runs it, and serve once at start.
func (s *Service) FinishRemovals(ctx context.Context) error {
	ids, err := s.d.CoursesBeingRemoved(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.finish(ctx, id); err != nil {
			return fmt.Errorf("courses: finish removing course %d: %w", id, err)
		}
	}
	return nil
}

// finish deletes a hidden course's assignments (each with its submissions,
// results and scores) one transaction each, then its files, then the rest.
// An export that was finishing when the course was hidden may still store a
// file: the course row then refuses to go (DeleteRemovedCourse) and the
// files are deleted again. Once the row is gone no export can finish (its
// export row went with the course), and the course id cannot be reused
// while files still name it as their owner.
func (s *Service) finish(ctx context.Context, id int64) error {
	for try := 0; try < 5; try++ {
		assignments, err := s.d.RestoreAssignments(ctx, id)
		if err != nil {
			return err
		}
		for _, a := range assignments {
			if err := s.d.InTx(ctx, func(tx *db.Queries) error { return tx.DeleteRestoreAssignment(ctx, id, a) }); err != nil {
				return err
			}
		}
		owned, err := s.files.Owned(ctx, files.Course(id))
		if err != nil {
			return err
		}
		for _, f := range owned {
			if err := s.files.Delete(ctx, f); err != nil && !errors.Is(err, files.ErrNotFound) {
				return err
			}
		}
		var gone bool
		if err := s.d.InTx(ctx, func(tx *db.Queries) error {
			gone, err = tx.DeleteRemovedCourse(ctx, id)
			return err
		}); err != nil {
			return err
		}
		if gone {
			return nil
		}
	}
	return errors.New("files keep appearing in the course; the janitor tries again later")
}
