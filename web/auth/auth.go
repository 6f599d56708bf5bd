// Package auth hashes passwords and makes access and course tokens: the
// secrets coursevault keeps only as hashes.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// MinPasswordLength is the shortest password HashPassword accepts.
const MinPasswordLength = 8

// MaxPasswordBytes is the longest password bcrypt takes (it refuses more).
const MaxPasswordBytes = 72

// ErrPasswordTooShort is returned for passwords under MinPasswordLength.
var ErrPasswordTooShort = fmt.Errorf("password must be at least %d characters", MinPasswordLength)

// HashPassword returns a bcrypt hash of password.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", ErrPasswordTooShort
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the account is unknown or has no
// password, so a failed sign-in takes the same time either way.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("coursevault-dummy-password"), bcrypt.DefaultCost)

// CheckPassword reports whether password matches hash. An empty hash (an
// account that cannot sign in) never matches, after the same amount of work.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	return err == nil
}

// TokenPrefix marks coursevault personal access tokens, so a leaked one is
// recognisable in logs and by secret scanners.
const TokenPrefix = "cvpat_"

// CourseTokenPrefix marks course tokens, which act on one course only; the
// server tells the two kinds apart by it before looking either up.
const CourseTokenPrefix = "cvct_"

// NewAccessToken returns a new personal access token and the hash to store.
func NewAccessToken() (token, hash string) { return newToken(TokenPrefix) }

// NewCourseToken returns a new course token and the hash to store.
func NewCourseToken() (token, hash string) { return newToken(CourseTokenPrefix) }

func newToken(prefix string) (token, hash string) {
	token = prefix + RandomHex(32)
	return token, HashAccessToken(token)
}

// HashAccessToken returns the stored form of a token: sha256 hex. Tokens are
// 256 random bits, so a fast hash is enough; no salt is needed.
func HashAccessToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// PasswordLinkTTL is how long a set-password link works (once).
const PasswordLinkTTL = 72 * time.Hour

// NewLinkToken returns a new set-password link token and the hash to store:
// 256 random bits, hashed like access tokens.
func NewLinkToken() (token, hash string) {
	token = RandomHex(32)
	return token, HashAccessToken(token)
}

// PasswordLinkURL is the address of the set-password page of token on the
// site at base (e.g. https://vault.example.edu).
func PasswordLinkURL(base, token string) string {
	return strings.TrimRight(base, "/") + "/password/" + token
}

// ErrBadCredentials is the one answer to a wrong email or a wrong password.
var ErrBadCredentials = errors.New("the email or password is not right")

// RandomHex returns n random bytes as lowercase hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
