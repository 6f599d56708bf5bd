package db

import (
	"context"
	"fmt"
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
	res, err := q.q.ExecContext(ctx, `
		INSERT INTO users (email, name, given_name, family_name, password_hash, site_admin, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Email, u.Name, u.GivenName, u.FamilyName, u.PasswordHash, u.SiteAdmin, u.Disabled, u.CreatedAt.UTC())
	if err != nil {
		return 0, fmt.Errorf("db: insert user %s: %w", u.Email, err)
	}
	return res.LastInsertId()
}

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
