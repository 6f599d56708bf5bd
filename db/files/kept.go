package files

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Kept uploads: a file a person uploads to see a preview, kept so that the
// apply that follows uses exactly the bytes previewed. A kept file is owned
// by its purpose (Purpose* below, id: the course), outside the course's
// quota (small, gone within KeptTTL), never downloadable, and only the
// person who uploaded it may take it back, for the same purpose and course.

// Purposes of kept uploads: the owner type of their files.
const (
	PurposeRoster    = "roster"
	PurposeGradebook = "gradebook"
)

// KeptTTL is how long an upload waits between its preview and its apply.
const KeptTTL = time.Hour

// Keep stores r as an upload for purpose in course, by user.
func (s *Service) Keep(ctx context.Context, purpose string, courseID, userID int64, filename string, r io.Reader) (File, error) {
	return s.Store(ctx, Input{Owner: Owner{Type: purpose, ID: courseID}, Category: KeptUpload,
		Filename: filename, ContentType: "text/csv", CreatedBy: userID, TTL: KeptTTL}, r)
}

// Kept finds the upload token kept for purpose in course by user; any
// other file, or an expired one, is ErrNotFound.
func (s *Service) Kept(ctx context.Context, token, purpose string, courseID, userID int64, now time.Time) (File, error) {
	f, err := s.Get(ctx, token)
	if err != nil {
		return File{}, err
	}
	if f.Category != KeptUpload || f.Owner != (Owner{Type: purpose, ID: courseID}) || f.CreatedBy != userID || f.Expired(now) {
		return File{}, fmt.Errorf("files: kept %s upload: %w", purpose, ErrNotFound)
	}
	return f, nil
}
