package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"coursevault/db"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestStore_roundTripKeepsBytesAndRecord(t *testing.T) {
	tests := []struct {
		name        string
		in          Input
		content     string
		wantName    string
		wantType    string
		wantExpires bool
	}{
		{"xlsx by extension", Input{Owner: Course(1), Category: PerformanceBook, Filename: "Physics I_Performance_20150430-193402.xlsx", CreatedBy: 1},
			"PK\x03\x04book", "Physics_I_Performance_20150430-193402.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", true},
		{"zip archive, pinned", Input{Owner: Course(1), Category: CourseArchive, Filename: "phy1.zip", Pinned: true},
			"PK\x03\x04zip", "phy1.zip", "application/zip", false},
		{"unicode name kept", Input{Owner: Course(1), Category: CourseStatic, Filename: "Übung Größe 1.pdf"},
			"%PDF-1.4", "Übung_Größe_1.pdf", "application/pdf", true},
		{"no extension: sniffed", Input{Owner: Course(1), Category: CourseStatic, Filename: "notes"},
			"plain words\n", "notes", "text/plain; charset=utf-8", true},
		{"caller's type wins", Input{Owner: Course(1), Category: CourseStatic, Filename: "a.bin", ContentType: "application/x-custom"},
			"abc", "a.bin", "application/x-custom", true},
		{"empty file", Input{Owner: Course(1), Category: CourseArchive, Filename: "empty.zip"},
			"", "empty.zip", "application/zip", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, Options{})
			ctx := context.Background()
			f := fx.store(t, tt.in, tt.content)
			if f.Filename != tt.wantName || f.ContentType != tt.wantType {
				t.Errorf("name, type = %q, %q; want %q, %q", f.Filename, f.ContentType, tt.wantName, tt.wantType)
			}
			if f.Size != int64(len(tt.content)) || f.SHA256 != sha(tt.content) {
				t.Errorf("size, sha = %d, %s; want %d, %s", f.Size, f.SHA256, len(tt.content), sha(tt.content))
			}
			if (f.ExpiresAt != nil) != tt.wantExpires || tt.wantExpires && !f.ExpiresAt.Equal(t0.Add(DefaultTTL)) {
				t.Errorf("expires = %v, want expiry %v", f.ExpiresAt, tt.wantExpires)
			}
			if want := "/files/" + f.Token + "/" + url.PathEscape(tt.wantName); f.URL() != want {
				t.Errorf("URL = %q, want %q", f.URL(), want)
			}
			got, err := fx.s.Get(ctx, f.Token)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(f) {
				t.Errorf("Get = %+v\nStore = %+v", got, f)
			}
			if b := readAll(t, fx.s, got); b != tt.content {
				t.Errorf("bytes = %q, want %q", b, tt.content)
			}
			list, err := fx.s.List(ctx, Course(1), tt.in.Category)
			if err != nil || len(list) != 1 || list[0].ID != f.ID {
				t.Fatalf("List = %+v, %v", list, err)
			}
			if err := fx.s.Delete(ctx, f); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.s.Get(ctx, f.Token); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Delete: %v, want ErrNotFound", err)
			}
			if err := fx.s.Delete(ctx, f); !errors.Is(err, ErrNotFound) {
				t.Errorf("second Delete: %v, want ErrNotFound", err)
			}
			if _, err := fx.s.Open(ctx, f); !errors.Is(err, ErrNotFound) || !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Open after Delete: %v, want ErrNotFound and ErrNotExist", err)
			}
			fx.assertNothingStored(t)
		})
	}
}

func TestStore_urlEscapesTheFilename(t *testing.T) {
	f := File{Token: strings.Repeat("ab", 16), Filename: "Übung_1#2?.pdf"}
	if got, want := f.URL(), "/files/abababababababababababababababab/%C3%9Cbung_1%232%3F.pdf"; got != want {
		t.Fatalf("URL = %q, want %q", got, want)
	}
}

