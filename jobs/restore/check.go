package restore

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"

	"coursevault/jobs/archive"
)

// openArchive runs archive.VerifyLimits (format version, names, sizes,
// checksums, entry count, total size, compression ratio, data files being
// JSON arrays of objects) and then refuses what it does not look at: entries
// that are not regular files (symlinks, devices, directories), whatever
// their names, since an extracting tool would create them as such.
func openArchive(r io.ReaderAt, size int64, lim archive.Limits) (*zip.Reader, archive.Manifest, error) {
	m, err := archive.VerifyLimits(r, size, lim)
	if err != nil {
		if v, app, ok := peekVersion(r, size, lim); ok && v > archive.FormatVersion {
			return nil, archive.Manifest{}, fmt.Errorf("%w: the archive is format version %d (made by coursevault %s); this coursevault reads versions up to %d: import it with a newer coursevault",
				ErrNewerFormat, v, orUnknown(app), archive.FormatVersion)
		}
		return nil, archive.Manifest{}, err
	}
	// VerifyLimits has bounded the entry count and checked every name, so
	// archive/zip's directory parsing is safe; ErrInsecurePath is its view of
	// names that were already accepted.
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, archive.Manifest{}, fmt.Errorf("archive: not a readable zip file: %w", err)
	}
	for _, f := range zr.File {
		if mode := f.Mode(); !mode.IsRegular() {
			what := "not a regular file"
			switch {
			case mode&fs.ModeSymlink != 0:
				what = "a symbolic link"
			case mode.IsDir():
				what = "a directory"
			}
			return nil, archive.Manifest{}, fmt.Errorf("archive: entry %s is %s; archives hold regular files only", f.Name, what)
		}
	}
	return zr, m, nil
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

// entryReader reads one entry a second time, after VerifyLimits, and fails
// at its end if its bytes are not the ones the manifest declares: the file
// behind the io.ReaderAt may have changed since it was verified.
type entryReader struct {
	name string
	r    io.Reader
	c    io.Closer
	h    hash.Hash
	n    int64
	want archive.Entry
	err  error
}

// openEntry opens f, listed in the manifest as want. Like VerifyLimits it
// decompresses itself (Store or Deflate only) and reads at most the declared
// size plus one byte; the sha256 covers every byte, so the CRC is not needed.
func openEntry(f *zip.File, want archive.Entry) (*entryReader, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, fmt.Errorf("archive: entry %s: %w", f.Name, err)
	}
	var rc io.ReadCloser
	switch f.Method {
	case zip.Store:
		rc = io.NopCloser(raw)
	case zip.Deflate:
		rc = flate.NewReader(raw)
	default:
		return nil, fmt.Errorf("archive: entry %s: compression method %d is not one this format uses", f.Name, f.Method)
	}
	return &entryReader{name: f.Name, r: io.LimitReader(rc, want.Bytes+1), c: rc, h: sha256.New(), want: want}, nil
}

func (e *entryReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.r.Read(p)
	e.h.Write(p[:n])
	e.n += int64(n)
	switch {
	case e.n > e.want.Bytes:
		e.err = fmt.Errorf("archive: entry %s grew past the %d bytes the manifest says since it was checked", e.name, e.want.Bytes)
		return 0, e.err
	case err == io.EOF:
		if e.n != e.want.Bytes || hex.EncodeToString(e.h.Sum(nil)) != e.want.SHA256 {
			e.err = fmt.Errorf("archive: entry %s changed since it was checked (size or sha256 differs from the manifest)", e.name)
			return 0, e.err
		}
	case err != nil:
		e.err = fmt.Errorf("archive: entry %s: damaged: %w", e.name, err)
		return n, e.err
	}
	return n, err
}

func (e *entryReader) Close() error { return e.c.Close() }
