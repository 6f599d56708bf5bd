package backups

import (
	"context"
	"slices"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs/exports"
)

// A week of a daily schedule, an hour at a time: archives when the course
// changed, one listed skip row per unchanged stretch, the oldest pruned to
// keep 2, and an archive made by hand left alone.
func TestWeek_dailyRunsSkipsUnchangedAndKeepsTheLastN(t *testing.T) {
	f := newFixture(t, at(2026, 11, 2, 0, 0)) // Monday
	ctx := context.Background()
	f.setCourse(t, 1, Form{Frequency: "daily", Time: "02:00", Keep: "2", IncludeStatic: true})
	hand, _, err := f.ex.Request(ctx, exports.Request{CourseID: 1, UserID: 1, Kind: db.ExportArchive, IncludeStatic: true})
	if err != nil {
		t.Fatal(err)
	}
	// Day by day (each day: 00:00 → 24:00); the course changes before the
	// runs of days 3 and 5.
	var perDay [][]string
	for day := 1; day <= 7; day++ {
		if day == 3 || day == 5 {
			f.change(t, 1)
		}
		f.run(t, 24*time.Hour, time.Hour)
		perDay = append(perDay, f.scheduled(t, 1))
	}
	got := perDay[6]
	if !slices.Equal(got, []string{"ready", "skipped", "ready", "skipped x2"}) {
		t.Errorf("after a week the scheduled rows are %v, want [ready skipped ready skipped x2]; day by day: %v", got, perDay)
	}
	if !slices.Equal(perDay[1], []string{"ready", "skipped"}) || !slices.Equal(perDay[2], []string{"ready", "skipped", "ready"}) {
		t.Errorf("day by day: %v", perDay)
	}
	e, err := f.d.ExportByID(ctx, 1, hand.ID)
	if err != nil || e.Status() != db.ExportReady || e.Scheduled {
		t.Errorf("the archive made by hand: %+v, %v; want it ready and kept", e, err)
	}
	if n := f.audited(t, "backup.run"); n != 3 {
		t.Errorf("%d backup.run events, want 3", n)
	}
	if n := f.audited(t, "backup.skip"); n != 4 {
		t.Errorf("%d backup.skip events, want 4", n)
	}
	if n := f.audited(t, "backup.prune"); n != 1 {
		t.Errorf("%d backup.prune events, want 1 (day 1's archive)", n)
	}
	// The skip says since when nothing changed: day 5's archive.
	list, _ := f.d.Exports(ctx, 1, db.ExportArchive, 100)
	if s := list[0]; s.Skipped != 2 || s.SkippedSince == nil || s.SkippedSince.In(berlin).Format("01-02 15:04") != "11-06 02:00" {
		t.Errorf("newest row: skipped %d since %v, want 2 since 11-06 02:00", s.Skipped, s.SkippedSince)
	}
	// Course 2 has no schedule and the default is off: nothing.
	if got := f.scheduled(t, 2); len(got) != 0 {
		t.Errorf("course 2 without a schedule has scheduled rows %v", got)
	}
}

// Scheduled archives are pinned: keep, not the export TTL, ends them.
func TestScheduledArchive_isKeptUntilPrunedAndNamesTheSchedule(t *testing.T) {
	f := newFixture(t, at(2026, 11, 2, 1, 0))
	f.setCourse(t, 1, Form{Frequency: "daily", Time: "02:00", Keep: "1"})
	f.run(t, 2*time.Hour, time.Hour)
	e, err := f.d.LastScheduledArchive(context.Background(), 1)
	if err != nil || e.Status() != db.ExportReady {
		t.Fatalf("scheduled archive: %+v, %v", e, err)
	}
	if e.ExpiresAt != nil || e.RequestedBy != 0 || e.IncludeStatic || e.IncludeStdout {
		t.Errorf("scheduled archive: expires %v, requested by %d, static %t, stdout %t; want kept, by nobody, the schedule's options",
			e.ExpiresAt, e.RequestedBy, e.IncludeStatic, e.IncludeStdout)
	}
}