func TestStore_listIsNewestFirst(t *testing.T) {
	fx := newFixture(t, Options{})
	for _, name := range []string{"a.zip", "b.zip", "c.zip"} {
		fx.store(t, archiveInput(name), name)
		fx.clock.Advance(time.Second)
	}
	fx.store(t, Input{Owner: Course(2), Category: CourseArchive, Filename: "other.zip"}, "x")
	list, err := fx.s.List(context.Background(), Course(1), CourseArchive)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range list {
		names = append(names, f.Filename)
	}
	if fmt.Sprint(names) != "[c.zip b.zip a.zip]" {
		t.Fatalf("names = %v", names)
	}
}

func TestStore_concurrentStoresGetUniqueTokensNamedOnDisk(t *testing.T) {
	fx := newFixture(t, Options{})
	const n = 40
	var wg sync.WaitGroup
	files := make([]File, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			files[i], errs[i] = fx.s.Store(context.Background(), archiveInput(fmt.Sprintf("f%d.zip", i)),
				strings.NewReader(strings.Repeat("x", i*1000)))
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, f := range files {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !ValidToken(f.Token) {
			t.Errorf("token %q is not 32 lowercase hex", f.Token)
		}
		if seen[f.Token] {
			t.Errorf("token %s issued twice", f.Token)
		}
		seen[f.Token] = true
		if st, err := os.Stat(filepath.Join(fx.dir, f.Token)); err != nil || st.Size() != int64(i*1000) {
			t.Errorf("bytes of %s: %v", f.Filename, err)
		}
	}
	if names := fx.dirNames(t); len(names) != n {
		t.Errorf("directory holds %d names, want %d (no temp files)", len(names), n)
	}
	list, _ := fx.s.List(context.Background(), Course(1), CourseArchive)
	if len(list) != n {
		t.Errorf("listed %d, want %d", len(list), n)
	}
}

func TestNew_createsPrivateDirectory(t *testing.T) {
	fx := newFixture(t, Options{})
	st, err := os.Stat(fx.dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("mode = %v, want 0700", st.Mode().Perm())
	}
}

func TestStore_refusesBadInput(t *testing.T) {
	fx := newFixture(t, Options{})
	for name, in := range map[string]Input{
		"no owner":         {Category: CourseArchive, Filename: "a.zip"},
		"unknown category": {Owner: Course(1), Category: "secrets", Filename: "a.zip"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := fx.s.Store(context.Background(), in, strings.NewReader("x")); err == nil {
				t.Fatal("stored")
			}
			fx.assertNothingStored(t)
		})
	}
}

func TestProduce_streamsWhatTheWriterWritesAndFillsInTheName(t *testing.T) {
	const content = "PK\x03\x04 a large archive"
	fx := newFixture(t, Options{})
	f, err := fx.s.Produce(context.Background(), Input{Owner: Course(1), Category: CourseArchive}, func(w io.Writer, in *Input) error {
		io.WriteString(w, content)
		in.Filename = "phy1.zip"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Filename != "phy1.zip" || f.Size != int64(len(content)) || f.SHA256 != sha(content) || f.ContentType != "application/zip" {
		t.Errorf("produced %+v", f)
	}
	if got := fx.read(t, f); got != content {
		t.Errorf("bytes = %q", got)
	}
}

func TestProduce_writerFailureOrQuotaLeavesNothing(t *testing.T) {
	boom := errors.New("the archive writer failed")
	fx := newFixture(t, Options{CourseQuota: 10})
	for name, write := range map[string]func(w io.Writer, in *Input) error{
		"writer fails": func(w io.Writer, in *Input) error { io.WriteString(w, "half"); return boom },
		"over quota": func(w io.Writer, in *Input) error {
			in.Filename = "a.zip"
			_, err := io.WriteString(w, "more than ten bytes")
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := fx.s.Produce(context.Background(), Input{Owner: Course(1), Category: CourseArchive}, write)
			if err == nil {
				t.Fatal("stored")
			}
			if name == "over quota" && !errors.Is(err, ErrQuota) {
				t.Errorf("err = %v, want ErrQuota", err)
			}
			if name == "writer fails" && !errors.Is(err, boom) {
				t.Errorf("err = %v, want the writer's", err)
			}
			fx.assertNothingStored(t)
		})
	}
}

func TestStore_linkRunsInTheInsertTransaction(t *testing.T) {
	fx := newFixture(t, Options{})
	var seen db.FileRow
	in := archiveInput("a.zip")
	in.Link = func(tx *db.Queries, f File) error {
		var err error
		seen, err = tx.FileByID(context.Background(), f.ID)
		return err
	}
	f := fx.store(t, in, "abc")
	if seen.Token != f.Token {
		t.Fatalf("Link saw %+v, want the new row", seen)
	}
}

func TestStore_linkFailureRollsBackAndRemovesBytes(t *testing.T) {
	fx := newFixture(t, Options{})
	boom := errors.New("export row refused")
	in := archiveInput("a.zip")
	in.Link = func(tx *db.Queries, f File) error { return boom }
	_, err := fx.s.Store(context.Background(), in, strings.NewReader("abc"))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the Link error", err)
	}
	fx.assertNothingStored(t)
}

