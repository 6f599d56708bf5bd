package jobs

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrDuplicate is returned by Retry when an identical job (same unique key) is
// already queued or running.
var ErrDuplicate = errors.New("an identical job is already queued or running")

// Causes of a handler's context being cancelled, told apart with context.Cause.
var (
	// ErrCancelled is the cause when a user asked to cancel the job.
	ErrCancelled = errors.New("the job was cancelled")
	// ErrShutdown is the cause when the process stops after its grace period;
	// the job is given back to the queue.
	ErrShutdown = errors.New("the worker is shutting down")
	// ErrLeaseLost is the cause when the runner could not renew the job's lease
	// in time and another worker may have claimed it.
	ErrLeaseLost = errors.New("the job's lease was lost")
)

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix (the course was deleted,
// the arguments are invalid): the job fails at once, whatever attempts are left.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// maxErrorLen bounds the error kept on the row: it is shown in a table cell.
const maxErrorLen = 300

// userMessage turns a handler's error into what the job row keeps and the UI
// shows: the error's first line, without Go's noise, within maxErrorLen.
func userMessage(err error) string {
	msg := strings.TrimSpace(err.Error())
	if line, _, ok := strings.Cut(msg, "\n"); ok {
		msg = strings.TrimSpace(line)
	}
	if msg == "" {
		msg = "The job failed without saying why."
	}
	if len(msg) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// panicMessage is what a user reads when a handler panicked; the stack goes
// to the log only.
func panicMessage(v any) string {
	return userMessage(fmt.Errorf("the job stopped on an internal error (%v)", v))
}

// Backoff policy of DefaultBackoff.
const (
	BackoffBase = 10 * time.Second
	BackoffMax  = time.Hour
)

// DefaultBackoff is the wait before retrying after failed attempt number
// attempt (1-based): 10 s, 20 s, 40 s, ... capped at an hour, each scaled by a
// random factor in [0.8, 1.2) so jobs that failed together do not retry in lockstep.
func DefaultBackoff(attempt int) time.Duration {
	d := BackoffBase
	for i := 1; i < attempt && d < BackoffMax; i++ {
		d *= 2
	}
	d = min(d, BackoffMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
