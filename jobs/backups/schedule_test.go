package backups

import (
	"errors"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs/courses"
)

func TestNext_runsAtTheWallClockTimeInTheSchoolsZone(t *testing.T) {
	daily2 := Schedule{Frequency: db.BackupDaily, Minute: 2 * 60, Keep: 7}
	daily230 := Schedule{Frequency: db.BackupDaily, Minute: 2*60 + 30, Keep: 7}
	sunday := Schedule{Frequency: db.BackupWeekly, Weekday: int(time.Sunday), Minute: 23*60 + 45, Keep: 7}
	utc := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		s     Schedule
		after time.Time
		want  time.Time
	}{
		{"later the same day", daily2, at(2026, 11, 2, 1, 0), utc(2026, 11, 2, 1, 0)},
		{"exactly at the run: the next day's", daily2, at(2026, 11, 2, 2, 0), utc(2026, 11, 3, 1, 0)},
		{"after today's run: tomorrow's", daily2, at(2026, 11, 2, 9, 0), utc(2026, 11, 3, 1, 0)},
		{"in summer the same wall time is an hour earlier in UTC", daily2, at(2026, 7, 1, 9, 0), utc(2026, 7, 2, 0, 0)},
		{"the night before spring forward: still winter time", daily2, at(2026, 3, 27, 9, 0), utc(2026, 3, 28, 1, 0)},
		{"02:00 does not exist on 29 March: runs at the change (03:00 summer time)", daily2, at(2026, 3, 28, 9, 0), utc(2026, 3, 29, 1, 0)},
		{"02:30 does not exist on 29 March: runs at the change", daily230, at(2026, 3, 28, 9, 0), utc(2026, 3, 29, 1, 0)},
		{"the night after spring forward: 02:00 summer time", daily2, at(2026, 3, 29, 9, 0), utc(2026, 3, 30, 0, 0)},
		{"02:30 happens twice on 25 October: the first", daily230, at(2026, 10, 24, 9, 0), utc(2026, 10, 25, 0, 30)},
		{"after the first 02:30 of 25 October: not the second, the next day's", daily230, utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)},
		{"weekly: the coming Sunday", sunday, at(2026, 11, 4, 12, 0), utc(2026, 11, 8, 22, 45)},
		{"weekly: on Sunday after the run, a week later", sunday, at(2026, 11, 8, 23, 50), utc(2026, 11, 15, 22, 45)},
		{"off never runs", Off, at(2026, 11, 4, 12, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Next(tt.s, tt.after, berlin); !got.Equal(tt.want) {
				t.Errorf("Next after %s = %s (%s), want %s", tt.after.In(berlin), got, got.In(berlin), tt.want)
			}
		})
	}
}

func TestNext_aYearOfDailyRunsIsOnePerDay(t *testing.T) {
	s := Schedule{Frequency: db.BackupDaily, Minute: 2*60 + 30, Keep: 7}
	after := at(2026, 1, 1, 12, 0)
	days := map[string]bool{}
	for range 365 {
		next := Next(s, after, berlin)
		if !next.After(after) {
			t.Fatalf("Next(%s) = %s, not after", after, next)
		}
		day := next.In(berlin).Format("2006-01-02")
		if days[day] {
			t.Fatalf("two runs on %s", day)
		}
		days[day] = true
		after = next
	}
	if len(days) != 365 {
		t.Errorf("%d days with a run, want 365", len(days))
	}
}

func TestParse_namesEachWrongField(t *testing.T) {
	tests := []struct {
		name   string
		form   Form
		fields []string
	}{
		{"daily without a time", Form{Frequency: "daily"}, []string{"time"}},
		{"an hour past 23", Form{Frequency: "daily", Time: "24:00"}, []string{"time"}},
		{"weekly without a day", Form{Frequency: "weekly", Time: "02:00"}, []string{"day"}},
		{"an unknown frequency", Form{Frequency: "hourly", Time: "02:00"}, []string{"frequency"}},
		{"keep zero", Form{Frequency: "daily", Time: "02:00", Keep: "0"}, []string{"keep"}},
		{"keep not a number, bad time", Form{Frequency: "daily", Time: "2am", Keep: "many"}, []string{"time", "keep"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.form)
			var inv courses.Invalid
			if !errors.As(err, &inv) || len(inv) != len(tt.fields) {
				t.Fatalf("Parse(%+v) = %v, want errors for %v", tt.form, err, tt.fields)
			}
			for i, f := range tt.fields {
				if inv[i].Field != f {
					t.Errorf("error %d is for %q, want %q", i, inv[i].Field, f)
				}
			}
		})
	}
	s, err := Parse(Form{Frequency: "Weekly", Day: "sun", Time: "2:05", Keep: "3", IncludeStatic: true})
	if err != nil || s.Weekday != 0 || s.Minute != 125 || s.Keep != 3 || Describe(s) != "Weekly on Sunday at 02:05, with files, keep 3" {
		t.Errorf("Parse weekly = %+v (%q), %v", s, Describe(s), err)
	}
}
