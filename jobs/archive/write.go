package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/db/files"
)

// Write streams the archive of src's course into w and returns its manifest.
// Rows go from SQLite to the zip one at a time, so memory stays flat whatever
// the course size. progress (may be nil) is called often with rows done of the
// total and a note naming the stage; the caller throttles. Cancelling ctx stops
// the write between rows with ctx's error; w then holds a partial zip to discard.
func Write(ctx context.Context, w io.Writer, src Source, opts Options, progress func(done, total int64, note string)) (Manifest, error) {
	if progress == nil {
		progress = func(int64, int64, string) {}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	course, err := src.Q.CourseByID(ctx, src.CourseID)
	if err != nil {
		return Manifest{}, fmt.Errorf("archive: %w", err)
	}
	counts, err := src.Q.CountArchiveRows(ctx, src.CourseID)
	if err != nil {
		return Manifest{}, fmt.Errorf("archive: %w", err)
	}
	total := counts.Total()
	if opts.IncludeStaticFiles {
		total += counts.StaticFiles
	}

	aw := &writer{
		ctx:      ctx,
		zw:       zip.NewWriter(w),
		now:      now,
		total:    total,
		progress: progress,
	}
	registerCompressor(aw.zw)
	defer func() {
		if aw.cur != nil {
			aw.cur.buf.Close()
		}
	}()
	m := Manifest{
		FormatVersion: FormatVersion,
		AppVersion:    opts.AppVersion,
		GeneratedAt:   now,
		GeneratedBy:   opts.GeneratedBy,
		Course: CourseInfo{
			ID: course.ID, Code: course.Code, Name: course.Name, Term: course.Term,
			DataVersion: course.DataVersion,
		},
		Options: Options{IncludeStdout: opts.IncludeStdout, IncludeStaticFiles: opts.IncludeStaticFiles},
	}

	if err := aw.writeReadme(m); err != nil {
		return Manifest{}, err
	}
	if err := aw.writeData(src, course, counts, opts); err != nil {
		return Manifest{}, err
	}
	if opts.IncludeStaticFiles {
		if err := aw.writeStaticFiles(src, counts.StaticFiles); err != nil {
			return Manifest{}, err
		}
	}
	m.Entries = aw.entries
	// The manifest goes last: only now are every entry's size and hash known.
	mw, err := aw.zw.CreateHeader(aw.header(ManifestName, dataMethod))
	if err != nil {
		return Manifest{}, fmt.Errorf("archive: write %s: %w", ManifestName, err)
	}
	enc := json.NewEncoder(mw)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return Manifest{}, fmt.Errorf("archive: write %s: %w", ManifestName, err)
	}
	if err := aw.zw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("archive: finish zip: %w", err)
	}
	progress(total, total, "Done")
	return m, nil
}

// writer is the state of one Write: the zip, the entries written so far and
// the progress counters.
type writer struct {
	ctx      context.Context
	zw       *zip.Writer
	now      time.Time
	entries  []Entry
	done     int64
	total    int64
	progress func(done, total int64, note string)

	// the entry being written, closed by Write on any error so its
	// goroutine ends
	cur   *entry
	stage string
	// stageDone/stageTotal feed the note ("Writing test results — 120 of 380").
	stageDone, stageTotal int64
}

// entry is an open zip entry whose bytes are counted and hashed on the way in.
type entry struct {
	name string
	zip  io.Writer
	h    hash.Hash
	n    int64
	rows int64
	buf  *pipe
}

func (e *entry) Write(p []byte) (int, error) {
	e.h.Write(p)
	e.n += int64(len(p))
	return e.zip.Write(p)
}

func (aw *writer) header(name string, method uint16) *zip.FileHeader {
	h := &zip.FileHeader{Name: name, Method: method, Modified: aw.now}
	h.SetMode(0o644)
	return h
}

func (aw *writer) open(name string, method uint16) (*entry, error) {
	zwr, err := aw.zw.CreateHeader(aw.header(name, method))
	if err != nil {
		return nil, fmt.Errorf("archive: write %s: %w", name, err)
	}
	e := &entry{name: name, zip: zwr, h: sha256.New()}
	e.buf = newPipe(e)
	aw.cur = e
	return e, nil
}

func (aw *writer) close(e *entry) error {
	aw.cur = nil
	if err := e.buf.Close(); err != nil {
		return fmt.Errorf("archive: write %s: %w", e.name, err)
	}
	aw.entries = append(aw.entries, Entry{Path: e.name, Rows: e.rows, Bytes: e.n, SHA256: hex.EncodeToString(e.h.Sum(nil))})
	return nil
}

// step counts one unit of work, checks for cancellation and reports progress
// every few hundred rows (often enough for a smooth bar, cheap per row).
func (aw *writer) step() error {
	aw.done++
	aw.stageDone++
	if aw.stageDone%256 == 0 {
		if err := aw.ctx.Err(); err != nil {
			return fmt.Errorf("archive: %s: %w", strings.ToLower(aw.stage), err)
		}
		aw.report()
	}
	return nil
}

