package exports

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"coursevault/db"
)

// TestArchive_writesDuringAnExportAllAppearOrItIsNotUpToDate writes to the
// course while its archive is read in chunks (one row each). Each write
// renames the course and its first period together, so an archive mixing
// two states would show two different numbers. Whatever happens, the archive
// holds one state, and its export row says whether that is the course's
// current one.
func TestArchive_writesDuringAnExportAllAppearOrItIsNotUpToDate(t *testing.T) {
	for _, tt := range []struct {
		name     string
		writes   int  // writes made, one per attempt, while test results are read
		other    bool // write to the other course instead
		upToDate bool
		attempts int // reads of the course
	}{
		{"no write: up to date", 0, false, true, 1},
		{"one write: read again, it appears, up to date", 1, false, true, 2},
		{"a write during every chunked attempt: one transaction, not up to date", 3, false, false, 3},
		{"writes to another course: never read again, up to date", 3, true, true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			courseID := int64(1)
			if tt.other {
				courseID = 2
			}
			written := 0
			rename := func() {
				written++
				err := f.d.InTx(ctx, func(tx *db.Queries) error {
					c, err := tx.CourseByID(ctx, courseID)
					if err != nil {
						return err
					}
					c.Name = fmt.Sprintf("Renamed %d", written)
					if err := tx.UpdateCourse(ctx, c); err != nil {
						return err
					}
					p, err := tx.Periods(ctx, courseID)
					if err != nil || len(p) == 0 {
						return err // course 2 has no periods
					}
					p[0].Name = fmt.Sprintf("Renamed %d", written)
					return tx.UpdatePeriod(ctx, p[0])
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			write := archiveMaker(f.d, f.files, "test", time.UTC, time.Now, time.Nanosecond)
			attempts := 0
			f.runner.Handle(db.ExportArchive, f.ex.Handler(func(ctx context.Context, e db.ExportView, w io.Writer, progress func(int64, int64, string)) (Made, error) {
				return write(ctx, e, w, func(done, total int64, note string) {
					if strings.HasPrefix(note, "Writing test results") {
						if attempts++; attempts <= tt.writes {
							rename()
						}
					}
					progress(done, total, note)
				})
			}))
			e := f.request(t, db.ExportArchive)
			f.drain(t)
			e, err := f.ex.Get(ctx, 1, e.ID)
			if err != nil || e.Status() != db.ExportReady {
				t.Fatalf("export %s: %+v %v", e.Status(), e, err)
			}
			if attempts != tt.attempts {
				t.Errorf("the course was read %d times, want %d", attempts, tt.attempts)
			}
			c, err := f.d.CourseByID(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.DataVersion == c.DataVersion; got != tt.upToDate {
				t.Errorf("up to date = %v (export at version %d, course at %d), want %v", got, e.DataVersion, c.DataVersion, tt.upToDate)
			}
			course, period := archiveNames(t, f, e)
			if course.DataVersion != e.DataVersion {
				t.Errorf("course.json is at version %d, the export row says %d", course.DataVersion, e.DataVersion)
			}
			if !strings.HasPrefix(course.Name, "Renamed") && !tt.other && tt.writes > 0 && tt.upToDate {
				t.Errorf("course.json name %q: the write before the retry is missing", course.Name)
			}
			if strings.HasPrefix(course.Name, "Renamed") || strings.HasPrefix(period, "Renamed") {
				if course.Name != period {
					t.Errorf("the archive mixes two states: course %q, period %q", course.Name, period)
				}
			}
		})
	}
}

type archivedCourse struct {
	Name        string `json:"name"`
	DataVersion int64  `json:"data_version"`
}

// archiveNames reads course.json and the renamed period's name ("" if none)
// from the export's file.
func archiveNames(t *testing.T, f *fixture, e db.ExportView) (archivedCourse, string) {
	t.Helper()
	ctx := context.Background()
	file, err := f.files.GetByID(ctx, e.FileID)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := f.files.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r, err := zip.NewReader(fh, file.Size)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string, v any) {
		rc, err := r.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if err := json.NewDecoder(rc).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var courses []archivedCourse
	var periods []struct {
		Name string `json:"name"`
	}
	read("data/course.json", &courses)
	read("data/periods.json", &periods)
	if len(courses) != 1 || len(periods) == 0 {
		t.Fatalf("archive: %d courses, %d periods", len(courses), len(periods))
	}
	renamed := ""
	for _, p := range periods {
		if strings.HasPrefix(p.Name, "Renamed") {
			renamed = p.Name
		}
	}
	return courses[0], renamed
}
