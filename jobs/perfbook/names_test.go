package perfbook

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func TestFilename(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2015, 4, 30, 19, 34, 2, 0, chicago)
	tests := []struct {
		name, course, want string
	}{
		{"seed example", "Physics I", "Physics_I_Performance_20150430-193402.xlsx"},
		{"runs of spaces become one underscore", "  Physics \t  I  ", "Physics_I_Performance_20150430-193402.xlsx"},
		{"windows-forbidden characters dropped", `A/B\C:D*E?F"G<H>I|J`, "ABCDEFGHIJ_Performance_20150430-193402.xlsx"},
		{"unicode letters kept", "Física Ñandú 物理", "Física_Ñandú_物理_Performance_20150430-193402.xlsx"},
		{"control and bidi characters dropped", "Evil\u202Exslx.exe\x00\n", "Evilxslx.exe_Performance_20150430-193402.xlsx"},
		{"leading dots dropped", "..hidden", "hidden_Performance_20150430-193402.xlsx"},
		{"decomposed accents composed", "Fi\u0301sica", "Física_Performance_20150430-193402.xlsx"},
		{"empty name", "", "Course_Performance_20150430-193402.xlsx"},
		{"only forbidden characters", `/// ???`, "Course_Performance_20150430-193402.xlsx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Filename(tt.course, at); got != tt.want {
				t.Fatalf("Filename(%q) = %q, want %q", tt.course, got, tt.want)
			}
		})
	}
	t.Run("time shown in the given zone", func(t *testing.T) {
		if got := Filename("P", at.UTC()); got != "P_Performance_20150501-003402.xlsx" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("long names are capped", func(t *testing.T) {
		got := Filename(strings.Repeat("é", 500), at)
		if len(got) > 200 || !strings.HasSuffix(got, "_Performance_20150430-193402.xlsx") {
			t.Fatalf("len %d: %q", len(got), got)
		}
	})
}

func TestSheetNames(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name   string
		wanted []string
		want   []string
	}{
		{"plain names kept", []string{"Period 1", "Period 2"}, []string{"Period 1", "Period 2"}},
		{"forbidden characters replaced", []string{"A/B: [1]*?\\"}, []string{"A-B- -1----"}},
		{"summary is taken, case-insensitively", []string{"summary"}, []string{"summary (2)"}},
		{"blank uses the fallback", []string{"  ", "''"}, []string{"Period 1", "Period 2"}},
		{"apostrophes trimmed at the ends", []string{"'Quoted'"}, []string{"Quoted"}},
		{"History is reserved", []string{"history"}, []string{"history (period)"}},
		{"long names cut to 31", []string{long}, []string{long[:31]}},
		{"cut names stay unique", []string{long, long + "y"}, []string{long[:31], long[:27] + " (2)"}},
		{"duplicates after cleaning numbered", []string{"A/B", "A:B", "a-b"}, []string{"A-B", "A-B (2)", "a-b (3)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sheetNames([]string{"Summary"}, tt.wanted, func(i int) string { return "Period " + string(rune('1'+i)) })
			if !slices.Equal(got, tt.want) {
				t.Fatalf("sheetNames(%q) = %q, want %q", tt.wanted, got, tt.want)
			}
		})
	}
	t.Run("length counted in UTF-16 units", func(t *testing.T) {
		got := sheetNames(nil, []string{strings.Repeat("😀", 20)}, nil)[0]
		if n := len(utf16.Encode([]rune(got))); n > 31 || n < 30 {
			t.Fatalf("%q is %d UTF-16 units", got, n)
		}
	})
}