func (aw *writer) startStage(stage string, rows int64) error {
	if err := aw.ctx.Err(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	aw.stage, aw.stageDone, aw.stageTotal = stage, 0, rows
	aw.report()
	return nil
}

func (aw *writer) report() {
	aw.progress(aw.done, aw.total, fmt.Sprintf("%s — %s of %s", aw.stage, thousands(aw.stageDone), thousands(aw.stageTotal)))
}

// jsonArray writes one data file: a JSON array with exactly one object per
// line ("[\n{...},\n{...}\n]\n", or "[]\n" when empty), valid JSON that diff,
// grep and wc -l can still work with.
type jsonArray struct {
	e   *entry
	buf bytes.Buffer
	enc *json.Encoder
}

func newJSONArray(e *entry) *jsonArray {
	a := &jsonArray{e: e}
	a.enc = json.NewEncoder(&a.buf)
	a.enc.SetEscapeHTML(false)
	return a
}

func (a *jsonArray) add(v any) error {
	a.buf.Reset()
	if err := a.enc.Encode(v); err != nil { // Encode ends the object with '\n'
		return fmt.Errorf("archive: encode row %d of %s: %w", a.e.rows+1, a.e.name, err)
	}
	sep := ",\n"
	if a.e.rows == 0 {
		sep = "[\n"
	}
	a.e.buf.WriteString(sep)
	_, err := a.e.buf.Write(a.buf.Bytes()[:a.buf.Len()-1])
	a.e.rows++
	if err != nil {
		return fmt.Errorf("archive: write %s: %w", a.e.name, err)
	}
	return nil
}

func (a *jsonArray) finish() error {
	end := "\n]\n"
	if a.e.rows == 0 {
		end = "[]\n"
	}
	if _, err := a.e.buf.WriteString(end); err != nil {
		return fmt.Errorf("archive: write %s: %w", a.e.name, err)
	}
	return nil
}

// table writes one data file: stage names it for progress, each streams the
// rows into add.
func (aw *writer) table(name, stage string, rows int64, each func(add func(v any) error) error) error {
	if err := aw.startStage(stage, rows); err != nil {
		return err
	}
	e, err := aw.open(name, dataMethod)
	if err != nil {
		return err
	}
	a := newJSONArray(e)
	err = each(func(v any) error {
		if err := a.add(v); err != nil {
			return err
		}
		return aw.step()
	})
	if err != nil {
		return fmt.Errorf("archive: write %s: %w", name, err)
	}
	if err := a.finish(); err != nil {
		return err
	}
	return aw.close(e)
}

func (aw *writer) writeData(src Source, course db.Course, counts db.ArchiveCounts, opts Options) error {
	ctx, q, id := aw.ctx, src.Q, src.CourseID
	if err := aw.table("data/course.json", "Writing the course", 1, func(add func(any) error) error {
		return add(courseRow{ID: course.ID, Code: course.Code, Name: course.Name, Term: course.Term,
			DataVersion: course.DataVersion, CreatedAt: course.CreatedAt.UTC()})
	}); err != nil {
		return err
	}
	if err := aw.table("data/periods.json", "Writing periods", counts.Periods, func(add func(any) error) error {
		return q.EachPeriod(ctx, id, func(p db.Period) error {
			return add(periodRow{ID: p.ID, Name: p.Name, Position: p.Position})
		})
	}); err != nil {
		return err
	}
	if err := aw.table("data/members.json", "Writing members", counts.Members, func(add func(any) error) error {
		return q.EachMember(ctx, id, func(m db.MemberRow) error {
			return add(memberRow{ID: m.ID, UserID: m.UserID, Email: m.Email, Name: m.Name,
				GivenName: m.GivenName, FamilyName: m.FamilyName, Role: m.Role,
				PeriodID: optID(m.PeriodID), Period: m.PeriodName,
				StudentIdentifier: m.StudentIdentifier, CreatedAt: m.CreatedAt})
		})
	}); err != nil {
		return err
	}
	if err := aw.table("data/assignments.json", "Writing assignments", counts.Assignments, func(add func(any) error) error {
		return q.EachAssignment(ctx, id, func(a db.Assignment) error {
			return add(assignmentRow{ID: a.ID, Key: nullable(a.Key), Name: a.Name, Kind: a.Kind, Position: a.Position,
				OpensAt: a.OpensAt, DueAt: a.DueAt, Points: a.Points})
		})
	}); err != nil {
		return err
	}
	if err := aw.table("data/submissions.json", "Writing submissions", counts.Submissions, func(add func(any) error) error {
		return q.EachSubmission(ctx, id, func(s db.Submission) error {
			return add(submissionRow{ID: s.ID, ExternalID: nullable(s.ExternalID), AssignmentID: s.AssignmentID, UserID: s.UserID,
				CommitSHA: s.CommitSHA, State: s.State, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt})
		})
	}); err != nil {
		return err
	}
	if err := aw.table("data/build_results.json", "Writing build results", counts.BuildResults, func(add func(any) error) error {
		return q.EachBuildResult(ctx, id, opts.IncludeStdout, func(r db.BuildResultRow) error {
			return add(buildResultRow{ID: r.ID, SubmissionID: r.SubmissionID, Passed: r.Passed,
				StdoutBytes: r.StdoutBytes, Stdout: optStdout(opts.IncludeStdout, r.Stdout), CreatedAt: r.CreatedAt})
		})
	}); err != nil {
		return err
	}
	if err := aw.table("data/test_results.json", "Writing test results", counts.TestResults, func(add func(any) error) error {
		return q.EachTestResult(ctx, id, opts.IncludeStdout, func(r db.TestResultRow) error {
			return add(testResultRow{ID: r.ID, SubmissionID: r.SubmissionID, Name: r.Name, Passed: r.Passed,
				Message: r.Message, StdoutBytes: r.StdoutBytes, Stdout: optStdout(opts.IncludeStdout, r.Stdout),
				CreatedAt: r.CreatedAt})
		})
	}); err != nil {
		return err
	}
	if err := aw.table("data/scores.json", "Writing scores", counts.Scores, func(add func(any) error) error {
		return q.EachScore(ctx, id, func(s db.Score) error {
			return add(scoreRow{ID: s.ID, AssignmentID: s.AssignmentID, UserID: s.UserID, Fraction: s.Fraction,
				Status: s.Status, Late: s.Late, SubmittedAt: s.SubmittedAt, UpdatedAt: s.UpdatedAt})
		})
	}); err != nil {
		return err
	}
	return aw.table("data/static_files.json", "Writing static file list", counts.StaticFiles, func(add func(any) error) error {
		files, err := q.ListStaticFiles(ctx, id)
		if err != nil {
			return err
		}
		names := staticEntryNames{}
		for _, sf := range files {
			row := staticFileRow{ID: sf.ID, Path: sf.Path, Filename: sf.File.Filename, ContentType: sf.File.ContentType,
				Size: sf.File.Size, SHA256: sf.File.SHA256, CreatedAt: sf.CreatedAt}
			if opts.IncludeStaticFiles {
				n := names.name(sf.ID, sf.Path)
				row.ArchivePath = &n
			}
			if err := add(row); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeStaticFiles copies each static file's bytes under files/static/, in
// the same order and with the same names as static_files.json.
func (aw *writer) writeStaticFiles(src Source, n int64) error {
	if err := aw.startStage("Copying static files", n); err != nil {
		return err
	}
	files, err := src.Q.ListStaticFiles(aw.ctx, src.CourseID)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	names := staticEntryNames{}
	for _, sf := range files {
		name := names.name(sf.ID, sf.Path)
		if err := aw.copyStatic(src, sf, name); err != nil {
			return err
		}
		if err := aw.step(); err != nil {
			return err
		}
	}
	return nil
}

func (aw *writer) copyStatic(src Source, sf db.StaticFile, name string) error {
	if src.OpenFile == nil {
		return fmt.Errorf("archive: static file %s: no file store to read it from", sf.Path)
	}
	rc, err := src.OpenFile(aw.ctx, sf.File.ID)
	if err != nil {
		return fmt.Errorf("archive: static file %s: %w", sf.Path, err)
	}
	defer rc.Close()
	method := dataMethod
	if alreadyCompressed(sf.File.ContentType, sf.Path) {
		method = zip.Store // deflating a JPEG or a zip costs time and saves nothing
	}
	e, err := aw.open(name, method)
	if err != nil {
		return err
	}
	if _, err := io.Copy(e.buf, files.ContextReader(aw.ctx, rc)); err != nil {
		return fmt.Errorf("archive: static file %s: %w", sf.Path, err)
	}
	if err := aw.close(e); err != nil {
		return err
	}
	// The store recorded size and hash when the file came in; a backup that
	// silently carries different bytes would be worse than a failed one.
	got := aw.entries[len(aw.entries)-1]
	if got.Bytes != sf.File.Size || (sf.File.SHA256 != "" && got.SHA256 != sf.File.SHA256) {
		return fmt.Errorf("archive: static file %s: its bytes no longer match what was stored (size %d, want %d; or checksum differs)",
			sf.Path, got.Bytes, sf.File.Size)
	}
	return nil
}

func alreadyCompressed(contentType, p string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	switch {
	case strings.HasPrefix(ct, "image/") && ct != "image/svg+xml" && ct != "image/bmp",
		strings.HasPrefix(ct, "video/"), strings.HasPrefix(ct, "audio/"):
		return true
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar",
		".jpg", ".jpeg", ".png", ".gif", ".webp", ".mp3", ".mp4", ".mov", ".webm",
		".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".jar", ".epub":
		return true
	}
	return false
}

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func optStdout(include bool, s string) *string {
	if !include {
		return nil
	}
	return &s
}

// thousands formats n with commas: 380000 -> "380,000".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// nullable writes an empty outside key as null: one spelling of "none", so
// export → import → export gives equal files.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
