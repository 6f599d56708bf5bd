package files

import (
	"context"
	"errors"
	"fmt"
	"time"

	"coursevault/db"
)

// expireBatch is how many expired files ExpireDue reads per query.
const expireBatch = 200

// ExpireDue deletes the files whose expiry has passed (row, then bytes) and
// returns them, so the janitor can record what went. Options.Unlink runs in
// each deletion's transaction. Pinned files never expire.
func (s *Service) ExpireDue(ctx context.Context) ([]File, error) {
	now := s.clock.Now().UTC()
	var gone []File
	for {
		rows, err := s.d.ExpiredFiles(ctx, now, expireBatch)
		if err != nil {
			return gone, fmt.Errorf("files: expire: %w", err)
		}
		for _, r := range rows {
			f := fromRow(r)
			err := s.d.InTx(ctx, func(tx *db.Queries) error { return s.deleteRow(ctx, tx, f) })
			if errors.Is(err, db.ErrNotFound) {
				continue // deleted meanwhile by someone else
			}
			if err != nil {
				// Stop rather than loop: the same row would come back first.
				return gone, fmt.Errorf("files: expire %s (id %d): %w", f.Filename, f.ID, err)
			}
			s.removeBytes(f)
			s.log.Info("files: expired", "file_id", f.ID, "filename", f.Filename, "owner", f.Owner.Type, "owner_id", f.Owner.ID)
			gone = append(gone, f)
		}
		if len(rows) < expireBatch {
			return gone, nil
		}
	}
}

// Sweep tidies the store, at start-up and hourly. It removes partial
// writes abandoned by a dead process or older than the grace (temp files,
// incomplete multipart uploads) and bytes that no row names (older than the
// grace and not being written by this process), and marks rows whose bytes
// are gone as missing (clearing the mark where bytes came back), logging
// each. It returns how many leftovers it removed and every file now missing.
func (s *Service) Sweep(ctx context.Context) (removed int, missing []File, err error) {
	removed, err = s.blobs.Tidy(ctx, s.grace, s.isLive)
	if err != nil {
		return removed, nil, fmt.Errorf("files: sweep %s: %w", s.blobs, err)
	}
	stored := map[string]Object{}
	err = s.blobs.List(ctx, func(o Object) error {
		stored[o.Key] = o
		return nil
	})
	if err != nil {
		return removed, nil, fmt.Errorf("files: sweep %s: %w", s.blobs, err)
	}

	var flip []File // rows whose missing flag must change
	err = s.d.EachFile(ctx, func(r db.FileRow) error {
		f := fromRow(r)
		_, present := stored[f.Token]
		delete(stored, f.Token)
		if !present {
			// The bytes may have been stored after the listing.
			_, serr := s.blobs.Stat(ctx, f.Token)
			if serr != nil && !isNotExist(serr) {
				return serr
			}
			present = serr == nil
		}
		if present == f.Missing {
			f.Missing = !present
			flip = append(flip, f)
		}
		if f.Missing {
			missing = append(missing, f)
		}
		return nil
	})
	if err != nil {
		return removed, nil, fmt.Errorf("files: sweep: %w", err)
	}
	if len(flip) > 0 {
		err := s.d.InTx(ctx, func(tx *db.Queries) error {
			for _, f := range flip {
				if err := tx.SetFileMissing(ctx, f.ID, f.Missing); err != nil && !errors.Is(err, db.ErrNotFound) {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return removed, nil, fmt.Errorf("files: sweep: %w", err)
		}
	}
	for _, f := range missing {
		s.log.Warn("files: bytes missing; the file is marked missing", "file_id", f.ID, "token", f.Token,
			"filename", f.Filename, "owner", f.Owner.Type, "owner_id", f.Owner.ID)
	}
	for _, f := range flip {
		if !f.Missing {
			s.log.Info("files: bytes found again", "file_id", f.ID, "filename", f.Filename)
		}
	}

	// Bytes with no row: a store that crashed between upload and commit, or
	// a delete whose removal failed. Times come from the store, so they are
	// compared with the real clock, not the injected one.
	old := time.Now().Add(-s.grace)
	for token, o := range stored {
		if s.isLive(token) || o.ModTime.After(old) {
			continue
		}
		// Re-check: a store from another process may have committed since.
		if _, err := s.d.FileByToken(ctx, token); !errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err := s.blobs.Delete(ctx, token); err != nil {
			s.log.Warn("files: sweep: could not remove orphan", "name", token, "err", err)
			continue
		}
		s.log.Info("files: sweep: removed bytes without a row", "name", token)
		removed++
	}
	return removed, missing, nil
}

// Missing returns the files whose bytes the store does not have (or has
// with another size), without changing anything: `coursevault files check`.
func (s *Service) Missing(ctx context.Context) ([]File, error) {
	var out []File
	err := s.d.EachFile(ctx, func(r db.FileRow) error {
		f := fromRow(r)
		size, err := s.blobs.Stat(ctx, f.Token)
		switch {
		case isNotExist(err):
			out = append(out, f)
		case err != nil:
			return err
		case size != f.Size:
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("files: check %s: %w", s.blobs, err)
	}
	return out, nil
}
