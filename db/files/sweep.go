package files

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"coursevault/db"
)

// sweepGrace is how old a temp file or row-less bytes must be before Sweep
// removes them: files this process is writing are tracked in memory, and the
// grace covers another process (the CLI) writing to the same directory.
// File times come from the disk, so they are compared with the real clock,
// not the injected one.
const sweepGrace = time.Minute

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

// Sweep tidies the attachment directory at start-up. It removes orphaned
// temp files and bytes that no row names (both older than a minute and not
// in use by this process), and marks rows whose bytes are gone as missing
// (clearing the mark where bytes came back), logging each. It returns how
// many files it removed and every file now missing.
func (s *Service) Sweep(ctx context.Context) (removed int, missing []File, err error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, nil, fmt.Errorf("files: sweep: %w", err)
	}
	old := time.Now().Add(-sweepGrace)
	onDisk := map[string]bool{}
	var orphans []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case !e.Type().IsRegular():
		case strings.HasPrefix(name, tempPrefix):
			orphans = append(orphans, name)
		case ValidToken(name):
			onDisk[name] = true
		default:
			s.log.Warn("files: sweep: unexpected file in the attachment directory, left alone", "name", name)
		}
	}

	var flip []File // rows whose missing flag must change
	err = s.d.EachFile(ctx, func(r db.FileRow) error {
		f := fromRow(r)
		present := onDisk[f.Token]
		delete(onDisk, f.Token)
		if !present {
			// The bytes may have been renamed in after ReadDir.
			_, serr := os.Stat(s.path(f.Token))
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
		return 0, nil, fmt.Errorf("files: sweep: %w", err)
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
			return 0, nil, fmt.Errorf("files: sweep: %w", err)
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

	// Bytes with no row: a store that crashed between rename and commit, or a
	// delete whose removal failed.
	for token := range onDisk {
		orphans = append(orphans, token)
	}
	for _, name := range orphans {
		p := filepath.Join(s.dir, name)
		if s.isLive(p) {
			continue
		}
		st, err := os.Lstat(p)
		if err != nil {
			continue
		}
		switch tempOwner(name) {
		case ownerDead:
			// A killed process's partial file: remove it now, whatever its age,
			// so a quick restart does not keep a partial archive for hours.
		case ownerAlive:
			continue // another running process (e.g. a CLI import) is writing it
		default:
			if st.ModTime().After(old) {
				continue
			}
		}
		if ValidToken(name) {
			// Re-check: a store from another process may have committed since.
			if _, err := s.d.FileByToken(ctx, name); !errors.Is(err, db.ErrNotFound) {
				continue
			}
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("files: sweep: could not remove orphan", "name", name, "err", err)
			continue
		}
		s.log.Info("files: sweep: removed orphan", "name", name)
		removed++
	}
	return removed, missing, nil
}

// Who holds a temp file, from the pid in its name (.tmp-<pid>-...).
const (
	ownerUnknown = iota // not a temp, or a name without a pid
	ownerDead
	ownerAlive // a running process other than this one
)

// tempOwner tells from a temp file's name whether the process that made it
// still runs. This process's own temps are judged by isLive instead (a temp
// of ours that is not live was abandoned and counts as dead).
func tempOwner(name string) int {
	rest, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		return ownerUnknown
	}
	num, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(num)
	if !ok || err != nil || pid <= 0 {
		return ownerUnknown
	}
	if pid == os.Getpid() {
		return ownerDead
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return ownerDead
	}
	return ownerAlive
}
