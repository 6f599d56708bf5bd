package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// User is a person who can sign in (or, with an empty password hash, cannot).
type User struct {
	ID           int64
	Email        string
	Name         string
	GivenName    string
	FamilyName   string
	PasswordHash string
	SiteAdmin    bool
	Disabled     bool
	CreatedAt    time.Time
}

const userColumns = `id, email, name, given_name, family_name, password_hash, site_admin, disabled, created_at`

func scanUser(s interface{ Scan(...any) error }) (User, error) {
	var u User
	err := s.Scan(&u.ID, &u.Email, &u.Name, &u.GivenName, &u.FamilyName, &u.PasswordHash, &u.SiteAdmin, &u.Disabled, &u.CreatedAt)
	return u, err
}

// InsertUser creates a user and returns its id. A taken email fails with a
// unique violation (see IsUniqueViolation).
func (q *Queries) InsertUser(ctx context.Context, u User) (int64, error) {
	return insertUser(ctx, q.q.QueryRowContext, u)
}

const insertUserSQL = `
		INSERT INTO users (email, name, given_name, family_name, password_hash, site_admin, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

func insertUser(ctx context.Context, query func(context.Context, string, ...any) *sql.Row, u User) (int64, error) {
	var id int64
	err := query(ctx, insertUserSQL, u.Email, u.Name, u.GivenName, u.FamilyName, u.PasswordHash, u.SiteAdmin, u.Disabled, u.CreatedAt.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert user %s: %w", u.Email, err)
	}
	return id, nil
}

// UserInsert inserts users with one prepared statement (a roster's new people).
type UserInsert struct{ stmt *sql.Stmt }

// PrepareInsertUser prepares InsertUser for many users; Close it when done.
func (q *Queries) PrepareInsertUser(ctx context.Context) (*UserInsert, error) {
	stmt, err := q.q.PrepareContext(ctx, insertUserSQL)
	if err != nil {
		return nil, fmt.Errorf("db: prepare insert user: %w", err)
	}
	return &UserInsert{stmt}, nil
}

// Exec inserts u and returns its id.
func (p *UserInsert) Exec(ctx context.Context, u User) (int64, error) {
	return insertUser(ctx, func(ctx context.Context, _ string, args ...any) *sql.Row {
		return p.stmt.QueryRowContext(ctx, args...)
	}, u)
}

// Close releases the statement.
func (p *UserInsert) Close() error { return p.stmt.Close() }

// UserByID returns the user with id.
func (q *Queries) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(q.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return User{}, notFound(err, fmt.Sprintf("user %d", id))
	}
	return u, nil
}

// UserByEmail returns the user with email, compared case-insensitively.
func (q *Queries) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(q.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	if err != nil {
		return User{}, notFound(err, "user by email")
	}
	return u, nil
}

// SetPassword replaces a user's password hash.
func (q *Queries) SetPassword(ctx context.Context, userID int64, hash string) error {
	if _, err := q.q.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID); err != nil {
		return fmt.Errorf("db: set password of user %d: %w", userID, err)
	}
	return nil
}

// UserListItem is a user as Admin → Users lists them.
type UserListItem struct {
	User
	Courses     int       // memberships, any role
	LinkExpires time.Time // of the pending set-password link; zero when none
}

// userListSelect reads UserListItems; ?1 is now (a link expired by then is
// not pending). The trigger of migration 0011 keeps at most one unused,
// unrevoked link per user, so the join adds no rows.
const userListSelect = `
	SELECT u.id, u.email, u.name, u.given_name, u.family_name, u.password_hash, u.site_admin, u.disabled, u.created_at,
	       (SELECT count(*) FROM memberships m WHERE m.user_id = u.id), l.expires_at
	  FROM users u
	  LEFT JOIN password_links l ON l.user_id = u.id AND l.used_at IS NULL AND l.revoked_at IS NULL AND l.expires_at > ?1`

func scanUserListItem(s interface{ Scan(...any) error }) (UserListItem, error) {
	var it UserListItem
	var link sql.NullTime
	err := s.Scan(&it.ID, &it.Email, &it.Name, &it.GivenName, &it.FamilyName, &it.PasswordHash, &it.SiteAdmin, &it.Disabled, &it.CreatedAt,
		&it.Courses, &link)
	it.LinkExpires = link.Time
	return it, err
}

// likePattern matches search as a substring in LIKE ... ESCAPE '\' (which
// ignores ASCII case): its own % and _ match only themselves.
func likePattern(search string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(search) + "%"
}

// Users lists the users whose email or name contains search (any case; ""
// lists all), by email, limit at a time from offset.
func (q *Queries) Users(ctx context.Context, search string, now time.Time, limit, offset int) ([]UserListItem, error) {
	rows, err := q.q.QueryContext(ctx, userListSelect+`
		 WHERE ?2 = '' OR u.email LIKE ?3 ESCAPE '\' OR u.name LIKE ?3 ESCAPE '\'
		 ORDER BY u.email LIMIT ?4 OFFSET ?5`, now.UTC(), search, likePattern(search), limit, offset)
	if err != nil {
		return nil, fmt.Errorf("db: list users matching %q: %w", search, err)
	}
	defer rows.Close()
	var out []UserListItem
	for rows.Next() {
		it, err := scanUserListItem(rows)
		if err != nil {
			return nil, fmt.Errorf("db: list users matching %q: %w", search, err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// CountUsers counts the users Users lists for search.
func (q *Queries) CountUsers(ctx context.Context, search string) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `
		SELECT count(*) FROM users u WHERE ?1 = '' OR u.email LIKE ?2 ESCAPE '\' OR u.name LIKE ?2 ESCAPE '\'`,
		search, likePattern(search)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: count users matching %q: %w", search, err)
	}
	return n, nil
}

