package mail

import (
	"context"
	"fmt"
	"strings"

	"coursevault/db"
)

// ExportDone queues the mails about an export that just became ready
// (failure "") or failed (failure is the reason), inside tx, the transaction
// that records it: the person who asked gets one mail; an export nobody asked
// for (a scheduled one) mails the course's admins when it fails, and no one
// when it is ready. People who turned the mail off, or are disabled, get none.
// With mail off it does nothing.
func (s *Service) ExportDone(ctx context.Context, tx *db.Queries, e db.ExportView, failure string) error {
	if !s.Enabled() || (failure == "" && e.RequestedBy == 0) {
		return nil
	}
	to, err := tx.ExportMailRecipients(ctx, e.CourseID, e.RequestedBy)
	if err != nil || len(to) == 0 {
		return err
	}
	c, err := tx.CourseByID(ctx, e.CourseID)
	if err != nil {
		return fmt.Errorf("mail: the course of export %d: %w", e.ID, err)
	}
	for _, u := range to {
		m := s.exportMessage(c, e, failure, u)
		if err := s.Queue(ctx, tx, m); err != nil {
			return err
		}
	}
	return nil
}

// exportMessage writes the mail about export e to u. It links to the page
// that lists the export, never to the file: the link still needs a sign-in.
func (s *Service) exportMessage(c db.Course, e db.ExportView, failure string, u db.User) Message {
	what := "course archive"
	page := fmt.Sprintf("%s/courses/%d/exports", s.cfg.BaseURL, c.ID) // the Exports tab
	pageName := "Exports tab"
	if e.Kind == db.ExportBook {
		what = "performance book"
		page = fmt.Sprintf("%s/courses/%d/performance", s.cfg.BaseURL, c.ID) // where books are listed
		pageName = "Performance tab"
	}
	course := c.Code + " (" + c.Name
	if c.Term != "" {
		course += ", " + c.Term
	}
	course += ")"
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", u.Name)
	var subject string
	switch {
	case failure == "":
		subject = fmt.Sprintf("%s: your %s is ready", c.Code, what)
		fmt.Fprintf(&b, "The %s of %s you asked for is ready", what, course)
		if e.Filename != "" {
			fmt.Fprintf(&b, ": %s", e.Filename)
		}
		fmt.Fprintf(&b, ".\n\nDownload it from the course's %s (you will be asked to sign in):\n%s\n", pageName, page)
	case e.RequestedBy == 0:
		subject = fmt.Sprintf("%s: a scheduled %s failed", c.Code, what)
		fmt.Fprintf(&b, "A scheduled %s of %s failed:\n\n    %s\n\n", what, course, failure)
		fmt.Fprintf(&b, "See it, and retry it, on the course's %s:\n%s\n", pageName, page)
		fmt.Fprintf(&b, "\nYou get this mail as an admin of %s.\n", c.Code)
	default:
		subject = fmt.Sprintf("%s: your %s failed", c.Code, what)
		fmt.Fprintf(&b, "The %s of %s you asked for failed:\n\n    %s\n\n", what, course, failure)
		fmt.Fprintf(&b, "You can retry it on the course's %s:\n%s\n", pageName, page)
	}
	fmt.Fprintf(&b, "\nTo stop these mails, untick \"Mail me when my exports are ready or fail\" on your Account page:\n%s/account\n", s.cfg.BaseURL)
	return Message{To: u.Email, Name: u.Name, UserID: u.ID, CourseID: c.ID, Subject: subject, Text: b.String()}
}
