package db

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

var fileT0 = time.Date(2015, 4, 30, 19, 34, 2, 0, time.UTC)

func testFileRow(n int, category string, created time.Time, expires *time.Time) FileRow {
	return FileRow{
		Token: fmt.Sprintf("%032x", n), OwnerType: "course", OwnerID: 1, Category: category,
		Filename: fmt.Sprintf("f%d.zip", n), ContentType: "application/zip", Size: int64(100 * n),
		SHA256: fmt.Sprintf("%064x", n), CreatedAt: created, ExpiresAt: expires,
	}
}

func insertTestFile(t *testing.T, d *DB, f FileRow) FileRow {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *Queries) error {
		id, err := tx.InsertFile(context.Background(), f)
		f.ID = id
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFiles_insertGetRoundTripKeepsEveryField(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	exp := fileT0.Add(7 * 24 * time.Hour)
	want := insertTestFile(t, d, testFileRow(1, "course-archive", fileT0, &exp))
	for name, get := range map[string]func() (FileRow, error){
		"by token": func() (FileRow, error) { return d.FileByToken(ctx, want.Token) },
		"by id":    func() (FileRow, error) { return d.FileByID(ctx, want.ID) },
	} {
		t.Run(name, func(t *testing.T) {
			got, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || !got.CreatedAt.Equal(fileT0) {
				t.Fatalf("times = %v, %v; want %v, %v", got.CreatedAt, got.ExpiresAt, fileT0, exp)
			}
			got.ExpiresAt, want.ExpiresAt = nil, nil
			if got != want {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestFiles_unknownTokenIsNotFound(t *testing.T) {
	d := openTest(t)
	if _, err := d.FileByToken(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if err := d.InTx(context.Background(), func(tx *Queries) error { return tx.DeleteFile(context.Background(), 42) }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete err = %v, want ErrNotFound", err)
	}
}

func TestFiles_listIsNewestFirstAndFiltersByCategory(t *testing.T) {
	d := openTest(t)
	for i := 1; i <= 3; i++ {
		insertTestFile(t, d, testFileRow(i, "course-archive", fileT0.Add(time.Duration(i)*time.Minute), nil))
	}
	insertTestFile(t, d, testFileRow(9, "performance-book", fileT0.Add(time.Hour), nil))
	got, err := d.ListFiles(context.Background(), "course", 1, "course-archive")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got {
		names = append(names, f.Filename)
	}
	if fmt.Sprint(names) != "[f3.zip f2.zip f1.zip]" {
		t.Fatalf("names = %v", names)
	}
}

func TestFiles_expiredFilesSkipsPinnedAndFuture(t *testing.T) {
	d := openTest(t)
	past, future := fileT0.Add(-time.Second), fileT0.Add(time.Second)
	insertTestFile(t, d, testFileRow(1, "course-archive", fileT0, &past))
	insertTestFile(t, d, testFileRow(2, "course-archive", fileT0, &future))
	insertTestFile(t, d, testFileRow(3, "course-archive", fileT0, nil))
	insertTestFile(t, d, testFileRow(4, "course-archive", fileT0, &fileT0))
	got, err := d.ExpiredFiles(context.Background(), fileT0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Filename != "f1.zip" || got[1].Filename != "f4.zip" {
		t.Fatalf("expired = %+v", got)
	}
}

func TestFiles_usageSumsAllCategoriesOfOneOwner(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	if n, err := d.OwnerFileUsage(ctx, "course", 1); err != nil || n != 0 {
		t.Fatalf("empty usage = %d, %v", n, err)
	}
	insertTestFile(t, d, testFileRow(1, "course-archive", fileT0, nil))
	insertTestFile(t, d, testFileRow(2, "performance-book", fileT0, nil))
	other := testFileRow(3, "course-archive", fileT0, nil)
	other.OwnerID = 2
	insertTestFile(t, d, other)
	if n, err := d.OwnerFileUsage(ctx, "course", 1); err != nil || n != 300 {
		t.Fatalf("usage = %d, %v; want 300", n, err)
	}
}

func TestFiles_pinMissingAndDeleteUpdateTheRow(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	f := insertTestFile(t, d, testFileRow(1, "course-archive", fileT0, &fileT0))
	err := d.InTx(ctx, func(tx *Queries) error {
		return errors.Join(tx.SetFileExpiry(ctx, f.ID, nil), tx.SetFileMissing(ctx, f.ID, true))
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := d.FileByID(ctx, f.ID)
	if got.ExpiresAt != nil || !got.Missing {
		t.Fatalf("after pin+missing: %+v", got)
	}
	if err := d.InTx(ctx, func(tx *Queries) error { return tx.DeleteFile(ctx, f.ID) }); err != nil {
		t.Fatal(err)
	}
	if _, err := d.FileByID(ctx, f.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestStaticFiles_listAndSummaryJoinTheirFiles(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	if _, err := d.w.Exec(`INSERT INTO courses (id, code, name, created_at) VALUES (1, 'PHY1', 'Physics I', ?)`, fileT0); err != nil {
		t.Fatal(err)
	}
	a := insertTestFile(t, d, testFileRow(1, "course-static", fileT0, nil))
	b := insertTestFile(t, d, testFileRow(2, "course-static", fileT0, nil))
	err := d.InTx(ctx, func(tx *Queries) error {
		_, err1 := tx.InsertStaticFile(ctx, 1, "slides/b.pdf", b.ID, fileT0)
		_, err2 := tx.InsertStaticFile(ctx, 1, "a.pdf", a.ID, fileT0)
		return errors.Join(err1, err2)
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := d.ListStaticFiles(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Path != "a.pdf" || list[0].File.Token != a.Token || list[1].File.Size != 200 {
		t.Fatalf("list = %+v", list)
	}
	if n, size, err := d.StaticFilesSummary(ctx, 1); err != nil || n != 2 || size != 300 {
		t.Fatalf("summary = %d, %d, %v; want 2, 300", n, size, err)
	}
	sf, err := d.StaticFileByPath(ctx, 1, "slides/b.pdf")
	if err != nil || sf.File.ID != b.ID {
		t.Fatalf("by path = %+v, %v", sf, err)
	}
	err = d.InTx(ctx, func(tx *Queries) error {
		return errors.Join(tx.DeleteStaticFilesOfFile(ctx, a.ID), tx.DeleteFile(ctx, a.ID))
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := d.StaticFilesSummary(ctx, 1); n != 1 {
		t.Fatalf("after delete: %d static files, want 1", n)
	}
}
