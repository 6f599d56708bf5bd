package perfbook

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxNameBytes caps the course part of a filename: with the suffix the whole
// name stays far below the 255 bytes most file systems allow.
const maxNameBytes = 120

// Filename is the workbook's file name, e.g.
// Physics_I_Performance_20150430-193402.xlsx. t should already be in the
// school's time zone: the name shows its wall clock. The course name is made
// safe on every OS: spaces become underscores; path separators, characters
// Windows refuses (\ / : * ? " < > |), control and invisible format characters
// (which could disguise the extension) are dropped; letters of any script stay.
func Filename(courseName string, t time.Time) string {
	return safeName(courseName) + "_Performance_" + t.Format("20060102-150405") + ".xlsx"
}

func safeName(s string) string {
	var b strings.Builder
	underscore := true // no leading underscore
	for _, r := range norm.NFC.String(s) {
		switch {
		case unicode.IsSpace(r) || r == '_':
			if !underscore {
				b.WriteByte('_')
				underscore = true
			}
			continue
		case strings.ContainsRune(`/\:*?"<>|`, r),
			unicode.IsControl(r), unicode.Is(unicode.Cf, r),
			r == utf8.RuneError:
			continue
		case r == '.' && b.Len() == 0:
			continue // a leading dot hides the file on Unix
		}
		if b.Len()+utf8.RuneLen(r) > maxNameBytes {
			break
		}
		b.WriteRune(r)
		underscore = false
	}
	name := strings.TrimRight(b.String(), "_")
	if name == "" {
		return "Course"
	}
	return name
}

// Sheet names: Excel allows at most 31 (UTF-16) characters, none of []:*?/\,
// no leading or trailing apostrophe, not blank, "History" is reserved, and
// names compare case-insensitively.
const maxSheetName = 31

// sheetNames gives each wanted name a valid, unique sheet name, avoiding the
// names already taken (e.g. "Summary"). A blank wanted name uses fallback(i).
func sheetNames(taken []string, wanted []string, fallback func(i int) string) []string {
	used := make(map[string]bool, len(taken)+len(wanted))
	for _, t := range taken {
		used[strings.ToLower(t)] = true
	}
	out := make([]string, len(wanted))
	for i, w := range wanted {
		base := cleanSheetName(w)
		if base == "" {
			base = cleanSheetName(fallback(i))
		}
		if strings.EqualFold(base, "History") {
			base += " (period)"
		}
		name := base
		for n := 2; used[strings.ToLower(name)]; n++ {
			suffix := " (" + strconv.Itoa(n) + ")"
			name = truncateUTF16(base, maxSheetName-len(suffix)) + suffix
		}
		used[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

func cleanSheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune(`[]:*?/\`, r):
			return '-'
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, norm.NFC.String(s))
	s = strings.Trim(s, " '")
	s = strings.TrimRight(truncateUTF16(s, maxSheetName), " '")
	return s
}

// truncateUTF16 cuts s to at most n UTF-16 code units (Excel's measure) on a
// rune boundary.
func truncateUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > n {
			return s[:i]
		}
	}
	return s
}
