package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/backups"
	"coursevault/jobs/courses"
)

// runBackup is coursevault backup schedule|list.
func runBackup(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: expected schedule or list", errUsage)
	}
	switch args[0] {
	case "schedule":
		return backupSchedule(ctx, args[1:], stdout)
	case "list":
		return backupList(ctx, args[1:], stdout)
	}
	return fmt.Errorf("%w: expected schedule or list, not %q", errUsage, args[0])
}

// timezoneFlag adds --timezone, the school's zone schedules are read in
// (the same flag and COURSEVAULT_TIMEZONE as serve).
func (f flags) timezone() *string {
	return f.String("timezone", "", "the school's time zone for shown times, file names and backup schedules, e.g. Europe/Berlin (default: the server's) (COURSEVAULT_TIMEZONE)")
}

// loadZone reads --timezone; empty is the machine's local zone.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.Local, nil
	}
	tz, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: --timezone %q is not a known time zone", errUsage, name)
	}
	return tz, nil
}

// joinWeekly lets "--weekly sun 02:00" pass as the one value "sun 02:00".
func joinWeekly(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if (a == "--weekly" || a == "-weekly") && i+2 < len(args) && !strings.Contains(args[i+1], ":") &&
			!strings.HasPrefix(args[i+2], "-") && strings.Contains(args[i+2], ":") {
			out = append(out, a, args[i+1]+" "+args[i+2])
			i += 2
			continue
		}
		out = append(out, a)
	}
	return out
}

func backupSchedule(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("backup schedule")
	dataDir := f.dataDir()
	zone := f.timezone()
	courseRef := f.String("course", "", "course id or code")
	site := f.Bool("site-default", false, "set the site-wide default every course follows unless it has its own")
	daily := f.String("daily", "", "run every day at HH:MM (24-hour, in --timezone)")
	weekly := f.String("weekly", "", `run every week: "DAY HH:MM", e.g. sun 02:00`)
	off := f.Bool("off", false, "make no archives by schedule")
	useDefault := f.Bool("default", false, "make the course follow the site default again")
	keep := f.Int("keep", backups.DefaultKeep, "scheduled archives kept; older ones are deleted (archives made by hand never are)")
	stdoutFlag := f.Bool("include-stdout", false, "include build and test output")
	filesFlag := f.Bool("include-files", false, "include the course's static files")
	if err := f.parse(joinWeekly(args)); err != nil {
		return err
	}
	modes := 0
	for _, set := range []bool{*daily != "", *weekly != "", *off, *useDefault} {
		if set {
			modes++
		}
	}
	switch {
	case (*courseRef == "") == !*site:
		return fmt.Errorf("%w: give --course ID|CODE or --site-default", errUsage)
	case modes != 1:
		return fmt.Errorf("%w: give one of --daily HH:MM, --weekly DAY HH:MM, --off or --default", errUsage)
	case *site && *useDefault:
		return fmt.Errorf("%w: --default is for a course (--course)", errUsage)
	}
	tz, err := loadZone(*zone)
	if err != nil {
		return err
	}
	form := backups.Form{Frequency: db.BackupOff, Keep: fmt.Sprint(*keep), IncludeStdout: *stdoutFlag, IncludeStatic: *filesFlag}
	switch {
	case *daily != "":
		form.Frequency, form.Time = db.BackupDaily, *daily
	case *weekly != "":
		form.Frequency = db.BackupWeekly
		form.Day, form.Time, _ = strings.Cut(strings.TrimSpace(*weekly), " ")
	}
	var sched backups.Schedule
	if !*useDefault {
		if sched, err = backups.Parse(form); err != nil {
			return scheduleProblem(err)
		}
	}
	d, err := openDB(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	// Setting a schedule queues nothing: no exports service, no runner.
	svc := backups.New(d, nil, tz, nil, nil)
	by := backups.Actor{Name: "the command line"}
	if *site {
		if err := svc.SetDefault(ctx, sched, by); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "default: %s\n", backups.Describe(sched))
		return nil
	}
	course, err := findCourse(ctx, d, *courseRef)
	if err != nil {
		return err
	}
	b, err := svc.SetCourse(ctx, course.ID, *useDefault, sched, by)
	if err != nil {
		return err
	}
	line := backups.Describe(b.Schedule)
	if *useDefault {
		line += " (site default)"
	}
	fmt.Fprintf(stdout, "%s: %s\n", course.Code, line)
	if next := svc.NextRun(b); !next.IsZero() {
		fmt.Fprintf(stdout, "next run: %s\n", next.In(tz).Format("Mon 2006-01-02 15:04 MST"))
	}
	return nil
}

// scheduleProblem names the flag of a wrong schedule field.
func scheduleProblem(err error) error {
	p := courses.Problems(err)
	if p == nil {
		return err
	}
	msgs := make([]string, len(p))
	for i, e := range p {
		flag := map[string]string{"time": "--daily/--weekly time", "day": "--weekly day", "keep": "--keep"}[e.Field]
		if flag == "" {
			flag = e.Field
		}
		msgs[i] = flag + ": " + e.Message
	}
	return fmt.Errorf("%w: %s", errUsage, strings.Join(msgs, "; "))
}

// backupList prints every course's schedule, last scheduled archive and next
// run, failures first.
func backupList(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("backup list")
	dataDir := f.dataDir()
	zone := f.timezone()
	if err := f.parse(args); err != nil {
		return err
	}
	tz, err := loadZone(*zone)
	if err != nil {
		return err
	}
	d, err := openDB(ctx, *dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	def, err := d.BackupDefault(ctx)
	if err != nil {
		return err
	}
	rows, err := backups.New(d, nil, tz, nil, nil).Overview(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Default: %s (times in %s)\n", backups.Describe(def), tz)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COURSE\tSCHEDULE\tLAST ARCHIVE\tSTATUS\tSIZE\tNEXT RUN")
	when := func(t time.Time) string { return t.In(tz).Format("2006-01-02 15:04") }
	for _, r := range rows {
		sched := backups.Describe(r.Schedule)
		if !r.Override {
			sched += " (default)"
		}
		last, status, size, next := "-", "-", "-", "-"
		if e := r.LastArchive; e != nil {
			last, status = when(e.CreatedAt), e.Status()
			if e.FileID != 0 {
				size = files.FormatSize(e.Size)
			}
			if status == db.ExportFailed && e.LastError != "" {
				status += ": " + e.LastError
			}
		}
		if r.LastSkip != nil {
			status += fmt.Sprintf(" (then %d skipped: unchanged)", r.LastSkip.Skipped)
		}
		if !r.NextRun.IsZero() {
			next = when(r.NextRun)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Code, sched, last, status, size, next)
	}
	return tw.Flush()
}
