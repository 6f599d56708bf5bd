package archive

import (
	"archive/zip"
	"bufio"
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
	"os"
	"strings"
)

// Limits bound what Verify will read from an archive it does not trust.
type Limits struct {
	MaxEntries       int   // zip entries, manifest.json included
	MaxTotalBytes    int64 // sum of the entries' sizes as the manifest declares them
	MaxManifestBytes int64
	// MaxRatio is the largest ratio of output to compressed input accepted
	// once an entry has produced 4 MiB. Deflate cannot exceed about 1032:1, and real course
	// data (JSON with ids and dates, text output) stays far below 100:1; a
	// zip bomb sits near the maximum.
	MaxRatio int64
}

// DefaultLimits fit the largest course we expect (hundreds of thousands of
// results with stdout, thousands of static files) with room to spare.
var DefaultLimits = Limits{
	MaxEntries:       200_000,
	MaxTotalBytes:    256 << 30,
	MaxManifestBytes: 128 << 20,
	MaxRatio:         500,
}

// VerifyFile opens the archive at path and verifies it with DefaultLimits.
func VerifyFile(path string) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("archive: verify: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Manifest{}, fmt.Errorf("archive: verify: %w", err)
	}
	return Verify(f, fi.Size())
}

// Verify checks an archive with DefaultLimits; see VerifyLimits.
func Verify(r io.ReaderAt, size int64) (Manifest, error) {
	return VerifyLimits(r, size, DefaultLimits)
}

// VerifyLimits checks that the archive is whole and untouched: manifest.json
// is readable and of a known format version; every manifest entry exists with
// exactly the declared size and sha256 (and rows, for data files); no entry
// is missing from the manifest; data files are JSON arrays of objects. It
// treats the archive as hostile: entry names must be clean relative paths,
// entry count and declared sizes are capped, and every entry is read with a
// limit of its declared size (zip headers are never trusted), failing fast on
// a compression ratio only a bomb reaches. It is VerifyListing, then
// VerifyEntry on every entry.
func VerifyLimits(r io.ReaderAt, size int64, lim Limits) (Manifest, error) {
	m, byName, err := VerifyListing(r, size, lim)
	if err != nil {
		return Manifest{}, err
	}
	for _, e := range m.Entries {
		if err := VerifyEntry(byName[e.Path], e, lim.MaxRatio); err != nil {
			return Manifest{}, err
		}
	}
	return m, nil
}

// VerifyListing does the checks of VerifyLimits that read no entry but
// manifest.json: the zip directory, the names, the limits, the format
// version, and that the manifest and the archive list the same entries, the
// data files among them. It returns the manifest and the archive's files by
// name (manifest.json included); the entries' bytes are left to VerifyEntry,
// or to a reader that streams them once through OpenEntry and checks them as
// VerifyEntry does.
func VerifyListing(r io.ReaderAt, size int64, lim Limits) (Manifest, map[string]*zip.File, error) {
	// Count entries from the end record before archive/zip allocates one
	// struct per central directory record.
	if n, err := declaredEntries(r, size); err == nil && n > uint64(lim.MaxEntries) {
		return Manifest{}, nil, fmt.Errorf("archive: %d entries, more than the %d allowed", n, lim.MaxEntries)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are checked below, with the name in the message
		return Manifest{}, nil, fmt.Errorf("archive: not a readable zip file: %w", err)
	}
	if len(zr.File) > lim.MaxEntries {
		return Manifest{}, nil, fmt.Errorf("archive: %d entries, more than the %d allowed", len(zr.File), lim.MaxEntries)
	}
	byName := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if err := checkEntryName(f.Name); err != nil {
			return Manifest{}, nil, fmt.Errorf("archive: %w", err)
		}
		if byName[f.Name] != nil {
			return Manifest{}, nil, fmt.Errorf("archive: entry %s appears twice", f.Name)
		}
		byName[f.Name] = f
	}

	mf := byName[ManifestName]
	if mf == nil {
		return Manifest{}, nil, fmt.Errorf("archive: %s is missing: this is not a coursevault archive, or it was cut short", ManifestName)
	}
	raw, err := readLimited(mf, lim.MaxManifestBytes, lim.MaxRatio)
	if err != nil {
		return Manifest{}, nil, fmt.Errorf("archive: read %s: %w", ManifestName, err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, nil, fmt.Errorf("archive: %s is not valid: %w", ManifestName, err)
	}
	if m.FormatVersion < MinFormatVersion || m.FormatVersion > FormatVersion {
		return Manifest{}, nil, fmt.Errorf("archive: format version %d; this coursevault reads versions %d to %d", m.FormatVersion, MinFormatVersion, FormatVersion)
	}

	var total int64
	listed := make(map[string]bool, len(m.Entries))
	for _, e := range m.Entries {
		if err := checkEntryName(e.Path); err != nil {
			return Manifest{}, nil, fmt.Errorf("archive: manifest: %w", err)
		}
		if e.Path == ManifestName || listed[e.Path] {
			return Manifest{}, nil, fmt.Errorf("archive: manifest lists %s twice or lists itself", e.Path)
		}
		if e.Bytes < 0 {
			return Manifest{}, nil, fmt.Errorf("archive: manifest: entry %s has a negative size", e.Path)
		}
		listed[e.Path] = true
		total += e.Bytes
		if total > lim.MaxTotalBytes || total < 0 {
			return Manifest{}, nil, fmt.Errorf("archive: entries add up to more than the %d bytes allowed", lim.MaxTotalBytes)
		}
		if byName[e.Path] == nil {
			return Manifest{}, nil, fmt.Errorf("archive: entry %s is listed in the manifest but missing from the archive", e.Path)
		}
	}
	for _, f := range zr.File {
		if f.Name != ManifestName && !listed[f.Name] {
			return Manifest{}, nil, fmt.Errorf("archive: entry %s is not listed in the manifest (added after the archive was made?)", f.Name)
		}
	}
	for _, name := range DataFiles {
		if !listed[name] {
			return Manifest{}, nil, fmt.Errorf("archive: data file %s is missing", name)
		}
	}
	return m, byName, nil
}

