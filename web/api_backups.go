package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/jobs/backups"
	"coursevault/jobs/courses"
)

// apiSchedule is a backup schedule in the JSON API. Day is a weekly
// schedule's day ("sunday"); Time is HH:MM in the server's time zone.
type apiSchedule struct {
	Frequency     string `json:"frequency"`
	Day           string `json:"day,omitempty"`
	Time          string `json:"time"`
	Keep          int    `json:"keep"`
	IncludeStdout bool   `json:"include_stdout"`
	IncludeFiles  bool   `json:"include_files"`
}

func toAPISchedule(s db.BackupSchedule) apiSchedule {
	a := apiSchedule{Frequency: s.Frequency, Time: backups.Clock(s.Minute), Keep: s.Keep,
		IncludeStdout: s.IncludeStdout, IncludeFiles: s.IncludeStatic}
	if s.Frequency == db.BackupWeekly {
		a.Day = strings.ToLower(time.Weekday(s.Weekday).String())
	}
	return a
}

// apiBackupCourse is one course of GET /api/backups.
type apiBackupCourse struct {
	ID        int64       `json:"id"`
	Code      string      `json:"code"`
	Name      string      `json:"name"`
	Schedule  apiSchedule `json:"schedule"`
	Inherited bool        `json:"inherited"` // follows the site default
	NextRun   *time.Time  `json:"next_run"`
	Failed    bool        `json:"failed"`
	Last      *apiExport  `json:"last_archive"`
	LastSkip  *apiExport  `json:"last_skip,omitempty"`
}

// apiBackups is GET /api/backups (site admins): the default schedule and
// every course with its schedule, last scheduled archive and next run,
// failures first, as Admin → Backups shows them.
func (s *Server) apiBackups(c echo.Context) error {
	ctx := c.Request().Context()
	def, err := s.db.BackupDefault(ctx)
	if err != nil {
		return err
	}
	list, err := s.backups.Overview(ctx)
	if err != nil {
		return err
	}
	out := struct {
		TimeZone string            `json:"time_zone"`
		Default  apiSchedule       `json:"default"`
		Courses  []apiBackupCourse `json:"courses"`
	}{TimeZone: s.cfg.Timezone.String(), Default: toAPISchedule(def), Courses: make([]apiBackupCourse, len(list))}
	for i, r := range list {
		a := apiBackupCourse{ID: r.CourseID, Code: r.Code, Name: r.Name, Schedule: toAPISchedule(r.Schedule),
			Inherited: !r.Override, Failed: r.Failed}
		if !r.NextRun.IsZero() {
			t := r.NextRun.UTC()
			a.NextRun = &t
		}
		if r.LastArchive != nil {
			e := toAPIExport(*r.LastArchive, r.DataVersion)
			a.Last = &e
		}
		if r.LastSkip != nil {
			e := toAPIExport(*r.LastSkip, r.DataVersion)
			a.LastSkip = &e
		}
		out.Courses[i] = a
	}
	return c.JSON(http.StatusOK, out)
}

const apiScheduleExample = `{"frequency": "weekly", "day": "sunday", "time": "02:00", "keep": 7, "include_stdout": false, "include_files": true}`

// readAPISchedule reads a schedule body; a wrong field is a 400 naming it.
// allowDefault takes {"frequency": "default"} (a course follows the default).
func readAPISchedule(c echo.Context, allowDefault bool) (sched backups.Schedule, useDefault bool, err error) {
	b := apiSchedule{IncludeFiles: true}
	if err := decodeJSONBody(c, &b, apiScheduleExample); err != nil {
		return sched, false, err
	}
	if allowDefault && b.Frequency == "default" {
		return sched, true, nil
	}
	keep := ""
	if b.Keep != 0 {
		keep = strconv.Itoa(b.Keep)
	}
	sched, err = backups.Parse(backups.Form{Frequency: b.Frequency, Day: b.Day, Time: b.Time, Keep: keep,
		IncludeStdout: b.IncludeStdout, IncludeStatic: b.IncludeFiles})
	if p := courses.Problems(err); p != nil {
		return sched, false, echo.NewHTTPError(http.StatusBadRequest, p.Error())
	}
	return sched, false, err
}

// apiPutCourseSchedule is PUT /api/courses/:id/exports/schedule (course
// admins): the course's schedule, or {"frequency": "default"}; answers the
// schedule in force and its next run.
func (s *Server) apiPutCourseSchedule(c echo.Context) error {
	ca := currentCourse(c)
	sched, useDefault, err := readAPISchedule(c, true)
	if err != nil {
		return err
	}
	b, err := s.backups.SetCourse(c.Request().Context(), ca.Course.ID, useDefault, sched, s.backupActor(c))
	if err != nil {
		return err
	}
	out := apiBackupCourse{ID: b.CourseID, Code: b.Code, Name: b.Name, Schedule: toAPISchedule(b.Schedule), Inherited: !b.Override}
	if t := s.backups.NextRun(b); !t.IsZero() {
		out.NextRun = &t
	}
	return c.JSON(http.StatusOK, out)
}

// apiPutBackupDefault is PUT /api/backups/default (site admins).
func (s *Server) apiPutBackupDefault(c echo.Context) error {
	sched, _, err := readAPISchedule(c, false)
	if err != nil {
		return err
	}
	if err := s.backups.SetDefault(c.Request().Context(), sched, s.backupActor(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAPISchedule(sched))
}
