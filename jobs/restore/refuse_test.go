package restore

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"coursevault/jobs/archive"
)

// Every bad archive is refused with a message saying what is wrong, and
// the database and the attachment directory are exactly as before.
func TestImport_refusesBadArchivesAndChangesNothing(t *testing.T) {
	src := demoInstance(t, tinyDemo())
	good := src.export(t, coursePeriods)
	// edited makes good with what pattern matches on line n of file replaced.
	edited := func(file string, n int, pattern, with string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			u := unpack(t, good)
			u.editLine(t, file, n, func(l string) string { return regexp.MustCompile(pattern).ReplaceAllString(l, with) })
			return u.pack(t)
		}
	}

	for _, tc := range []struct {
		name   string
		make   func(t *testing.T) []byte
		limits archive.Limits
		want   string // the error must match
		is     error  // and match this with errors.Is, besides ErrRefused
	}{
		{
			name: "a truncated zip",
			make: func(t *testing.T) []byte { return good[:len(good)*2/3] },
			want: `not a readable zip file`,
		},
		{
			name: "a bad checksum",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				b := bytes.Clone(u.data["data/scores.json"])
				b[len(b)/2] ^= 0x01
				u.data["data/scores.json"] = b
				return u.pack(t)
			},
			want: `entry data/scores.json: sha256 .* the content was changed or damaged`,
		},
		{
			name: "a name that climbs out with ..",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				u.set("files/static/../../../etc/cron.d/evil", []byte("* * * * * root sh\n"))
				return u.pack(t)
			},
			want: `entry "files/static/../../../etc/cron.d/evil": path escapes`,
		},
		{
			name: "an absolute name",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				u.set("/etc/passwd", []byte("root::0:0::/:/bin/sh\n"))
				return u.pack(t)
			},
			want: `entry "/etc/passwd": absolute`,
		},
		{
			name: "a static file whose archive_path climbs out",
			make: edited("data/static_files.json", 2, `"archive_path":"[^"]*"`, `"archive_path":"data/course.json"`),
			want: `data/static_files.json line 2: field "archive_path": no entry "data/course.json" under files/static/`,
		},
		{
			name: "a symlink entry",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				u.set("files/static/passwd", []byte("/etc/passwd"))
				u.modes["files/static/passwd"] = fs.ModeSymlink | 0o777
				return u.pack(t)
			},
			want: `entry files/static/passwd is a symbolic link`,
		},
		{
			name: "a zip bomb",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				u.set("files/static/zeros.bin", make([]byte, 16<<20)) // deflates about 1000:1
				return u.pack(t)
			},
			want: `entry files/static/zeros.bin: compression ratio too high`,
		},
		{
			name:   "more bytes than the total allowed",
			make:   func(t *testing.T) []byte { return good },
			limits: archive.Limits{MaxEntries: 1000, MaxTotalBytes: 1000, MaxManifestBytes: 1 << 20, MaxRatio: 500},
			want:   `entries add up to more than the 1000 bytes allowed`,
		},
		{
			name:   "more entries than allowed",
			make:   func(t *testing.T) []byte { return good },
			limits: archive.Limits{MaxEntries: 5, MaxTotalBytes: 1 << 30, MaxManifestBytes: 1 << 20, MaxRatio: 500},
			want:   `entries, more than the 5 allowed`,
		},
		{
			name: "a newer format version",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				u.manifest.FormatVersion = archive.FormatVersion + 1
				u.manifest.AppVersion = "v9.0.0"
				return u.pack(t)
			},
			want: fmt.Sprintf(`format version %d \(made by coursevault v9.0.0\); this coursevault reads versions up to %d: import it with a newer coursevault`, archive.FormatVersion+1, archive.FormatVersion),
			is:   ErrNewerFormat,
		},
		{
			name: "a fraction that is not a number",
			make: edited("data/scores.json", 3, `"fraction":[^,]*`, `"fraction":"high"`),
			want: `^data/scores.json line 3: field "fraction": want a number or null$`,
		},
		{
			name: "a missing field",
			make: edited("data/assignments.json", 2, `"kind":"[a-z]*",`, ``),
			want: `^data/assignments.json line 2: field "kind": missing \(want one of homework, reading, project, exam\)$`,
		},
		{
			name: "an unknown role",
			make: edited("data/members.json", 2, `"role":"[a-z]*"`, `"role":"owner"`),
			want: `^data/members.json line 2: field "role": "owner" is not one of admin, teacher, ta, student$`,
		},
		{
			name: "JSON that does not parse",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				u.editLine(t, "data/periods.json", 2, func(l string) string { return l[:len(l)/2] })
				return u.pack(t)
			},
			want: `entry data/periods.json: not a JSON array of objects`,
		},
		{
			name: "more rows than the manifest says",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				for i, e := range u.manifest.Entries {
					if e.Path == "data/scores.json" {
						u.manifest.Entries[i].Rows--
					}
				}
				return u.pack(t)
			},
			want: `^archive: entry data/scores.json: \d+ rows, manifest says \d+$`,
		},
		{
			name: "output that is not a string",
			make: edited("data/test_results.json", 2, `"stdout":"[^"]*"`, `"stdout":42`),
			want: `^data/test_results.json line 2: field "stdout": want a string or null$`,
		},
		// The build and test results are checked while they are written
		// (checkedOnWrite): the same refusals, and nothing remains.
		{
			name: "a test result of a missing submission",
			make: edited("data/test_results.json", 3, `"submission_id":\d+`, `"submission_id":424242`),
			want: `^data/test_results.json line 3: field "submission_id": no submission with id 424242 in data/submissions.json$`,
		},
		{
			name: "a second build result for a submission",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				lines := strings.Split(string(u.data["data/build_results.json"]), "\n")
				lines = slices.Insert(lines, 3, lines[2]) // line 4 repeats line 3 (with its comma)
				u.set("data/build_results.json", []byte(strings.Join(lines, "\n")))
				return u.pack(t)
			},
			want: `^data/build_results.json line 4: field "submission_id": submission \d+ has a second build result$`,
		},
		{
			name: "damaged test results with a broken row",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				// The manifest keeps the old checksum: the bytes are
				// reported as damaged, not the row they break.
				u.data["data/test_results.json"] = bytes.Replace(u.data["data/test_results.json"], []byte(`"submission_id"`), []byte(`"submission_iX"`), 1)
				return u.pack(t)
			},
			want: `entry data/test_results.json: sha256 .* the content was changed or damaged`,
		},
		{
			name: "fewer build results than the manifest says",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				for i, e := range u.manifest.Entries {
					if e.Path == "data/build_results.json" {
						u.manifest.Entries[i].Rows++
					}
				}
				return u.pack(t)
			},
			want: `^archive: entry data/build_results.json: \d+ rows, manifest says \d+$`,
		},
		{
			name: "a reference to a missing assignment",
			make: edited("data/submissions.json", 2, `"assignment_id":\d+`, `"assignment_id":99999`),
			want: `^data/submissions.json line 2: field "assignment_id": no assignment with id 99999 in data/assignments.json$`,
		},
		{
			name: "a reference to a missing member",
			make: edited("data/scores.json", 2, `"user_id":\d+`, `"user_id":424242`),
			want: `^data/scores.json line 2: field "user_id": no member with user_id 424242 in data/members.json$`,
		},
		{
			name: "a reference to a missing period",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				u.set("data/periods.json", []byte("[]\n"))
				return u.pack(t)
			},
			want: `^data/members.json line \d+: field "period_id": no period with id \d+ in data/periods.json$`,
		},
		{
			name: "a second score for the same cell",
			make: func(t *testing.T) []byte {
				u := unpack(t, good)
				lines := strings.Split(string(u.data["data/scores.json"]), "\n")
				lines = slices.Insert(lines, 3, lines[2]) // line 4 repeats line 3 (with its comma)
				u.set("data/scores.json", []byte(strings.Join(lines, "\n")))
				return u.pack(t)
			},
			want: `^data/scores.json line 4: field "user_id": user \d+ has a second score for assignment \d+$`,
		},
		{
			name: "a course code that already exists",
			make: func(t *testing.T) []byte { return good },
			want: `^a course with code CS101 already exists; use --code to import under another code$`,
			is:   ErrCodeTaken,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.make(t)
			before := src.state(t)
			// Under a new code, so the refusals found while writing are
			// reached too (a taken code is refused before anything is written).
			opts := Options{Limits: tc.limits, Code: "NEW101"}
			if tc.is == ErrCodeTaken {
				opts.Code = ""
			}
			_, err := src.importArchive(b, opts)
			if err == nil {
				t.Fatal("imported")
			}
			if !errors.Is(err, ErrRefused) {
				t.Errorf("error %q does not match ErrRefused", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q does not match %v", err, tc.is)
			}
			if !regexp.MustCompile(tc.want).MatchString(err.Error()) {
				t.Errorf("error %q\nwant it to match %q", err, tc.want)
			}
			if after := src.state(t); after != before {
				t.Errorf("the instance changed:\n%s", diffLines(before, after))
			}
		})
	}
}

