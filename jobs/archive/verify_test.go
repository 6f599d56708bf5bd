package archive

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// withManifest rewrites manifest.json after edit changed the manifest.
func withManifest(t *testing.T, entries map[string][]byte, edit func(m *Manifest)) {
	t.Helper()
	var m Manifest
	if err := json.Unmarshal(entries[ManifestName], &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	entries[ManifestName] = b
}

func listed(path string, data []byte) Entry {
	sum := sha256.Sum256(data)
	return Entry{Path: path, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

func TestVerify_rejectsDamagedOrHostileArchives(t *testing.T) {
	f := newFixture(t, smallDemo())
	good, _ := f.write(t, fullCourse, Options{IncludeStdout: true, IncludeStaticFiles: true})
	if _, err := Verify(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatalf("the untouched archive fails: %v", err)
	}

	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, entries map[string][]byte, names []string) ([]string, []byte)
		limits *Limits
		want   string // the error must say this
	}{
		{
			name: "a flipped byte in a data file",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				b := bytes.Clone(e["data/scores.json"])
				b[len(b)/2] ^= 0x01
				e["data/scores.json"] = b
				return names, nil
			},
			want: "entry data/scores.json: sha256",
		},
		{
			name: "a flipped byte in the compressed stream",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				b := bytes.Clone(good)
				b[len(b)/3] ^= 0xff
				return nil, b
			},
			want: "entry ",
		},
		{
			name: "a missing entry",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "data/members.json" }), nil
			},
			want: "entry data/members.json is listed in the manifest but missing",
		},
		{
			name: "an extra entry",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				e["files/static/extra.txt"] = []byte("not from coursevault")
				return append(slices.Clone(names), "files/static/extra.txt"), nil
			},
			want: "entry files/static/extra.txt is not listed",
		},
		{
			name: "a name that climbs out with ../",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				e["../evil"] = []byte("x")
				withManifest(t, e, func(m *Manifest) { m.Entries = append(m.Entries, listed("../evil", e["../evil"])) })
				return append(slices.Clone(names), "../evil"), nil
			},
			want: `entry "../evil"`,
		},
		{
			name: "an absolute name",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				e["/etc/cron.d/x"] = []byte("x")
				return append(slices.Clone(names), "/etc/cron.d/x"), nil
			},
			want: `entry "/etc/cron.d/x"`,
		},
		{
			name: "a zip bomb declared in the manifest",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				zeros := make([]byte, 6<<20) // past the 4 MiB let through
				e["files/static/bomb.bin"] = zeros
				withManifest(t, e, func(m *Manifest) { m.Entries = append(m.Entries, listed("files/static/bomb.bin", zeros)) })
				return append(slices.Clone(names), "files/static/bomb.bin"), nil
			},
			want: "entry files/static/bomb.bin: compression ratio too high",
		},
		{
			name: "a manifest declaring more bytes than allowed",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				withManifest(t, e, func(m *Manifest) { m.Entries[1].Bytes = 1 << 62 })
				return names, nil
			},
			want: "more than the",
		},
		{
			name: "too many entries",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				return names, nil
			},
			limits: &Limits{MaxEntries: 5, MaxTotalBytes: 1 << 40, MaxManifestBytes: 1 << 20, MaxRatio: 500},
			want:   "more than the 5 allowed",
		},
		{
			name: "a data file that is not a JSON array",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				e["data/periods.json"] = []byte("{\"id\":1}\n")
				withManifest(t, e, func(m *Manifest) {
					for i := range m.Entries {
						if m.Entries[i].Path == "data/periods.json" {
							m.Entries[i] = listed("data/periods.json", e["data/periods.json"])
						}
					}
				})
				return names, nil
			},
			want: "entry data/periods.json: not a JSON array",
		},
		{
			name: "rows that do not match the manifest",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				withManifest(t, e, func(m *Manifest) {
					for i := range m.Entries {
						if m.Entries[i].Path == "data/submissions.json" {
							m.Entries[i].Rows++
						}
					}
				})
				return names, nil
			},
			want: "entry data/submissions.json:",
		},
		{
			name: "a newer format version",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				withManifest(t, e, func(m *Manifest) { m.FormatVersion = FormatVersion + 1 })
				return names, nil
			},
			want: fmt.Sprintf("format version %d", FormatVersion+1),
		},
		{
			name: "a format version before the first",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				withManifest(t, e, func(m *Manifest) { m.FormatVersion = 0 })
				return names, nil
			},
			want: "format version 0",
		},
		{
			name: "no manifest",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == ManifestName }), nil
			},
			want: "manifest.json is missing",
		},
		{
			name: "not a zip at all",
			tamper: func(t *testing.T, e map[string][]byte, names []string) ([]string, []byte) {
				return nil, []byte("PK\x03\x04 but nothing else")
			},
			want: "not a readable zip",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entries, names := unzip(t, good)
			names, raw := tc.tamper(t, entries, names)
			if raw == nil {
				raw = rezip(t, names, entries)
			}
			lim := DefaultLimits
			if tc.limits != nil {
				lim = *tc.limits
			}
			_, err := VerifyLimits(bytes.NewReader(raw), int64(len(raw)), lim)
			if err == nil {
				t.Fatal("Verify accepted it")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestVerify_rezippedArchiveStillVerifies(t *testing.T) {
	// Control for the table above: rezipping alone must not break anything,
	// so each rejection there is caused by its tampering.
	f := newFixture(t, smallDemo())
	good, _ := f.write(t, fullCourse, Options{IncludeStdout: true, IncludeStaticFiles: true})
	entries, names := unzip(t, good)
	raw := rezip(t, names, entries)
	if _, err := Verify(bytes.NewReader(raw), int64(len(raw))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.zip")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(path); err != nil {
		t.Fatal(err)
	}
}

func TestVerify_storedEntriesAreNotBombs(t *testing.T) {
	// A large stored (uncompressed) entry has ratio 1 and must pass.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	data := bytes.Repeat([]byte{0}, 3<<20)
	entries := []Entry{listed("files/static/zeros.bin", data)}
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "files/static/zeros.bin", Method: zip.Store})
	w.Write(data)
	for _, name := range DataFiles {
		w, _ := zw.Create(name)
		w.Write([]byte("[]\n"))
		entries = append(entries, listed(name, []byte("[]\n")))
	}
	w, _ = zw.Create(ManifestName)
	json.NewEncoder(w).Encode(Manifest{FormatVersion: 1, Entries: entries})
	zw.Close()
	if _, err := Verify(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		t.Fatal(err)
	}
}

func TestDeclaredEntries_readsPlainAndZip64Counts(t *testing.T) {
	for _, n := range []int{0, 3, 70_000} { // 70,000 > 65,535 forces a zip64 end record
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := range n {
			if _, err := zw.CreateHeader(&zip.FileHeader{Name: "f" + strconv.Itoa(i), Method: zip.Store}); err != nil {
				t.Fatal(err)
			}
		}
		zw.SetComment("a comment moves the end record")
		zw.Close()
		got, err := declaredEntries(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil || got != uint64(n) {
			t.Errorf("%d entries: declaredEntries = %d, %v", n, got, err)
		}
	}
}
