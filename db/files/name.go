package files

import (
	"fmt"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes keeps names well under the 255-byte limit of common file
// systems, leaving room for a browser's " (1)".
const maxNameBytes = 200

// SafeName turns s into a file name that is safe on every common OS and in a
// Content-Disposition header, while keeping its meaning and its unicode
// letters: whitespace and the characters Windows forbids (including path
// separators) become "_", control and invisible format characters (such as
// right-to-left overrides that disguise an extension) are dropped, runs of
// "_" collapse, leading dots and trailing dots are trimmed, Windows device
// names get a "_" prefix, and long names are cut keeping the extension. It
// never returns "". Example: "Physics I" -> "Physics_I".
func SafeName(s string) string {
	s = strings.ToValidUTF8(s, "_")
	var b strings.Builder
	lastUnderscore := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || strings.ContainsRune(`/\<>:"|?*`, r):
			r = '_'
		case !unicode.IsPrint(r):
			continue
		}
		if r == '_' {
			if lastUnderscore {
				continue
			}
			lastUnderscore = true
		} else {
			lastUnderscore = false
		}
		b.WriteRune(r)
	}
	name := strings.Trim(b.String(), "_. ")
	if name == "" {
		return "file"
	}
	if len(name) > maxNameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 || ext == name {
			ext = ""
		}
		stem := name[:len(name)-len(ext)]
		cut := maxNameBytes - len(ext)
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		name = strings.TrimRight(stem[:cut], "_. ") + ext
	}
	stem, _, _ := strings.Cut(name, ".")
	if IsWindowsDevice(stem) {
		name = "_" + name
	}
	return name
}

// IsWindowsDevice reports whether stem (a name before its first dot) is a
// device name Windows will not use as a file name, such as CON or LPT1.
func IsWindowsDevice(stem string) bool {
	switch strings.ToUpper(stem) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

// knownTypes are the types our files have, fixed here rather than taken from
// the host's mime.types so every server answers the same.
var knownTypes = map[string]string{
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".zip":  "application/zip",
	".json": "application/json",
	".csv":  "text/csv; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
	".pdf":  "application/pdf",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".svg":  "image/svg+xml",
}

// contentType derives a type from the filename's extension, then from the
// first bytes.
func contentType(filename string, head []byte) string {
	ext := strings.ToLower(path.Ext(filename))
	if t, ok := knownTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); ext != "" && t != "" {
		return t
	}
	if len(head) == 0 {
		return "application/octet-stream"
	}
	return http.DetectContentType(head)
}

// FormatSize writes a byte count for people, in binary units with at most
// one decimal: "512 B", "1.5 KiB", "40 MiB", "9.8 GiB".
func FormatSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if v >= 100 {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strings.TrimSuffix(s, ".0") + " " + units[i]
}

// PathError is CleanStaticPath's refusal of a path; Why says what is wrong
// in words for the user ("contains \"..\"").
type PathError struct{ Path, Why string }

func (e *PathError) Error() string { return fmt.Sprintf("files: static path %q: %s", e.Path, e.Why) }

// CleanStaticPath checks a static file's path within its course, such as
// "lectures/week1.pdf", and returns it cleaned. It refuses what could escape
// an archive's folder or fail to extract on some OS: absolute paths, "..",
// backslashes, control characters and the characters Windows forbids.
func CleanStaticPath(p string) (string, error) {
	bad := func(why string) (string, error) {
		return "", &PathError{Path: p, Why: why}
	}
	switch {
	case p == "":
		return bad("empty")
	case len(p) > 1024:
		return bad("longer than 1024 bytes")
	case !utf8.ValidString(p):
		return bad("not valid UTF-8")
	case strings.HasPrefix(p, "/"):
		return bad("absolute")
	}
	for _, r := range p {
		if !unicode.IsPrint(r) && r != ' ' || strings.ContainsRune(`\<>:"|?*`, r) {
			return bad(fmt.Sprintf("contains %q", r))
		}
	}
	c := path.Clean(p)
	for seg := range strings.SplitSeq(c, "/") {
		switch {
		case seg == "..":
			return bad(`contains ".."`)
		case seg == "." || seg == "":
			return bad("empty")
		case len(seg) > maxNameBytes:
			return bad("has a part longer than 200 bytes")
		}
	}
	return c, nil
}
