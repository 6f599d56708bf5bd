package db

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestClaimImportedFile_pinsAndGivesTheFileToTheCourse(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := now.Add(24 * time.Hour)
	var courseID, pending, other int64
	err := d.InTx(ctx, func(tx *Queries) error {
		var err error
		if courseID, err = tx.InsertCourse(ctx, Course{Code: "R1", Name: "Restored", CreatedAt: now}); err != nil {
			return err
		}
		row := FileRow{Token: "0123456789abcdef0123456789abcdef", OwnerType: "course-import", Category: "course-static",
			Filename: "a.pdf", ContentType: "application/pdf", Size: 3, SHA256: "00", CreatedAt: now, ExpiresAt: &exp}
		if pending, err = tx.InsertFile(ctx, row); err != nil {
			return err
		}
		row.Token, row.OwnerType, row.OwnerID = "fedcba9876543210fedcba9876543210", "course", 7
		other, err = tx.InsertFile(ctx, row)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := d.InTx(ctx, func(tx *Queries) error { return tx.ClaimImportedFile(ctx, pending, "course-import", courseID) }); err != nil {
		t.Fatal(err)
	}
	f, err := d.FileByID(ctx, pending)
	if err != nil {
		t.Fatal(err)
	}
	if f.OwnerType != "course" || f.OwnerID != courseID || f.ExpiresAt != nil {
		t.Fatalf("claimed file: owner %s %d, expires %v; want course %d, pinned", f.OwnerType, f.OwnerID, f.ExpiresAt, courseID)
	}

	for name, id := range map[string]int64{"claimed twice": pending, "not pending": other, "gone": 9999} {
		t.Run(name, func(t *testing.T) {
			err := d.InTx(ctx, func(tx *Queries) error { return tx.ClaimImportedFile(ctx, id, "course-import", courseID) })
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
	}
	if f, _ := d.FileByID(ctx, other); f.OwnerID != 7 {
		t.Fatalf("a file of another course changed owner: %+v", f)
	}
}
