package restore

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"coursevault/db/files"
	"coursevault/jobs/archive"
)

// The static files of an imported course count against its quota: an
// archive whose files do not fit is refused before anything is stored, with
// the quota message a full course gets, and one that just fits imports.
func TestImport_staticFilesCountAgainstTheCourseQuota(t *testing.T) {
	src := demoInstance(t, tinyDemo())
	b := src.export(t, coursePeriods)
	var static int64
	for _, e := range unpack(t, b).manifest.Entries {
		if strings.HasPrefix(e.Path, archive.StaticDir) {
			static += e.Bytes
		}
	}
	if static == 0 {
		t.Fatal("the archive holds no static files")
	}
	withQuota := func(q int64) *instance {
		in := freshInstance(t)
		svc, err := files.New(in.d, filepath.Join(in.dir, "attachments"), files.Options{CourseQuota: q})
		if err != nil {
			t.Fatal(err)
		}
		in.files = svc
		return in
	}

	t.Run("over the quota is refused and leaves nothing", func(t *testing.T) {
		dst := withQuota(static - 1)
		before := dst.state(t)
		_, err := dst.importArchive(b, Options{})
		var qe *files.QuotaError
		if !errors.As(err, &qe) || !errors.Is(err, files.ErrQuota) || !errors.Is(err, ErrRefused) {
			t.Fatalf("err = %v; want a refusal with a *files.QuotaError", err)
		}
		if want := `^course storage quota of .* would be exceeded \(0 B used\); delete old exports or course files to free space$`; !regexp.MustCompile(want).MatchString(err.Error()) {
			t.Errorf("error %q\nwant it to match %q", err, want)
		}
		if after := dst.state(t); after != before {
			t.Errorf("the instance changed:\n%s", diffLines(before, after))
		}
	})
	t.Run("exactly the quota imports", func(t *testing.T) {
		dst := withQuota(static)
		res, err := dst.importArchive(b, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.StaticBytes != static {
			t.Errorf("stored %d static bytes, want %d", res.StaticBytes, static)
		}
	})
}
