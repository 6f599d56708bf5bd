package web

import (
	"fmt"
	"math"
	"time"

	"coursevault/views"
)

// when formats t for people, relative to now, in the school's zone.
func (s *Server) when(t time.Time) views.Time {
	if t.IsZero() {
		return views.Time{}
	}
	return views.Time{ISO: t.UTC().Format(time.RFC3339), Relative: relative(t, s.now()), Exact: t.In(s.cfg.Timezone).Format("2006-01-02 15:04 MST")}
}

// relative says how far t is from now: "just now", "3 minutes ago", "in 6 days".
func relative(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Second:
		s = "a minute"
	case d < 45*time.Minute:
		s = fmt.Sprintf("%d minutes", int(math.Round(d.Minutes())))
	case d < 90*time.Minute:
		s = "an hour"
	case d < 22*time.Hour:
		s = fmt.Sprintf("%d hours", int(math.Round(d.Hours())))
	case d < 36*time.Hour:
		s = "a day"
	default:
		s = fmt.Sprintf("%d days", int(math.Round(d.Hours()/24)))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}
