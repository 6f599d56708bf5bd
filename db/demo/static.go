package demo

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
)

// staticFile is one piece of course material the demo stores.
type staticFile struct {
	path    string
	content []byte
}

// staticFiles returns n files for a course: the first five are one of each
// type (PDF, PNG, text, CSV, Markdown in a folder whose name has a space);
// the rest are more lecture weeks. The bytes depend only on the course, so
// the same seed stores the same files.
func staticFiles(code, name string, n int) []staticFile {
	base := []staticFile{
		{"syllabus.pdf", tinyPDF(name + " — Syllabus")},
		{"images/logo.png", logoPNG},
		{"README.txt", []byte(fmt.Sprintf("%s: %s\r\nCourse material. Questions? Ask in office hours — café at 3 pm.\r\nÜbung macht den Meister. 練習は完璧を作る.\r\n", code, name))},
		{"roster-template.csv", []byte("student_id,family_name,given_name,email\n000417,O'Brien,Zoë,s00001@demo.test\n\"001020\",\"Núñez, Jr.\",José,s00002@demo.test\n0099,김,민준,s00003@demo.test\n")},
		{"lectures/week 1/notes.md", []byte("# Week 1 — Getting started\n\n* Install the toolchain\n* `hello, 世界`\n\n| step | done |\n|---|---|\n| clone | ✓ |\n")},
	}
	var out []staticFile
	for i := 0; i < n; i++ {
		if i < len(base) {
			out = append(out, base[i])
			continue
		}
		week := 2 + (i-len(base))/2
		if (i-len(base))%2 == 0 {
			out = append(out, staticFile{fmt.Sprintf("lectures/week %d/slides.pdf", week), tinyPDF(fmt.Sprintf("%s — Week %d", name, week))})
		} else {
			out = append(out, staticFile{fmt.Sprintf("lectures/week %d/résumé – naïve notes.txt", week), []byte(fmt.Sprintf("Week %d notes for %s.\n", week, code))})
		}
	}
	return out
}

// tinyPDF returns a valid one-page PDF showing title (ASCII only survives
// the standard font; other characters are replaced).
func tinyPDF(title string) []byte {
	safe := strings.Map(func(r rune) rune {
		if r < 32 || r > 126 || r == '(' || r == ')' || r == '\\' {
			return '-'
		}
		return r
	}, title)
	stream := fmt.Sprintf("BT /F1 18 Tf 72 720 Td (%s) Tj ET", safe)
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// logoPNG is a small gradient square.
var logoPNG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, color.RGBA{R: uint8(x * 8), G: uint8(y * 8), B: 160, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err) // encoding an in-memory image cannot fail
	}
	return b.Bytes()
}()