// UserListItemByID returns one user as Users lists them (a row to redraw).
func (q *Queries) UserListItemByID(ctx context.Context, id int64, now time.Time) (UserListItem, error) {
	it, err := scanUserListItem(q.q.QueryRowContext(ctx, userListSelect+` WHERE u.id = ?2`, now.UTC(), id))
	if err != nil {
		return UserListItem{}, notFound(err, fmt.Sprintf("user %d", id))
	}
	return it, nil
}

// SetUserDisabled disables or enables a user. A disabled user's sessions and
// personal tokens stop working at once: both lookups check the flag.
func (q *Queries) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	res, err := q.q.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, id)
	if err != nil {
		return fmt.Errorf("db: set disabled of user %d: %w", id, err)
	}
	return rowAffected(res, fmt.Sprintf("set disabled of user %d", id))
}

// SetSiteAdmin makes a user a site admin or takes it away.
func (q *Queries) SetSiteAdmin(ctx context.Context, id int64, admin bool) error {
	res, err := q.q.ExecContext(ctx, `UPDATE users SET site_admin = ? WHERE id = ?`, admin, id)
	if err != nil {
		return fmt.Errorf("db: set site admin of user %d: %w", id, err)
	}
	return rowAffected(res, fmt.Sprintf("set site admin of user %d", id))
}

// UpdateUserNames replaces a user's display, given and family names.
func (q *Queries) UpdateUserNames(ctx context.Context, userID int64, name, given, family string) error {
	res, err := q.q.ExecContext(ctx, `UPDATE users SET name = ?, given_name = ?, family_name = ? WHERE id = ?`, name, given, family, userID)
	if err != nil {
		return fmt.Errorf("db: rename user %d: %w", userID, err)
	}
	return rowAffected(res, fmt.Sprintf("rename user %d", userID))
}

// SetLastSignIn records when a user signed in.
func (q *Queries) SetLastSignIn(ctx context.Context, userID int64, at time.Time) error {
	if _, err := q.q.ExecContext(ctx, `UPDATE users SET last_signin_at = ? WHERE id = ?`, at.UTC(), userID); err != nil {
		return fmt.Errorf("db: note the sign-in of user %d: %w", userID, err)
	}
	return nil
}

// UsersByEmails returns the users with these emails (compared
// case-insensitively), keyed by lower-case email: one query for a whole roster.
func (q *Queries) UsersByEmails(ctx context.Context, emails []string) (map[string]User, error) {
	list, err := json.Marshal(emails)
	if err != nil {
		return nil, fmt.Errorf("db: look up %d users by email: %w", len(emails), err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE email IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("db: look up %d users by email: %w", len(emails), err)
	}
	defer rows.Close()
	out := map[string]User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("db: look up users by email: %w", err)
		}
		out[strings.ToLower(u.Email)] = u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: look up users by email: %w", err)
	}
	return out, nil
}

// MailExports reports whether a user wants mail about exports (the Account
// page's checkbox; on unless turned off).
func (q *Queries) MailExports(ctx context.Context, userID int64) (bool, error) {
	var on bool
	if err := q.q.QueryRowContext(ctx, `SELECT mail_exports FROM users WHERE id = ?`, userID).Scan(&on); err != nil {
		return false, notFound(err, fmt.Sprintf("mail setting of user %d", userID))
	}
	return on, nil
}

// SetMailExports turns a user's mail about exports on or off.
func (q *Queries) SetMailExports(ctx context.Context, userID int64, on bool) error {
	res, err := q.q.ExecContext(ctx, `UPDATE users SET mail_exports = ? WHERE id = ?`, on, userID)
	if err != nil {
		return fmt.Errorf("db: set mail setting of user %d: %w", userID, err)
	}
	return rowAffected(res, fmt.Sprintf("set mail setting of user %d", userID))
}

// ExportMailRecipients returns who is mailed about an export of courseID:
// the user who asked for it (requestedBy), or, for an export nobody asked
// for (requestedBy 0), the course's admins. Disabled users and users who
// turned the mail off are left out.
func (q *Queries) ExportMailRecipients(ctx context.Context, courseID, requestedBy int64) ([]User, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+userColumns+` FROM users
		 WHERE disabled = 0 AND mail_exports = 1
		   AND (id = ?2 OR (?2 = 0 AND id IN (SELECT user_id FROM memberships WHERE course_id = ?1 AND role = 'admin')))
		 ORDER BY id`, courseID, requestedBy)
	if err != nil {
		return nil, fmt.Errorf("db: list who is mailed about an export of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("db: list who is mailed about an export of course %d: %w", courseID, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list who is mailed about an export of course %d: %w", courseID, err)
	}
	return out, nil
}
