package files

import (
	"encoding/hex"
	"path"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The parsers of outside input in this package: download tokens, download
// and stored file names, static paths. Plain `go test` runs the seeds;
// `go test ./db/files -run '^$' -fuzz FuzzSafeName -fuzztime 10s` explores.

func FuzzValidToken(f *testing.F) {
	for _, s := range []string{"", "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789abcdef",
		"0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdeg", "../../../../etc/passwd", "é123456789abcdef0123456789abcde"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := ValidToken(s)
		b, err := hex.DecodeString(s)
		want := err == nil && len(b) == 16 && strings.ToLower(s) == s
		if got != want {
			t.Fatalf("ValidToken(%q) = %t, want %t", s, got, want)
		}
	})
}

func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"", "Physics I", "../../etc/passwd", `C:\Windows\evil.exe`, "a\x00b", "CON", "con.txt", "...",
		"résumé\u202egpj.exe", strings.Repeat("ä", 150) + ".xlsx", "\xff\xfe", " _ . ", "a/b\\c:d*e?f\"g<h>i|j", "\t\n\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeName(s)
		switch {
		case got == "":
			t.Fatalf("SafeName(%q) is empty", s)
		case !utf8.ValidString(got):
			t.Fatalf("SafeName(%q) = %q is not UTF-8", s, got)
		case strings.ContainsAny(got, "/\\\x00"):
			t.Fatalf("SafeName(%q) = %q holds a separator or NUL", s, got)
		case len(got) > maxNameBytes+1: // +1: the "_" before a device name
			t.Fatalf("SafeName(%q) is %d bytes", s, len(got))
		case got == "." || got == "..":
			t.Fatalf("SafeName(%q) = %q", s, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || !unicode.IsPrint(r) {
				t.Fatalf("SafeName(%q) = %q holds %U", s, got, r)
			}
		}
		if again := SafeName(got); again != got {
			t.Fatalf("SafeName is not stable: %q -> %q -> %q", s, got, again)
		}
	})
}

func FuzzCleanStaticPath(f *testing.F) {
	for _, s := range []string{"lectures/week1.pdf", "a/./b", "a//b", "a/../b", "../x", "/etc/passwd", "a/b/", `a\b`, "", ".",
		"a/..", "x/\x00", "C:/x", "ok dir/ok file.txt", "\xff", strings.Repeat("a/", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := CleanStaticPath(s)
		if err != nil {
			if got != "" {
				t.Fatalf("CleanStaticPath(%q) failed but returned %q", s, got)
			}
			return
		}
		switch {
		case got == "" || strings.HasPrefix(got, "/"):
			t.Fatalf("CleanStaticPath(%q) = %q", s, got)
		case strings.Contains(got, `\`) || strings.ContainsRune(got, 0):
			t.Fatalf("CleanStaticPath(%q) = %q holds a backslash or NUL", s, got)
		case path.Clean(got) != got:
			t.Fatalf("CleanStaticPath(%q) = %q is not clean", s, got)
		case !utf8.ValidString(got):
			t.Fatalf("CleanStaticPath(%q) = %q is not UTF-8", s, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg == ".." || seg == "." || seg == "" {
				t.Fatalf("CleanStaticPath(%q) = %q has segment %q", s, got, seg)
			}
		}
		if again, err := CleanStaticPath(got); err != nil || again != got {
			t.Fatalf("CleanStaticPath is not stable on %q: %q, %v", got, again, err)
		}
	})
}
