package perfbook

import (
	"context"
	"slices"
	"testing"
	"time"

	"coursevault/db"
)

func familyNames(students []Student) []string {
	var out []string
	for _, s := range students {
		out = append(out, s.FamilyName)
	}
	return out
}

func TestWindow_periodSearchSortAndPage(t *testing.T) {
	d := openDB(t)
	s := seedCourse(t, d, bookSpec())
	b, err := Load(context.Background(), d.Queries, s.courseID)
	if err != nil {
		t.Fatal(err)
	}
	hw1 := b.Assignments[0].ID
	for _, tc := range []struct {
		name    string
		q       Query
		want    []string
		matches int
		pages   int
	}{
		{"everyone by name", Query{}, []string{"Hopper", "Lovelace", "Turing"}, 3, 1},
		{"a period", Query{HasPeriod: true, Period: s.periods["Period 1"]}, []string{"Hopper", "Lovelace"}, 2, 1},
		{"search by given name, any case", Query{Search: "ADA"}, []string{"Lovelace"}, 1, 1},
		{"search by student id", Query{Search: "0042"}, []string{"Turing"}, 1, 1},
		{"search finding nobody", Query{Search: "zz"}, nil, 0, 1},
		{"names reversed", Query{Sort: Sort{Desc: true}}, []string{"Turing", "Lovelace", "Hopper"}, 3, 1},
		{"by an assignment, blank last", Query{Sort: Sort{By: SortAssignment, Assignment: hw1}}, []string{"Lovelace", "Turing", "Hopper"}, 3, 1},
		{"by an assignment, descending, blank still last", Query{Sort: Sort{By: SortAssignment, Assignment: hw1, Desc: true}}, []string{"Turing", "Lovelace", "Hopper"}, 3, 1},
		{"by average", Query{Sort: Sort{By: SortAverage}}, []string{"Lovelace", "Turing", "Hopper"}, 3, 1},
		{"by student id (text)", Query{Sort: Sort{By: SortStudentID}}, []string{"Lovelace", "Turing", "Hopper"}, 3, 1},
		{"second page of two", Query{PerPage: 2, Page: 2}, []string{"Turing"}, 3, 2},
		{"a page past the end is the last", Query{PerPage: 2, Page: 9}, []string{"Turing"}, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := b.Window(tc.q)
			if got := familyNames(w.Rows); !slices.Equal(got, tc.want) || w.Matches != tc.matches || w.Pages != tc.pages {
				t.Fatalf("rows %q, %d matches, %d pages; want %q, %d, %d", got, w.Matches, w.Pages, tc.want, tc.matches, tc.pages)
			}
		})
	}
	// The period's averages are the period's, whatever the search.
	w := b.Window(Query{HasPeriod: true, Period: s.periods["Period 1"], Search: "grace"})
	approx(t, "Period 1 HW 1 average", w.Book.Assignments[0].Average, 0.8)
	if familyNames(b.Students)[0] != "Hopper" {
		t.Fatal("a window changed the book's order")
	}
}

func TestCache_keepsTheBookUntilTheDataVersionMoves(t *testing.T) {
	d := openDB(t)
	s := seedCourse(t, d, bookSpec())
	ctx := context.Background()
	var c Cache
	first, err := c.Load(ctx, d, s.courseID)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.Load(ctx, d, s.courseID)
	if &again.Students[0].Cells[0] != &first.Students[0].Cells[0] {
		t.Fatal("an unchanged course was loaded again")
	}
	// Grace (no scores yet) gets one: the score's trigger moves the version.
	err = d.InTx(ctx, func(tx *db.Queries) error {
		set, err := tx.PrepareSetScore(ctx)
		if err != nil {
			return err
		}
		defer set.Close()
		return set.Exec(ctx, s.assignments[0], s.students[2], 0.5, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := c.Load(ctx, d, s.courseID)
	approx(t, "Hopper HW 1 after the write", fresh.Students[0].Cells[0].Score(), 0.5)

	other := seedCourse(t, d, courseSpec{name: "Other", code: "O1", students: []studentSpec{{given: "A", family: "B"}}})
	small := Cache{Size: 1}
	small.Load(ctx, d, s.courseID)
	small.Load(ctx, d, other.courseID)
	if len(small.books) != 1 || small.books[0].Course.ID != other.courseID {
		t.Fatalf("a cache of one book keeps %d", len(small.books))
	}
	if _, err := c.Load(ctx, d, 999999); err == nil {
		t.Fatal("an unknown course loaded")
	}
}