// A failure after the static files were stored (here: cancelled while the
// rows are written) removes them again and rolls the rows back.
func TestImport_failureAfterStoringFilesLeavesNothing(t *testing.T) {
	src := demoInstance(t, tinyDemo())
	b := src.export(t, coursePeriods)
	dst := freshInstance(t)
	before := dst.state(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stages []string
	_, err := Import(ctx, dst.d, dst.files, bytes.NewReader(b), int64(len(b)), Options{Now: testNow,
		Progress: func(done, total int64, note string) {
			stages = append(stages, note)
			if note == "Writing scores" {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v; want context.Canceled, not a refusal", err)
	}
	if !strings.Contains(strings.Join(stages, "|"), "Storing static file") {
		t.Fatalf("no static file was stored before the failure: %v", stages)
	}
	if after := dst.state(t); after != before {
		t.Errorf("the instance changed:\n%s", diffLines(before, after))
	}
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	seen := map[string]int{}
	for _, l := range al {
		seen[l]++
	}
	for _, l := range bl {
		if seen[l] > 0 {
			seen[l]--
			continue
		}
		out = append(out, "+ "+l)
	}
	for l, n := range seen {
		for range n {
			out = append(out, "- "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], "...")
	}
	return strings.Join(out, "\n")
}

// Deflate really does squeeze the bomb fixture past the ratio limit; if it
// did not, the bomb case above would test nothing.
func TestBombFixtureIsABomb(t *testing.T) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	w.Write(make([]byte, 16<<20))
	w.Close()
	if ratio := (16 << 20) / buf.Len(); ratio <= int(archive.DefaultLimits.MaxRatio) {
		t.Fatalf("ratio %d: not a bomb", ratio)
	}
}