func TestStore_faultsLeaveNothingBehind(t *testing.T) {
	enospc := &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}
	readErr := errors.New("connection reset by client")
	tests := []struct {
		name    string
		reader  func() io.Reader
		hook    func(w io.Writer) io.Writer
		ctx     func() context.Context
		wantErr error
	}{
		{name: "reader fails midway",
			reader:  func() io.Reader { return &failAfter{n: 3 << 20, err: readErr} },
			wantErr: readErr},
		{name: "disk full midway",
			reader:  func() io.Reader { return strings.NewReader(strings.Repeat("x", 4<<20)) },
			hook:    func(w io.Writer) io.Writer { return &failAfter{n: 2<<20 + 7, err: enospc, w: w} },
			wantErr: syscall.ENOSPC},
		{name: "context cancelled",
			reader: func() io.Reader { return strings.NewReader("abc") },
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, Options{})
			fx.local(t).writeHook = tt.hook
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			_, err := fx.s.Store(ctx, archiveInput("a.zip"), tt.reader())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "a.zip") {
				t.Errorf("err %q does not say which file", err)
			}
			fx.assertNothingStored(t)
			if len(fx.s.live) != 0 {
				t.Errorf("still tracking %v as live", fx.s.live)
			}
		})
	}
}

func TestStore_quotaExceededIsClearError(t *testing.T) {
	fx := newFixture(t, Options{CourseQuota: 1000})
	ctx := context.Background()
	fx.store(t, archiveInput("first.zip"), strings.Repeat("x", 600))
	tests := []struct {
		name   string
		reader io.Reader
	}{
		{"would pass the quota", strings.NewReader(strings.Repeat("x", 500))},
		{"far past the quota: copy stops early", &failAfter{n: 1 << 30, err: io.EOF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.s.Store(ctx, archiveInput("second.zip"), tt.reader)
			if !errors.Is(err, ErrQuota) {
				t.Fatalf("err = %v, want ErrQuota", err)
			}
			var qe *QuotaError
			if !errors.As(err, &qe) || qe.Error() != "course storage quota of 1000 B would be exceeded (600 B used); delete old exports or course files to free space" {
				t.Errorf("message = %q", err)
			}
			if names := fx.dirNames(t); len(names) != 1 {
				t.Errorf("directory holds %v, want only the first file", names)
			}
		})
	}
	t.Run("another course is not limited by this one", func(t *testing.T) {
		if _, err := fx.s.Store(ctx, Input{Owner: Course(2), Category: CourseArchive, Filename: "b.zip"}, strings.NewReader(strings.Repeat("x", 900))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("exactly up to the quota fits", func(t *testing.T) {
		fx.store(t, archiveInput("fits.zip"), strings.Repeat("x", 400))
		if used, _ := fx.s.Usage(ctx, Course(1)); used != 1000 {
			t.Fatalf("usage = %d, want 1000", used)
		}
	})
	t.Run("a full course is refused before reading", func(t *testing.T) {
		_, err := fx.s.Store(ctx, archiveInput("third.zip"), &failAfter{err: errors.New("read")})
		if !errors.Is(err, ErrQuota) {
			t.Fatalf("err = %v, want ErrQuota", err)
		}
	})
}

func TestQuotaError_namesQuotaUsageAndRemedy(t *testing.T) {
	e := &QuotaError{Owner: Course(1), Quota: DefaultCourseQuota, Used: 98 * (1 << 30) / 10}
	want := "course storage quota of 10 GiB would be exceeded (9.8 GiB used); delete old exports or course files to free space"
	if e.Error() != want {
		t.Fatalf("got  %q\nwant %q", e.Error(), want)
	}
}

func TestGet_malformedTokensAreNotFound(t *testing.T) {
	fx := newFixture(t, Options{})
	f := fx.store(t, archiveInput("a.zip"), "abc")
	for _, tok := range []string{
		"", strings.ToUpper(f.Token), f.Token[:31], f.Token + "0", "../../etc/passwd",
		strings.Repeat("g", 32), f.Token[:31] + "\x00", " " + f.Token[1:], strings.Repeat("0", 32),
	} {
		if _, err := fx.s.Get(context.Background(), tok); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", tok, err)
		}
	}
	if _, err := fx.s.Open(context.Background(), File{Token: "../" + f.Token[3:]}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open with a traversal token: %v", err)
	}
}

func TestExpireDue_deletesExpiredKeepsPinned(t *testing.T) {
	var unlinked []string
	fx := newFixture(t, Options{Unlink: func(tx *db.Queries, f File) error {
		unlinked = append(unlinked, f.Filename)
		return nil
	}})
	ctx := context.Background()
	week := fx.store(t, archiveInput("week.zip"), "a")
	pinned := fx.store(t, Input{Owner: Course(1), Category: CourseArchive, Filename: "pinned.zip", Pinned: true}, "b")
	month := fx.store(t, Input{Owner: Course(1), Category: PerformanceBook, Filename: "month.xlsx", TTL: 30 * 24 * time.Hour}, "c")

	check := func(wantGone ...string) {
		t.Helper()
		gone, err := fx.s.ExpireDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range gone {
			names = append(names, f.Filename)
			if _, err := os.Stat(filepath.Join(fx.dir, f.Token)); !os.IsNotExist(err) {
				t.Errorf("bytes of expired %s still on disk", f.Filename)
			}
			if _, err := fx.s.Get(ctx, f.Token); !errors.Is(err, ErrNotFound) {
				t.Errorf("expired %s still has a row", f.Filename)
			}
		}
		if fmt.Sprint(names) != fmt.Sprint(wantGone) {
			t.Errorf("expired %v, want %v", names, wantGone)
		}
	}

	fx.clock.Advance(DefaultTTL - time.Second)
	check()
	if week.Expired(fx.clock.Now()) {
		t.Error("week.zip reports expired a second early")
	}
	fx.clock.Advance(time.Second)
	if !week.Expired(fx.clock.Now()) {
		t.Error("week.zip does not report expired at its expiry")
	}
	check("week.zip")
	if fmt.Sprint(unlinked) != "[week.zip]" {
		t.Errorf("Unlink saw %v", unlinked)
	}

	if _, err := fx.s.Pin(ctx, month, true); err != nil {
		t.Fatal(err)
	}
	fx.clock.Advance(365 * 24 * time.Hour)
	check()

	unpinned, err := fx.s.Pin(ctx, pinned, false)
	if err != nil {
		t.Fatal(err)
	}
	if unpinned.ExpiresAt == nil || !unpinned.ExpiresAt.Equal(fx.clock.Now().Add(DefaultTTL)) {
		t.Fatalf("unpinned expiry = %v", unpinned.ExpiresAt)
	}
	fx.clock.Advance(DefaultTTL)
	check("pinned.zip")
	if _, err := fx.s.Pin(ctx, pinned, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pin of a deleted file: %v, want ErrNotFound", err)
	}
}

func TestExpireDue_unlinkFailureKeepsTheFile(t *testing.T) {
	boom := errors.New("export row locked")
	fx := newFixture(t, Options{Unlink: func(*db.Queries, File) error { return boom }})
	f := fx.store(t, archiveInput("a.zip"), "abc")
	fx.clock.Advance(DefaultTTL)
	if _, err := fx.s.ExpireDue(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the Unlink error", err)
	}
	if got := readAll(t, fx.s, f); got != "abc" {
		t.Fatalf("bytes = %q after a failed expiry", got)
	}
}

func TestSweep_removesOrphansAndMarksMissing(t *testing.T) {
	fx := newFixture(t, Options{})
	ctx := context.Background()
	kept := fx.store(t, archiveInput("kept.zip"), "kept")
	lost := fx.store(t, archiveInput("lost.zip"), "lost")
	os.Remove(filepath.Join(fx.dir, lost.Token))

	write := func(name string, old bool) string {
		p := filepath.Join(fx.dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if old {
			age(t, p)
		}
		return name
	}
	oldTemp := write(tempPrefix+"crashed", true)
	freshTemp := write(tempPrefix+"another-process", false)
	rowless := write(strings.Repeat("ab", 16), true)
	stranger := write("README", true)
	live, err := fx.local(t).createTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer fx.local(t).discard(live)
	age(t, live.Name())

	removed, missing, err := fx.s.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if removed != 2 {
		t.Errorf("removed %d, want 2 (old temp, row-less bytes)", removed)
	}
	names := fx.dirNames(t)
	for _, n := range []string{oldTemp, rowless} {
		if strings.Contains(fmt.Sprint(names), n) {
			t.Errorf("%s was not removed", n)
		}
	}
	for _, n := range []string{freshTemp, stranger, filepath.Base(live.Name()), kept.Token} {
		if !strings.Contains(fmt.Sprint(names), n) {
			t.Errorf("%s was removed", n)
		}
	}
	if len(missing) != 1 || missing[0].ID != lost.ID || !missing[0].Missing {
		t.Fatalf("missing = %+v, want lost.zip", missing)
	}
	if got, _ := fx.s.Get(ctx, lost.Token); !got.Missing {
		t.Error("lost.zip is not marked missing")
	}
	if got, _ := fx.s.Get(ctx, kept.Token); got.Missing {
		t.Error("kept.zip is marked missing")
	}

	// The bytes come back (a restored backup): the mark is cleared.
	os.WriteFile(filepath.Join(fx.dir, lost.Token), []byte("lost"), 0o600)
	if _, missing, err = fx.s.Sweep(ctx); err != nil || len(missing) != 0 {
		t.Fatalf("second sweep: missing %v, %v", missing, err)
	}
	if got, _ := fx.s.Get(ctx, lost.Token); got.Missing {
		t.Error("lost.zip still marked missing after its bytes came back")
	}
}

func TestPermits_matrix(t *testing.T) {
	viewers := []struct {
		name string
		a    Access
	}{
		{"anonymous", Access{}},
		{"student", Access{SignedIn: true, Role: "student"}},
		{"ta", Access{SignedIn: true, Role: "ta"}},
		{"teacher", Access{SignedIn: true, Role: "teacher"}},
		{"course admin", Access{SignedIn: true, Role: "admin"}},
		{"signed in, not in course", Access{SignedIn: true}},
		{"site admin", Access{SignedIn: true, SiteAdmin: true}},
		{"role without sign-in", Access{Role: "admin"}},
	}
	// want[category] lists, in viewers' order, who may download.
	want := map[string][]bool{
		CourseArchive:   {false, false, false, false, true, false, true, false},
		PerformanceBook: {false, false, true, true, true, false, true, false},
		CourseStatic:    {true, true, true, true, true, true, true, true},
		"":              {false, false, false, false, false, false, false, false},
		"secrets":       {false, false, false, false, false, false, false, false},
	}
	for cat, row := range want {
		for i, v := range viewers {
			t.Run(cat+"/"+v.name, func(t *testing.T) {
				if got := Permits(cat, v.a); got != row[i] {
					t.Errorf("Permits(%q, %+v) = %v, want %v", cat, v.a, got, row[i])
				}
			})
		}
	}
}

func TestAddStatic_storesPinnedAndRecordsPath(t *testing.T) {
	fx := newFixture(t, Options{})
	ctx := context.Background()
	f, err := fx.s.AddStatic(ctx, 1, "lectures/Week 1.pdf", strings.NewReader("%PDF-1.4 one"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Category != CourseStatic || !f.Pinned() || f.Filename != "Week_1.pdf" || f.ContentType != "application/pdf" {
		t.Errorf("static file = %+v", f)
	}
	if _, err := fx.s.AddStatic(ctx, 1, "img/logo.png", strings.NewReader("png!")); err != nil {
		t.Fatal(err)
	}
	list, err := fx.d.ListStaticFiles(ctx, 1)
	if err != nil || len(list) != 2 || list[1].Path != "lectures/Week 1.pdf" || list[1].File.Token != f.Token {
		t.Fatalf("static list = %+v, %v", list, err)
	}

	t.Run("same path replaces the old bytes", func(t *testing.T) {
		g, err := fx.s.AddStatic(ctx, 1, "lectures/Week 1.pdf", strings.NewReader("%PDF-1.4 two"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(fx.dir, f.Token)); !os.IsNotExist(err) {
			t.Error("old bytes still on disk")
		}
		if n, size, _ := fx.d.StaticFilesSummary(ctx, 1); n != 2 || size != int64(len("%PDF-1.4 two")+len("png!")) {
			t.Errorf("summary = %d files, %d bytes", n, size)
		}
		if got := readAll(t, fx.s, g); got != "%PDF-1.4 two" {
			t.Errorf("bytes = %q", got)
		}
		f = g
	})
	t.Run("delete removes the static row too", func(t *testing.T) {
		if err := fx.s.Delete(ctx, f); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := fx.d.StaticFilesSummary(ctx, 1); n != 1 {
			t.Errorf("%d static files left, want 1", n)
		}
	})
	t.Run("unsafe paths are refused", func(t *testing.T) {
		for _, p := range []string{"", "../x.pdf", "a/../../x.pdf", "/etc/passwd", `a\b.pdf`, "a/\x00.pdf", "c:x.pdf", ".", "a/.."} {
			if _, err := fx.s.AddStatic(ctx, 1, p, strings.NewReader("x")); err == nil {
				t.Errorf("AddStatic(%q) stored", p)
			}
		}
		if n, _, _ := fx.d.StaticFilesSummary(ctx, 1); n != 1 {
			t.Errorf("%d static files, want 1", n)
		}
	})
}

func TestSafeName_keepsMeaningDropsDanger(t *testing.T) {
	long := strings.Repeat("é", 150) + ".xlsx" // 300 bytes of stem
	tests := []struct{ in, want string }{
		{"Physics I", "Physics_I"},
		{"Physics I_Performance_20150430-193402.xlsx", "Physics_I_Performance_20150430-193402.xlsx"},
		{"../../etc/passwd", "etc_passwd"},
		{`a\b/c:d*e?f"g<h>i|j`, "a_b_c_d_e_f_g_h_i_j"},
		{"report\x00.zip", "report.zip"},
		{"evil\u202Efdp.exe", "evilfdp.exe"},
		{"  Übung — Größe  ", "Übung_—_Größe"},
		{"名前.pdf", "名前.pdf"},
		{".htaccess", "htaccess"},
		{"trailing dots...", "trailing_dots"},
		{"CON.txt", "_CON.txt"},
		{"lpt1", "_lpt1"},
		{"", "file"},
		{"///", "file"},
		{"\xff\xfe.zip", "zip"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := SafeName(tt.in); got != tt.want {
				t.Errorf("SafeName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("long names keep their extension and valid UTF-8", func(t *testing.T) {
		got := SafeName(long)
		if len(got) > maxNameBytes || !strings.HasSuffix(got, ".xlsx") || !strings.HasPrefix(got, "éé") || !strings.Contains(got, "é.xlsx") {
			t.Errorf("SafeName(long) = %q (%d bytes)", got, len(got))
		}
	})
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 40 << 20: "40 MiB",
		DefaultCourseQuota: "10 GiB", 150 << 30: "150 GiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func BenchmarkStore(b *testing.B) {
	const size = 64 << 20
	fx := newFixture(b, Options{})
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	ctx := context.Background()
	b.Run("64MiB", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f, err := fx.s.Store(ctx, archiveInput("big.zip"), bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			fx.s.Delete(ctx, f)
			b.StartTimer()
		}
		b.ReportMetric(float64(size)*float64(b.N)/1e6/b.Elapsed().Seconds(), "MB/s")
	})
}

func TestPermits_importUploadsAreNeverDownloadable(t *testing.T) {
	for _, a := range []Access{{SignedIn: true, SiteAdmin: true}, {SignedIn: true, Role: "admin"}, {}} {
		if Permits(ImportUpload, a) {
			t.Errorf("Permits(ImportUpload, %+v) = true", a)
		}
	}
}
