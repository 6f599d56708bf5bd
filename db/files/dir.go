package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// tempPrefix starts the name of every temp file in the attachment directory,
// so a sweep can tell an orphaned temp from stored bytes (named by token).
const tempPrefix = ".tmp-"

// Dir keeps objects as files in a local directory private to coursevault,
// named by key. A Put writes a temp file (named with the writer's pid),
// fsyncs it, renames it into place and fsyncs the directory, so a name never
// points at bytes that are not on disk, even after a crash.
type Dir struct {
	dir string
	log *slog.Logger

	mu   sync.Mutex
	live map[string]struct{} // temp files this process is writing

	// writeHook wraps the writer of a temp file; tests inject faults with it.
	writeHook func(w io.Writer) io.Writer
}

// NewDir returns the store over dir, created (mode 0700) if missing.
func NewDir(dir string, log *slog.Logger) (*Dir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("files: attachment directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("files: create attachment directory: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Dir{dir: abs, log: log, live: map[string]struct{}{}}, nil
}

// Path is the directory (absolute).
func (d *Dir) Path() string { return d.dir }

func (d *Dir) String() string { return "directory " + d.dir }

func (d *Dir) path(key string) (string, error) {
	if !ValidToken(key) {
		return "", fmt.Errorf("files: key %q is not a token: %w", key, os.ErrNotExist)
	}
	return filepath.Join(d.dir, key), nil
}

// Put writes r to a temp file and renames it to key once durable.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	final, err := d.path(key)
	if err != nil {
		return 0, err
	}
	tmp, err := d.createTemp()
	if err != nil {
		return 0, err
	}
	ok := false
	defer func() {
		if !ok {
			d.discard(tmp)
		}
	}()
	var w io.Writer = tmp
	if d.writeHook != nil {
		w = d.writeHook(w)
	}
	n, err := io.CopyBuffer(w, ContextReader(ctx, r), make([]byte, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	// fsync before rename: after a crash the name must never point at
	// bytes that were not yet on disk.
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("close: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return 0, fmt.Errorf("rename into place: %w", err)
	}
	ok = true
	d.setLive(tmp.Name(), false)
	// fsync the directory so the rename itself survives a crash.
	if err := syncDir(d.dir); err != nil {
		os.Remove(final)
		return 0, fmt.Errorf("sync directory: %w", err)
	}
	return n, nil
}

// createTemp creates a temp file in the directory that Tidy leaves alone
// while this process holds it.
func (d *Dir) createTemp() (*os.File, error) {
	// The pid in the name lets a sweep tell a dead process's temp (remove it
	// at once) from a running one's (leave it, however old).
	tmp, err := os.CreateTemp(d.dir, tempPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("files: create temp file: %w", err)
	}
	d.setLive(tmp.Name(), true)
	return tmp, nil
}

// discard closes and removes a temp file from createTemp.
func (d *Dir) discard(tmp *os.File) {
	tmp.Close()
	if err := os.Remove(tmp.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		d.log.Warn("files: could not remove temp file; the next sweep removes it", "path", tmp.Name(), "err", err)
	}
	d.setLive(tmp.Name(), false)
}

// Open opens the file named key.
func (d *Dir) Open(_ context.Context, key string) (Blob, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Stat returns the size of the file named key.
func (d *Dir) Stat(_ context.Context, key string) (int64, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Delete removes the file named key.
func (d *Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// List lists the files named by a token; other files are logged and left alone.
func (d *Dir) List(ctx context.Context, fn func(Object) error) error {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case !e.Type().IsRegular(), strings.HasPrefix(name, tempPrefix):
		case ValidToken(name):
			info, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			if err := fn(Object{Key: name, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
				return err
			}
		default:
			d.log.Warn("files: sweep: unexpected file in the attachment directory, left alone", "name", name)
		}
	}
	return nil
}

// Tidy removes temp files of dead processes at once (so a quick restart
// does not keep a partial archive for hours), and temps without a pid older
// than grace; a running process's temps stay however old (this process's
// own are known by name, so live is not needed).
func (d *Dir) Tidy(_ context.Context, grace time.Duration, _ func(string) bool) (int, error) {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return 0, err
	}
	old := time.Now().Add(-grace)
	removed := 0
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, tempPrefix) {
			continue
		}
		p := filepath.Join(d.dir, name)
		if d.isLive(p) {
			continue
		}
		switch tempOwner(name) {
		case ownerDead:
		case ownerAlive:
			continue // another running process (e.g. a CLI import) is writing it
		default:
			st, err := os.Lstat(p)
			if err != nil || st.ModTime().After(old) {
				continue
			}
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			d.log.Warn("files: sweep: could not remove orphan", "name", name, "err", err)
			continue
		}
		d.log.Info("files: sweep: removed orphan", "name", name)
		removed++
	}
	return removed, nil
}

func (d *Dir) setLive(name string, live bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if live {
		d.live[name] = struct{}{}
	} else {
		delete(d.live, name)
	}
}

func (d *Dir) isLive(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.live[name]
	return ok
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
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

// Check tells whether the directory is there.
func (d *Dir) Check(context.Context) error {
	_, err := os.Stat(d.dir)
	return err
}
