package files

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPutStatic_reportsReplaceAndKeepsDeclaredType(t *testing.T) {
	fx := newFixture(t, Options{})
	ctx := context.Background()
	st, replaced, err := fx.s.PutStatic(ctx, 1, StaticInput{Path: "a/page.txt", ContentType: "text/html; charset=UTF-8", CreatedBy: 1}, strings.NewReader("<b>"))
	if err != nil || replaced || st.ID == 0 || st.Path != "a/page.txt" || st.File.ContentType != "text/html; charset=UTF-8" || st.File.CreatedBy != 1 {
		t.Fatalf("first put: %+v %v %v", st, replaced, err)
	}
	st2, replaced, err := fx.s.PutStatic(ctx, 1, StaticInput{Path: "a/page.txt", ContentType: "application/octet-stream"}, strings.NewReader("plain"))
	if err != nil || !replaced || st2.File.ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("replace: %+v %v %v", st2, replaced, err)
	}
	if _, err := fx.s.Get(ctx, st.File.Token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the replaced file is still there: %v", err)
	}
}

func TestPutStatic_overTheLimitStoresNothing(t *testing.T) {
	fx := newFixture(t, Options{})
	ctx := context.Background()
	_, _, err := fx.s.PutStatic(ctx, 1, StaticInput{Path: "big.bin", MaxSize: 10}, strings.NewReader(strings.Repeat("x", 11)))
	var se *SizeError
	if !errors.As(err, &se) || !errors.Is(err, ErrTooLarge) || se.Error() != "the file is larger than the limit of 10 B" {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := fx.s.PutStatic(ctx, 1, StaticInput{Path: "fits.bin", MaxSize: 10}, strings.NewReader(strings.Repeat("x", 10))); err != nil {
		t.Fatalf("exactly the limit: %v", err)
	}
	list, _ := fx.s.ListStatic(ctx, 1)
	if len(list) != 1 || list[0].Path != "fits.bin" || len(fx.dirNames(t)) != 1 {
		t.Fatalf("stored %+v, on disk %v", list, fx.dirNames(t))
	}
}

func TestRenameStatic(t *testing.T) {
	fx := newFixture(t, Options{})
	ctx := context.Background()
	a, _, _ := fx.s.PutStatic(ctx, 1, StaticInput{Path: "a.txt"}, strings.NewReader("a"))
	fx.s.PutStatic(ctx, 1, StaticInput{Path: "b.txt"}, strings.NewReader("b"))
	tests := []struct {
		name, to string
		want     error
	}{
		{"a clash", "b.txt", ErrPathTaken},
		{"a bad path", "../c.txt", &PathError{}},
		{"the same path", "a.txt", nil},
		{"a free path", "dir/Week 2.txt", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := fx.s.RenameStatic(ctx, 1, a.ID, tt.to)
			var pe *PathError
			switch {
			case tt.want == ErrPathTaken && !errors.Is(err, ErrPathTaken),
				tt.want != nil && tt.want != ErrPathTaken && !errors.As(err, &pe),
				tt.want == nil && (err != nil || st.Path != tt.to):
				t.Fatalf("RenameStatic(%q) = %+v, %v", tt.to, st, err)
			}
		})
	}
	got, err := fx.s.StaticByPath(ctx, 1, "dir/Week 2.txt")
	if err != nil || got.File.Filename != "Week_2.txt" || got.File.Token != a.File.Token {
		t.Fatalf("after rename: %+v %v", got, err)
	}
	if _, err := fx.s.RenameStatic(ctx, 2, a.ID, "x.txt"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another course's id: %v", err)
	}
}

func TestDeleteStatic_removesRowAndBytes(t *testing.T) {
	fx := newFixture(t, Options{})
	ctx := context.Background()
	st, _, _ := fx.s.PutStatic(ctx, 1, StaticInput{Path: "x.txt"}, strings.NewReader("x"))
	if err := fx.s.DeleteStatic(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.s.StaticByID(ctx, 1, st.ID); !errors.Is(err, ErrNotFound) || len(fx.dirNames(t)) != 0 {
		t.Fatalf("left: %v %v", err, fx.dirNames(t))
	}
	if err := fx.s.DeleteStatic(ctx, st); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting again: %v", err)
	}
}