// VerifyEntry reads one entry through OpenEntry, and checks data files
// (data/*.json) as they stream by: a JSON array of objects with the rows the
// manifest says. The bytes decide first, so a damaged entry is reported as
// damaged rather than as bad JSON.
func VerifyEntry(f *zip.File, want Entry, maxRatio int64) error {
	er, err := OpenEntry(f, want, maxRatio)
	if err != nil {
		return err
	}
	defer er.Close()
	var jsonErr error
	var rows int64
	isData := strings.HasPrefix(want.Path, "data/") && strings.HasSuffix(want.Path, ".json")
	if isData {
		rows, jsonErr = countJSONRows(bufio.NewReaderSize(er, 64<<10))
	}
	if err := er.Finish(); err != nil {
		return err
	}
	if jsonErr != nil {
		return fmt.Errorf("archive: entry %s: not a JSON array of objects: %w", want.Path, jsonErr)
	}
	if isData && rows != want.Rows {
		return fmt.Errorf("archive: entry %s: %d rows, manifest says %d", want.Path, rows, want.Rows)
	}
	return nil
}

// EntryReader streams one entry's bytes and checks them against its
// manifest entry as they pass: it reads at most the declared size plus one
// byte, stops an entry whose output outgrows its compressed input as only a
// bomb's does, and fails at the end unless the size and sha256 are the
// manifest's. Its errors name the entry; once it failed it keeps failing.
type EntryReader struct {
	want Entry
	rc   io.ReadCloser
	cr   countingReader
	h    hash.Hash
	err  error
}

// OpenEntry opens f, listed in the manifest as want, for reading through
// an EntryReader; maxRatio is Limits.MaxRatio.
func OpenEntry(f *zip.File, want Entry, maxRatio int64) (*EntryReader, error) {
	rc, raw, err := openEntry(f)
	if err != nil {
		return nil, fmt.Errorf("archive: entry %s: %w", want.Path, err)
	}
	e := &EntryReader{want: want, rc: rc, h: sha256.New()}
	e.cr = countingReader{r: io.LimitReader(rc, want.Bytes+1), h: e.h, raw: raw, maxRatio: maxRatio}
	return e, nil
}

func (e *EntryReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.cr.Read(p)
	switch {
	case errors.Is(err, errBomb):
	case e.cr.n > e.want.Bytes:
		err = fmt.Errorf("longer than the %d bytes the manifest says", e.want.Bytes)
	case err == io.EOF && e.cr.n != e.want.Bytes:
		err = fmt.Errorf("%d bytes, manifest says %d", e.cr.n, e.want.Bytes)
	case err == io.EOF:
		if got := hex.EncodeToString(e.h.Sum(nil)); got != e.want.SHA256 {
			err = fmt.Errorf("sha256 %s, manifest says %s: the content was changed or damaged", got, e.want.SHA256)
		} else {
			return n, io.EOF
		}
	case err != nil:
		err = fmt.Errorf("damaged: %w", err)
	default:
		return n, nil
	}
	e.err = fmt.Errorf("archive: entry %s: %w", e.want.Path, err)
	return n, e.err
}

// Finish reads what is left of the entry and returns its error, if any:
// nil means every byte was the manifest's.
func (e *EntryReader) Finish() error {
	io.Copy(io.Discard, e)
	return e.err
}

