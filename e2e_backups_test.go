package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestE2E_adminSchedulesArchivesWithTheKeyboard: the course admin sets a
// daily schedule on the Exports tab with the keyboard, sees a wrong time
// refused at the field and the next run once saved; the site admin sees the
// course on Admin → Backups.
func TestE2E_adminSchedulesArchivesWithTheKeyboard(t *testing.T) {
	t.Parallel()
	srv := startServer(t, t.TempDir(), "--timezone", "Europe/Berlin")
	b := newBrowser(t, srv.URL)
	b.signIn("instructor@demo.test")
	b.open("/courses/1/exports")
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}
	if next := b.text("#schedule-form-next"); next != "Next run: none, the schedule is off." {
		b.errorf("before a schedule: %q", next)
	}

	b.tabTo(`#schedule-form-frequency`)
	// Down from "Like the site default": Never, Every day.
	b.do("choose Every day", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown))
	var freq string
	b.eval(`document.getElementById("schedule-form-frequency").value`, &freq)
	if freq != "daily" {
		b.fatalf("two presses of Down chose %q, want daily", freq)
	}
	b.tabTo(`#schedule-form-time`)
	// A time control's segments follow the browser's locale (AM/PM or not);
	// the test sets the value a person would type.
	b.eval(`document.getElementById("schedule-form-time").value = ""`, nil)
	b.tabTo(`#schedule-form button[type=submit]`)
	b.do("press Enter on Save", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the error at the time field", `!!document.getElementById("schedule-form-time-error")`, 10*time.Second)
	if msg := b.text(`#schedule-form-time-error[role=alert]`); !strings.Contains(msg, "HH:MM") {
		b.errorf("the time error says %q", msg)
	}
	b.eval(`document.getElementById("schedule-form-time").value = "03:15"`, nil)
	b.tabTo(`#schedule-form-keep`)
	b.do("type keep 3", chromedp.KeyEvent(kb.End), chromedp.KeyEvent(kb.Backspace), chromedp.KeyEvent("3"))
	b.tabTo(`#schedule-form button[type=submit]`)
	b.do("press Enter on Save", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the saved notice", `(document.querySelector("#schedule-form [role=status]")?.textContent ?? "").includes("Schedule saved")`, 10*time.Second)
	if next := b.text("#schedule-form-next"); !strings.HasPrefix(next, "Next run: ") || !strings.Contains(next, "03:15 CE") {
		b.errorf("after saving: %q, want the next run at 03:15 Berlin time", next)
	}

	a := newBrowser(t, srv.URL)
	a.signIn("admin@demo.test")
	a.open("/admin/backups")
	if bad := a.unlabelled(); len(bad) > 0 {
		a.errorf("controls without an accessible name: %q", bad)
	}
	if row := a.text("#backups tbody"); !strings.Contains(row, "Daily at 03:15, with files, keep 3") {
		a.errorf("Admin → Backups does not show the course's schedule: %q", row)
	}
}
