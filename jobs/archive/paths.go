package archive

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"coursevault/db/files"
)

// staticEntryNames gives each static file its entry name under files/static/:
// its path made safe to extract anywhere (forward slashes, no "." or ".."
// segments, no characters Windows refuses, no reserved device names). Two
// paths that clean to the same name, or one that cleans to nothing, fall back
// to files/static/_<id>/<base> so names stay unique and stable.
type staticEntryNames struct{ used map[string]bool }

func (s *staticEntryNames) name(id int64, path string) string {
	if s.used == nil {
		s.used = map[string]bool{}
	}
	segs := cleanSegments(path)
	name := StaticDir + strings.Join(segs, "/")
	if len(segs) == 0 || s.used[name] || strings.HasPrefix(segs[0], "_") && isIDSegment(segs[0]) {
		base := "file"
		if len(segs) > 0 {
			base = segs[len(segs)-1]
		}
		name = StaticDir + "_" + strconv.FormatInt(id, 10) + "/" + base
	}
	s.used[name] = true
	return name
}

// isIDSegment reports whether seg looks like a fallback directory ("_42"), so
// a real path can never take a fallback name.
func isIDSegment(seg string) bool {
	_, err := strconv.ParseInt(seg[1:], 10, 64)
	return err == nil
}

func cleanSegments(path string) []string {
	var out []string
	for _, seg := range strings.Split(strings.ReplaceAll(path, `\`, "/"), "/") {
		seg = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || strings.ContainsRune(`<>:"|?*`, r) || r == unicode.ReplacementChar {
				return '_'
			}
			return r
		}, seg)
		seg = strings.TrimRight(seg, " .") // Windows drops trailing dots and spaces
		if seg == "" {
			continue // also drops "." and ".."
		}
		if stem, _, _ := strings.Cut(seg, "."); files.IsWindowsDevice(stem) {
			seg = "_" + seg
		}
		out = append(out, seg)
	}
	return out
}

// checkEntryName refuses names that could escape the extraction directory or
// that this format never writes: absolute, backslashes, drive letters, empty,
// "." or ".." segments, control characters, directories.
func checkEntryName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("an entry has an empty name")
	case strings.HasPrefix(name, "/"), strings.Contains(name, `\`), strings.Contains(name, ":"):
		return fmt.Errorf("entry %q: absolute or non-portable path", name)
	case strings.HasSuffix(name, "/"):
		return fmt.Errorf("entry %q: directories are not part of the format", name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("entry %q: path escapes or is not clean", name)
		}
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("entry %q: control character in name", name)
		}
	}
	return nil
}