// Err returns the error the entry's bytes failed with so far (nil if none):
// its reader's errors pass through JSON scanners and callbacks as they are,
// and this tells them apart.
func (e *EntryReader) Err() error { return e.err }

// Close releases the decompressor.
func (e *EntryReader) Close() error { return e.rc.Close() }

var errBomb = errors.New("compression ratio too high (zip bomb?)")

// openEntry decompresses an entry itself rather than through zip.File.Open,
// so the compressed bytes actually consumed can be counted: a bomb is then
// caught after a few MiB of output, not after expanding its whole declared
// size. Only the two methods this format writes are accepted. The CRC-32 is
// not checked: the sha256 in the manifest covers every byte.
func openEntry(f *zip.File) (io.ReadCloser, *rawCounter, error) {
	r, err := f.OpenRaw()
	if err != nil {
		return nil, nil, err
	}
	raw := &rawCounter{r: r}
	switch f.Method {
	case zip.Store:
		return io.NopCloser(raw), nil, nil // ratio 1: nothing to watch
	case zip.Deflate:
		return flate.NewReader(raw), raw, nil
	}
	return nil, nil, fmt.Errorf("compression method %d is not one this format uses", f.Method)
}

// rawCounter counts the compressed bytes read from the archive.
type rawCounter struct {
	r io.Reader
	n int64
}

func (c *rawCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// countingReader hashes and counts what passes through it and stops an entry
// whose output outgrows the compressed input consumed so far beyond maxRatio.
// The first 4 MiB are let through: a legitimate file may start with a very
// compressible stretch.
type countingReader struct {
	r        io.Reader
	h        io.Writer
	n        int64
	raw      *rawCounter // nil: stored, ratio 1
	maxRatio int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.raw != nil && c.n > 4<<20 && c.n/max(c.raw.n, 1) > c.maxRatio {
		return n, fmt.Errorf("%w: %d bytes from %d compressed", errBomb, c.n, c.raw.n)
	}
	return n, err
}

// readLimited reads a whole entry of at most limit bytes.
func readLimited(f *zip.File, limit, maxRatio int64) ([]byte, error) {
	rc, raw, err := openEntry(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	cr := &countingReader{r: io.LimitReader(rc, limit+1), h: io.Discard, raw: raw, maxRatio: maxRatio}
	b, err := io.ReadAll(cr)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// countJSONRows checks that r holds one JSON array of objects and nothing
// after it, and counts the objects. It holds one row at a time.
func countJSONRows(r io.Reader) (int64, error) {
	sc := NewRowScanner(r)
	var rows int64
	for {
		row, _, err := sc.Next()
		var se *ScanError
		switch {
		case errors.As(err, &se) && se.Problem == "want an object":
			return rows, fmt.Errorf("row %d is not an object", rows+1)
		case errors.As(err, &se) && rows == 0 && strings.HasPrefix(se.Problem, "not a JSON array"):
			if se.Problem == "not a JSON array" {
				return rows, errors.New("it does not start with [")
			}
			return rows, errors.New(strings.TrimPrefix(se.Problem, "not a JSON array: "))
		case err != nil:
			return rows, err
		case row == nil:
			return rows, nil
		}
		if !json.Valid(row) {
			var m map[string]json.RawMessage
			return rows, fmt.Errorf("row %d: %w", rows+1, json.Unmarshal(row, &m))
		}
		rows++
	}
}

// declaredEntries reads the entry count from the zip's end of central
// directory record (or its zip64 version). Errors are left to zip.NewReader.
func declaredEntries(r io.ReaderAt, size int64) (uint64, error) {
	const eocdLen, maxComment = 22, 65535
	tail := min(size, eocdLen+maxComment)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, err
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, zip.ErrFormat
	}
	n := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xffff {
		return n, nil
	}
	// zip64: a locator sits just before the end record and points at the
	// zip64 end record, which holds the 64-bit count at offset 32.
	loc := size - tail + int64(i) - 20
	var b [56]byte
	if loc < 0 {
		return 0, zip.ErrFormat
	}
	if _, err := r.ReadAt(b[:20], loc); err != nil || string(b[:4]) != "PK\x06\x07" {
		return 0, zip.ErrFormat
	}
	off := int64(binary.LittleEndian.Uint64(b[8:]))
	if off < 0 || off > size-56 {
		return 0, zip.ErrFormat
	}
	if _, err := r.ReadAt(b[:], off); err != nil || string(b[:4]) != "PK\x06\x06" {
		return 0, zip.ErrFormat
	}
	return binary.LittleEndian.Uint64(b[32:]), nil
}
