package db

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestExportMailRecipients(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	ids := map[string]int64{}
	var course, other int64
	err := d.InTx(ctx, func(tx *Queries) error {
		var err error
		if course, err = tx.InsertCourse(ctx, Course{Code: "PHYS101", Name: "Physics I", CreatedAt: now}); err != nil {
			return err
		}
		if other, err = tx.InsertCourse(ctx, Course{Code: "CHEM201", Name: "Chemistry II", CreatedAt: now}); err != nil {
			return err
		}
		for _, p := range []struct {
			email, role string
			course      int64
			disabled    bool
		}{
			{"admin@t.edu", RoleAdmin, course, false}, {"quiet-admin@t.edu", RoleAdmin, course, false},
			{"gone-admin@t.edu", RoleAdmin, course, true}, {"teacher@t.edu", RoleTeacher, course, false},
			{"other-admin@t.edu", RoleAdmin, other, false},
		} {
			id, err := tx.InsertUser(ctx, User{Email: p.email, Name: p.email, Disabled: p.disabled, CreatedAt: now})
			if err != nil {
				return err
			}
			ids[p.email] = id
			if _, err := tx.InsertMembership(ctx, Membership{CourseID: p.course, UserID: id, Role: p.role, CreatedAt: now}); err != nil {
				return err
			}
		}
		return tx.SetMailExports(ctx, ids["quiet-admin@t.edu"], false)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		requestedBy int64
		want        []string
	}{
		{"theRequester", ids["teacher@t.edu"], []string{"teacher@t.edu"}},
		{"aRequesterWhoTurnedItOffGetsNone", ids["quiet-admin@t.edu"], nil},
		{"aDisabledRequesterGetsNone", ids["gone-admin@t.edu"], nil},
		{"nobodyAskedTheCourseAdminsWithMailOn", 0, []string{"admin@t.edu"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us, err := d.ExportMailRecipients(ctx, course, tc.requestedBy)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range us {
				got = append(got, u.Email)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("recipients = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("mailSettingDoesNotMoveTheCourseDataVersion", func(t *testing.T) {
		before, _ := d.CourseByID(ctx, course)
		if err := d.InTx(ctx, func(tx *Queries) error { return tx.SetMailExports(ctx, ids["admin@t.edu"], false) }); err != nil {
			t.Fatal(err)
		}
		after, _ := d.CourseByID(ctx, course)
		if after.DataVersion != before.DataVersion {
			t.Fatalf("data_version %d -> %d", before.DataVersion, after.DataVersion)
		}
		if on, err := d.MailExports(ctx, ids["admin@t.edu"]); err != nil || on {
			t.Fatalf("MailExports = %v, %v; want off", on, err)
		}
	})
}
