package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	"coursevault/db"
)

// AddStatic stores r's bytes as the course's static material at p (e.g.
// "lectures/week1.pdf"): pinned, in category CourseStatic, with its
// static_files row inserted in the same transaction. Material already at p is
// replaced.
func (s *Service) AddStatic(ctx context.Context, courseID int64, p string, r io.Reader) (File, error) {
	clean, err := CleanStaticPath(p)
	if err != nil {
		return File{}, err
	}
	var replaced *File
	in := Input{
		Owner: Course(courseID), Category: CourseStatic, Filename: path.Base(clean), Pinned: true,
		Link: func(tx *db.Queries, f File) error {
			old, err := tx.StaticFileByPath(ctx, courseID, clean)
			switch {
			case errors.Is(err, db.ErrNotFound):
			case err != nil:
				return err
			default:
				if err := tx.DeleteStaticFilesOfFile(ctx, old.File.ID); err != nil {
					return err
				}
				if err := tx.DeleteFile(ctx, old.File.ID); err != nil {
					return err
				}
				of := fromRow(old.File)
				replaced = &of
			}
			_, err = tx.InsertStaticFile(ctx, courseID, clean, f.ID, f.CreatedAt)
			return err
		},
	}
	f, err := s.Store(ctx, in, r)
	if err != nil {
		return File{}, fmt.Errorf("files: add static %s: %w", clean, err)
	}
	if replaced != nil {
		s.removeBytes(*replaced)
	}
	return f, nil
}
