package db

import (
	"context"
	"fmt"
	"time"
)

// AuditEvent records who did what to which course, when and from where.
type AuditEvent struct {
	ID        int64
	At        time.Time
	UserID    int64 // 0: anonymous or system
	Action    string
	CourseID  int64 // 0: none
	Subject   string
	RemoteIP  string
	Detail    string
	Actor     string // who acted when not a person (a course token); UserID is then 0
	UserEmail string // filled in by AuditEvents
}

// InsertAuditEvent appends an event to the audit log.
func (q *Queries) InsertAuditEvent(ctx context.Context, e AuditEvent) error {
	_, err := q.q.ExecContext(ctx, `
		INSERT INTO audit_events (at, user_id, action, course_id, subject, remote_ip, detail, actor)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.At.UTC(), nullID(e.UserID), e.Action, nullID(e.CourseID), e.Subject, e.RemoteIP, e.Detail, e.Actor)
	if err != nil {
		return fmt.Errorf("db: audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditEvents lists a course's events, newest first; courseID 0 lists all.
func (q *Queries) AuditEvents(ctx context.Context, courseID int64, limit int) ([]AuditEvent, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT e.id, e.at, coalesce(e.user_id, 0), e.action, coalesce(e.course_id, 0), e.subject, e.remote_ip, e.detail,
		       e.actor, coalesce(u.email, '')
		  FROM audit_events e LEFT JOIN users u ON u.id = e.user_id
		 WHERE ?1 = 0 OR e.course_id = ?1
		 ORDER BY e.id DESC LIMIT ?2`, courseID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: list audit events: %w", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		if err := rows.Scan(&e.ID, &e.At, &e.UserID, &e.Action, &e.CourseID, &e.Subject, &e.RemoteIP, &e.Detail, &e.Actor, &e.UserEmail); err != nil {
			return nil, fmt.Errorf("db: list audit events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountRecentEvents counts events of action since a time, for one subject and
// for one address (sign-in throttling).
func (q *Queries) CountRecentEvents(ctx context.Context, action, subject, remoteIP string, since time.Time) (bySubject, byIP int, err error) {
	err = q.q.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM audit_events WHERE action = ? AND subject = ? AND at > ?),
		       (SELECT count(*) FROM audit_events WHERE action = ? AND remote_ip = ? AND at > ?)`,
		action, subject, since.UTC(), action, remoteIP, since.UTC()).Scan(&bySubject, &byIP)
	if err != nil {
		return 0, 0, fmt.Errorf("db: count recent %s: %w", action, err)
	}
	return bySubject, byIP, nil
}
