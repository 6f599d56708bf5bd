package restore

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"coursevault/jobs/archive"
)

// openArchive runs archive.VerifyListing (format version, names, entry
// count, total size) and refuses what the import does not look at: entries
// that are not regular files (symlinks, devices, directories), whatever
// their names, since an extracting tool would create them as such. Then it
// reads every entry but the data files with archive.VerifyEntry (sizes,
// checksums, compression ratio): the data files are verified by the check
// pass as it reads them (importer.table), which saves reading them once more.
func openArchive(r io.ReaderAt, size int64, lim archive.Limits) (archive.Manifest, map[string]*zip.File, error) {
	m, byName, err := archive.VerifyListing(r, size, lim)
	if err != nil {
		if v, app, ok := peekVersion(r, size, lim); ok && v > archive.FormatVersion {
			return archive.Manifest{}, nil, fmt.Errorf("%w: the archive is format version %d (made by coursevault %s); this coursevault reads versions up to %d: import it with a newer coursevault",
				ErrNewerFormat, v, orUnknown(app), archive.FormatVersion)
		}
		return archive.Manifest{}, nil, err
	}
	names := []string{archive.ManifestName}
	for _, e := range m.Entries {
		names = append(names, e.Path)
	}
	for _, name := range names {
		if mode := byName[name].Mode(); !mode.IsRegular() {
			what := "not a regular file"
			switch {
			case mode&fs.ModeSymlink != 0:
				what = "a symbolic link"
			case mode.IsDir():
				what = "a directory"
			}
			return archive.Manifest{}, nil, fmt.Errorf("archive: entry %s is %s; archives hold regular files only", name, what)
		}
	}
	for _, e := range m.Entries {
		if slices.Contains(archive.DataFiles, e.Path) {
			continue
		}
		if err := archive.VerifyEntry(byName[e.Path], e, lim.MaxRatio); err != nil {
			return archive.Manifest{}, nil, err
		}
	}
	return m, byName, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "of an unknown version"
	}
	return s
}

// peekVersion reads just the format and app version at the start of
// manifest.json (where Write puts them), streaming tokens so a huge manifest
// is never held. ok is false when there is no readable version.
func peekVersion(r io.ReaderAt, size int64, lim archive.Limits) (version int, app string, ok bool) {
	if !fewEntries(r, size, lim.MaxEntries) {
		return 0, "", false
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return 0, "", false
	}
	for _, f := range zr.File {
		if f.Name != archive.ManifestName {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return 0, "", false
		}
		defer rc.Close()
		dec := json.NewDecoder(io.LimitReader(rc, 1<<20))
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return 0, "", false
		}
		for i := 0; i < 16 && dec.More(); i++ {
			key, err := dec.Token()
			if err != nil {
				return 0, "", false
			}
			switch key {
			case "format_version":
				if err := dec.Decode(&version); err != nil {
					return 0, "", false
				}
				ok = true
			case "app_version":
				if err := dec.Decode(&app); err != nil {
					return 0, "", false
				}
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return version, app, ok
				}
			}
			if ok && app != "" {
				break
			}
		}
		return version, app, ok
	}
	return 0, "", false
}

// fewEntries reports whether the zip's end record declares at most max
// entries (zip64 archives are not peeked at), so archive/zip never parses a
// hostile central directory VerifyLimits refused for its size.
func fewEntries(r io.ReaderAt, size int64, max int) bool {
	const eocdLen = 22
	tail := min(size, eocdLen+65535)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return false
	}
	n := binary.LittleEndian.Uint16(buf[i+10:])
	return n != 0xffff && int(n) <= max
}
