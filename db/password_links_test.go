package db

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// addUsers inserts users named by email and returns their ids in order.
func addUsers(t *testing.T, d *DB, emails ...string) []int64 {
	t.Helper()
	ctx := context.Background()
	ids := make([]int64, len(emails))
	err := d.InTx(ctx, func(tx *Queries) (err error) {
		for i, e := range emails {
			if ids[i], err = tx.InsertUser(ctx, User{Email: e, Name: "Name of " + e, CreatedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestPasswordLinks_onePendingAndOneUse(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	ids := addUsers(t, d, "ada@x.edu", "bob@x.edu")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	insert := func(user int64, hash string) int64 {
		t.Helper()
		var id int64
		err := d.InTx(ctx, func(tx *Queries) (err error) {
			id, err = tx.InsertPasswordLink(ctx, PasswordLink{UserID: user, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(72 * time.Hour)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	pending := func(hash string, at time.Time) error {
		_, _, err := d.PendingPasswordLink(ctx, hash, at)
		return err
	}
	insert(ids[0], "h1")
	insert(ids[1], "other")
	if l, u, err := d.PendingPasswordLink(ctx, "h1", now); err != nil || u.Email != "ada@x.edu" || l.UserID != ids[0] {
		t.Fatalf("pending h1: %+v %+v %v", l, u, err)
	}
	t.Run("a second link revokes the first", func(t *testing.T) {
		id2 := insert(ids[0], "h2")
		if err := pending("h1", now); !errors.Is(err, ErrNotFound) {
			t.Fatalf("h1 after h2: %v", err)
		}
		if err := pending("other", now); err != nil {
			t.Fatalf("another user's link was revoked: %v", err)
		}
		it, err := d.UserListItemByID(ctx, ids[0], now)
		if err != nil || !it.LinkExpires.Equal(now.Add(72*time.Hour)) {
			t.Fatalf("list item: %+v %v", it, err)
		}
		if err := d.InTx(ctx, func(tx *Queries) error { return tx.UsePasswordLink(ctx, id2, now) }); err != nil {
			t.Fatal(err)
		}
		if err := d.InTx(ctx, func(tx *Queries) error { return tx.UsePasswordLink(ctx, id2, now) }); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second use: %v", err)
		}
		if err := pending("h2", now); !errors.Is(err, ErrNotFound) {
			t.Fatalf("used link still pending: %v", err)
		}
	})
	t.Run("expires after its time", func(t *testing.T) {
		if err := pending("other", now.Add(72*time.Hour-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := pending("other", now.Add(72*time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Fatalf("at expiry: %v", err)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		var n int64
		err := d.InTx(ctx, func(tx *Queries) (err error) { n, err = tx.RevokePasswordLinks(ctx, ids[1], now); return err })
		if err != nil || n != 1 {
			t.Fatalf("revoke: %d %v", n, err)
		}
		if err := pending("other", now); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoked link still pending: %v", err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		if err := pending("nope", now); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	})
}

func TestUsers_searchAndPaging(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	var emails []string
	for i := range 7 {
		emails = append(emails, fmt.Sprintf("user%d@school.edu", i))
	}
	emails = append(emails, "ADA.Lovelace@x.edu", "under_score@x.edu", "percent@x.edu")
	ids := addUsers(t, d, emails...)
	now := time.Now()
	tests := []struct {
		search string
		want   int
	}{
		{"", 10},
		{"school", 7},
		{"ada", 1},         // case-insensitive, email
		{"NAME OF ADA", 1}, // and name
		{"_", 1},           // LIKE wildcards match themselves
		{"%", 0},
		{"nobody", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("search %q", tt.search), func(t *testing.T) {
			n, err := d.CountUsers(ctx, tt.search)
			if err != nil || n != tt.want {
				t.Fatalf("count = %d, %v; want %d", n, err, tt.want)
			}
			list, err := d.Users(ctx, tt.search, now, 50, 0)
			if err != nil || len(list) != tt.want {
				t.Fatalf("list = %d, %v; want %d", len(list), err, tt.want)
			}
		})
	}
	t.Run("pages", func(t *testing.T) {
		p1, _ := d.Users(ctx, "school", now, 3, 0)
		p3, _ := d.Users(ctx, "school", now, 3, 6)
		if len(p1) != 3 || p1[0].Email != "user0@school.edu" || len(p3) != 1 || p3[0].Email != "user6@school.edu" {
			t.Fatalf("pages: %v %v", p1, p3)
		}
	})
	t.Run("flags", func(t *testing.T) {
		err := d.InTx(ctx, func(tx *Queries) error {
			if err := tx.SetUserDisabled(ctx, ids[0], true); err != nil {
				return err
			}
			return tx.SetSiteAdmin(ctx, ids[0], true)
		})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := d.UserByID(ctx, ids[0])
		if !u.Disabled || !u.SiteAdmin {
			t.Fatalf("flags not set: %+v", u)
		}
		err = d.InTx(ctx, func(tx *Queries) error { return tx.SetUserDisabled(ctx, 9999, true) })
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}
