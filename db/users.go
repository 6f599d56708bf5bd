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
	return insertUser(ctx, q.q.ExecContext, u)
}

const insertUserSQL = `
		INSERT INTO users (email, name, given_name, family_name, password_hash, site_admin, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

func insertUser(ctx context.Context, exec func(context.Context, string, ...any) (sql.Result, error), u User) (int64, error) {
	res, err := exec(ctx, insertUserSQL, u.Email, u.Name, u.GivenName, u.FamilyName, u.PasswordHash, u.SiteAdmin, u.Disabled, u.CreatedAt.UTC())
	if err != nil {
		return 0, fmt.Errorf("db: insert user %s: %w", u.Email, err)
	}
	return res.LastInsertId()
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
	return insertUser(ctx, func(ctx context.Context, _ string, args ...any) (sql.Result, error) {
		return p.stmt.ExecContext(ctx, args...)
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
