package jobs

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"coursevault/db"
)

// States lists the job states, for validating --state.
var States = []string{db.JobQueued, db.JobRunning, db.JobSucceeded, db.JobFailed, db.JobCancelled}

// listLimit bounds the rows `coursevault jobs` prints.
const listLimit = 200

// WriteList prints the newest jobs (of one state, or all when state is "") as
// the table `coursevault jobs` shows: id, kind, state, attempts, progress,
// times in UTC, the worker running it (host:pid:random) and the last error.
func WriteList(ctx context.Context, w io.Writer, d *db.DB, state string) error {
	if state != "" && !slices.Contains(States, state) {
		return fmt.Errorf("jobs: unknown state %q (want one of %v)", state, States)
	}
	js, err := d.ListJobs(ctx, state, listLimit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATE\tATTEMPTS\tPROGRESS\tCREATED\tSTARTED\tFINISHED\tWORKER\tERROR")
	for _, j := range js {
		worker := "-"
		if j.State == db.JobRunning {
			worker = j.LockedBy
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%s\t%s\n",
			j.ID, j.Kind, stateText(j), j.Attempt, j.MaxAttempts, progressText(j),
			timeText(&j.CreatedAt), timeText(j.StartedAt), timeText(j.FinishedAt), worker, j.LastError)
	}
	if len(js) == 0 {
		fmt.Fprintln(tw, "(no jobs)")
	}
	return tw.Flush()
}

func stateText(j db.Job) string {
	if j.State == db.JobRunning && j.CancelRequested {
		return "cancelling"
	}
	if j.State == db.JobQueued && j.Attempt > 0 {
		return "retrying"
	}
	return j.State
}

func progressText(j db.Job) string {
	var s string
	switch {
	case j.Total > 0:
		s = fmt.Sprintf("%d/%d (%d%%)", j.Done, j.Total, j.Done*100/j.Total)
	case j.Done > 0:
		s = fmt.Sprint(j.Done)
	default:
		s = "-"
	}
	if j.Note != "" {
		s += " " + j.Note
	}
	return s
}

func timeText(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