// The server is down for three days: the first tick after the restart runs
// the missed schedule once, and the next run is the coming 02:00.
func TestRestart_aMissedRunRunsOnceNotOncePerMissedDay(t *testing.T) {
	f := newFixture(t, at(2026, 11, 2, 0, 0))
	ctx := context.Background()
	f.setCourse(t, 1, Form{Frequency: "daily", Time: "02:00"})
	f.run(t, 3*time.Hour, time.Hour) // the run of 2 November
	f.change(t, 1)
	f.clock.Set(at(2026, 11, 5, 9, 17)) // down from 03:00 on the 2nd to 09:17 on the 5th
	f.start(t)
	f.run(t, time.Minute, time.Minute)
	if got := f.scheduled(t, 1); !slices.Equal(got, []string{"ready", "ready"}) {
		t.Errorf("after the restart: %v, want one more archive", got)
	}
	b, err := f.d.CourseBackup(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b.NextRunAt == nil || !b.NextRunAt.Equal(at(2026, 11, 6, 2, 0)) {
		t.Errorf("next run %v, want 2026-11-06 02:00 Berlin", b.NextRunAt)
	}
	if n := f.audited(t, "backup.run"); n != 2 {
		t.Errorf("%d backup.run events, want 2", n)
	}
}

// The site default schedules every course that does not override it.
func TestDefault_coursesFollowItUnlessTheyOverride(t *testing.T) {
	f := newFixture(t, at(2026, 11, 2, 0, 0))
	ctx := context.Background()
	def, err := Parse(Form{Frequency: "weekly", Day: "monday", Time: "03:00", Keep: "4", IncludeStdout: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetDefault(ctx, def, Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	f.setCourse(t, 2, Form{Frequency: "off"})
	f.run(t, 4*time.Hour, time.Hour)
	if got := f.scheduled(t, 1); !slices.Equal(got, []string{"ready"}) {
		t.Errorf("course 1 on the default: %v, want one archive", got)
	}
	if got := f.scheduled(t, 2); len(got) != 0 {
		t.Errorf("course 2 (off) has %v", got)
	}
	rows, err := f.svc.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.CourseID == 1 && (r.Override || r.Schedule.Keep != 4 || r.LastArchive == nil || !r.NextRun.Equal(at(2026, 11, 9, 3, 0))) {
			t.Errorf("overview of course 1: %+v", r)
		}
		if r.CourseID == 2 && (!r.Override || !r.NextRun.IsZero()) {
			t.Errorf("overview of course 2: %+v", r)
		}
	}
	// Back to the default: course 2 runs next Monday too.
	b, err := f.svc.SetCourse(ctx, 2, true, Schedule{}, Actor{Name: "test"})
	if err != nil || b.Override || f.svc.NextRun(b) != at(2026, 11, 9, 3, 0).UTC() {
		t.Errorf("course 2 back on the default: %+v, %v", b, err)
	}
	if n := f.audited(t, "backup.schedule"); n != 2 {
		t.Errorf("%d backup.schedule events, want 2", n)
	}
	if n := f.audited(t, "backup.default"); n != 1 {
		t.Errorf("%d backup.default events, want 1", n)
	}
}

// A failed scheduled archive sorts first on the overview, and the next run
// makes a new one instead of skipping.
func TestOverview_failuresFirstAndAFailureIsNotSkipped(t *testing.T) {
	f := newFixture(t, at(2026, 11, 2, 0, 0))
	ctx := context.Background()
	f.quota = 1 // every archive of this server fails: over the course quota
	f.start(t)
	f.setCourse(t, 2, Form{Frequency: "daily", Time: "01:00"})
	f.setCourse(t, 1, Form{Frequency: "daily", Time: "05:00"})
	f.run(t, 2*time.Hour, time.Hour)
	rows, err := f.svc.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rows[0].Failed || rows[0].CourseID != 2 || rows[0].LastArchive.Status() != db.ExportFailed {
		t.Errorf("first row: course %d failed %t; want course 2's failure first", rows[0].CourseID, rows[0].Failed)
	}
	f.quota = 0
	f.start(t)
	f.run(t, 24*time.Hour, time.Hour)
	if got := f.scheduled(t, 2); !slices.Equal(got, []string{"failed", "ready"}) {
		t.Errorf("after a failure the next run made %v, want [failed ready]", got)
	}
}

// Weeks across both daylight-saving changes, half an hour at a time, with
// the course changed every day: one archive a day, at 02:30 wall time, and
// on the spring day (no 02:30) at the change, 03:00.
func TestWeek_acrossDaylightSavingChangesOneRunADay(t *testing.T) {
	for _, tt := range []struct {
		name  string
		start time.Time
		want  []string
	}{
		{"spring", at(2026, 3, 26, 0, 0), []string{"03-26 02:30 CET", "03-27 02:30 CET", "03-28 02:30 CET",
			"03-29 03:00 CEST", "03-30 02:30 CEST", "03-31 02:30 CEST", "04-01 02:30 CEST"}},
		{"autumn", at(2026, 10, 22, 0, 0), []string{"10-22 02:30 CEST", "10-23 02:30 CEST", "10-24 02:30 CEST",
			"10-25 02:30 CEST", "10-26 02:30 CET", "10-27 02:30 CET", "10-28 02:30 CET"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.start)
			f.setCourse(t, 1, Form{Frequency: "daily", Time: "02:30", Keep: "20"})
			for range 7 {
				f.change(t, 1)
				f.run(t, 24*time.Hour, 30*time.Minute)
			}
			list, err := f.d.Exports(context.Background(), 1, db.ExportArchive, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := len(list) - 1; i >= 0; i-- {
				got = append(got, list[i].CreatedAt.In(berlin).Format("01-02 15:04 MST"))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("runs at\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}
