package db

import (
	"context"
	"fmt"
)

// The restore (package jobs/restore) stores a course's static file bytes
// before the one transaction that writes the course's rows, because storing
// bytes takes the writer connection itself. Those files are first owned by a
// placeholder owner with an expiry, so a killed import leaves nothing that
// outlives the janitor; ClaimImportedFile hands one to its new course inside
// the restore's transaction.

// ClaimImportedFile makes a file stored by an import, still owned by
// (pendingOwnerType, any id), the course's own: owner course courseID and
// pinned (no expiry). A file that is not pending any more (expired and deleted
// by the janitor meanwhile, or claimed twice) is ErrNotFound.
func (q *Queries) ClaimImportedFile(ctx context.Context, fileID int64, pendingOwnerType string, courseID int64) error {
	res, err := q.q.ExecContext(ctx, `
		UPDATE files SET owner_type = 'course', owner_id = ?, expires_at = NULL
		 WHERE id = ? AND owner_type = ?`, courseID, fileID, pendingOwnerType)
	if err != nil {
		return fmt.Errorf("db: claim imported file %d for course %d: %w", fileID, courseID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("db: claim imported file %d for course %d: %w", fileID, courseID, err)
	}
	if n != 1 {
		return fmt.Errorf("db: claim imported file %d: %w", fileID, ErrNotFound)
	}
	return nil
}
