package backups

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/jobs/courses"
)

// Schedule is when a course's archive is made by itself, and how (see
// db.BackupSchedule: Minute is minutes after midnight in the school's zone).
type Schedule = db.BackupSchedule

// Limits of a schedule's keep.
const (
	MinKeep     = 1
	MaxKeep     = 1000
	DefaultKeep = 7
)

// Off is the schedule of a course that makes no archives by itself.
var Off = Schedule{Frequency: db.BackupOff, Minute: 2 * 60, IncludeStatic: true, Keep: DefaultKeep}

// Form is a schedule as a form or a command line gives it: words to check.
type Form struct {
	Frequency     string // off, daily, weekly
	Day           string // weekly: sunday..saturday, or sun..sat
	Time          string // HH:MM, 24-hour
	Keep          string // "" means DefaultKeep
	IncludeStdout bool
	IncludeStatic bool
}

// Parse checks a form and returns its schedule, or courses.Invalid naming
// each field that is wrong ("frequency", "day", "time", "keep").
func Parse(f Form) (Schedule, error) {
	var inv courses.Invalid
	add := func(field, msg string) { inv = append(inv, courses.FieldError{Field: field, Message: msg}) }
	s := Schedule{Frequency: strings.ToLower(strings.TrimSpace(f.Frequency)), IncludeStdout: f.IncludeStdout,
		IncludeStatic: f.IncludeStatic, Keep: DefaultKeep, Minute: Off.Minute}
	switch s.Frequency {
	case db.BackupOff, db.BackupDaily, db.BackupWeekly:
	default:
		add("frequency", "Choose off, daily or weekly.")
	}
	if s.Frequency == db.BackupWeekly {
		d, ok := ParseDay(f.Day)
		if !ok {
			add("day", "Choose a day of the week, such as Sunday.")
		}
		s.Weekday = int(d)
	}
	if s.Frequency != db.BackupOff || strings.TrimSpace(f.Time) != "" {
		m, ok := ParseClock(f.Time)
		if !ok {
			add("time", "Give a time of day as HH:MM, from 00:00 to 23:59.")
		}
		s.Minute = m
	}
	if k := strings.TrimSpace(f.Keep); k != "" {
		n, err := strconv.Atoi(k)
		if err != nil || n < MinKeep || n > MaxKeep {
			add("keep", fmt.Sprintf("Keep a whole number of archives from %d to %d.", MinKeep, MaxKeep))
		}
		s.Keep = n
	}
	if inv != nil {
		return Schedule{}, inv
	}
	return s, nil
}

// ParseClock reads "HH:MM" (24-hour) as minutes after midnight.
func ParseClock(v string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(v), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}

// ParseDay reads a day of the week by its English name or first three letters.
func ParseDay(v string) (time.Weekday, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if v == name || (len(v) == 3 && strings.HasPrefix(name, v)) {
			return d, true
		}
	}
	return 0, false
}

// Clock formats minutes after midnight as HH:MM.
func Clock(minute int) string { return fmt.Sprintf("%02d:%02d", minute/60, minute%60) }

// Describe says a schedule in words: "Off", "Daily at 02:00",
// "Weekly on Sunday at 02:00", with what it includes and keeps.
func Describe(s Schedule) string {
	var when string
	switch s.Frequency {
	case db.BackupDaily:
		when = "Daily at " + Clock(s.Minute)
	case db.BackupWeekly:
		when = fmt.Sprintf("Weekly on %s at %s", time.Weekday(s.Weekday), Clock(s.Minute))
	default:
		return "Off"
	}
	var with []string
	if s.IncludeStdout {
		with = append(with, "stdout")
	}
	if s.IncludeStatic {
		with = append(with, "files")
	}
	inc := "without stdout or files"
	if len(with) > 0 {
		inc = "with " + strings.Join(with, " and ")
	}
	return fmt.Sprintf("%s, %s, keep %d", when, inc, s.Keep)
}

// Next returns the first run of s strictly after after, in UTC, or the zero
// time when s is off. Times of day are wall-clock times in loc, so a run at
// 02:00 stays at 02:00 across daylight-saving changes. A time a spring
// change skips (02:30 when clocks jump from 02:00 to 03:00) runs at the
// change, the first moment after it; a time an autumn change repeats runs
// once, at its first occurrence.
func Next(s Schedule, after time.Time, loc *time.Location) time.Time {
	if s.Frequency != db.BackupDaily && s.Frequency != db.BackupWeekly {
		return time.Time{}
	}
	local := after.In(loc)
	y, m, d := local.Date()
	// From the day before (a run at the day's start can precede after's
	// local date in an odd zone) through eight days ahead, a week's cycle.
	for i := -1; i <= 8; i++ {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, time.UTC) // calendar arithmetic only
		if s.Frequency == db.BackupWeekly && int(day.Weekday()) != s.Weekday {
			continue
		}
		t := wallTime(day.Year(), day.Month(), day.Day(), s.Minute, loc)
		if t.After(after) {
			return t.UTC().Truncate(time.Second)
		}
	}
	return time.Time{} // cannot happen: every week has the day
}

// wallTime is the first instant whose wall clock in loc on that date reads
// minute (after midnight) or, if the clock skips it, the first instant after.
func wallTime(y int, mo time.Month, d, minute int, loc *time.Location) time.Time {
	want := time.Date(y, mo, d, minute/60, minute%60, 0, 0, time.UTC) // the wall time as if it were UTC
	// The candidate instants are the wall time less each offset in force
	// around it; a valid one reads the wall time back.
	var best time.Time
	offsets := map[int]bool{}
	for _, probe := range []time.Duration{-36 * time.Hour, 0, 36 * time.Hour} {
		_, off := want.Add(probe).In(loc).Zone()
		offsets[off] = true
	}
	for off := range offsets {
		t := want.Add(-time.Duration(off) * time.Second)
		if sameWall(t.In(loc), want) && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if !best.IsZero() {
		return best
	}
	// Skipped by a change of offset: the first instant whose wall clock is
	// past the wanted time is the change itself; find it by halving.
	lo, hi := want.Add(-14*time.Hour), want.Add(14*time.Hour) // wall(lo) < want <= wall(hi)
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if wallOf(mid.In(loc)).Before(want) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// wallOf is t's wall clock as if it were UTC.
func wallOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func sameWall(t, want time.Time) bool { return wallOf(t).Equal(want) }
