package auth

import (
	"errors"
	"regexp"
	"testing"
)

func TestPasswords(t *testing.T) {
	if _, err := HashPassword("short"); !errors.Is(err, ErrPasswordTooShort) {
		t.Fatalf("a short password: %v", err)
	}
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, hash, password string
		want                 bool
	}{
		{"right password", h, "correct horse", true},
		{"wrong password", h, "correct horsE", false},
		{"account without a password", "", "correct horse", false},
		{"empty password", h, "", false},
	} {
		if got := CheckPassword(tt.hash, tt.password); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAccessTokens(t *testing.T) {
	a, ha := NewAccessToken()
	b, _ := NewAccessToken()
	if !regexp.MustCompile(`^cvpat_[0-9a-f]{64}$`).MatchString(a) || a == b {
		t.Fatalf("tokens %q %q", a, b)
	}
	if HashAccessToken(a) != ha || ha == a || len(ha) != 64 {
		t.Fatalf("hash %q of %q", ha, a)
	}
}

func TestCourseTokens_haveTheirOwnPrefix(t *testing.T) {
	a, ha := NewCourseToken()
	if !regexp.MustCompile(`^cvct_[0-9a-f]{64}$`).MatchString(a) || HashAccessToken(a) != ha {
		t.Fatalf("course token %q hash %q", a, ha)
	}
}
