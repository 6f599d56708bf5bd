package roster

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// roster5000 is a 5,000-line roster: 20 periods, zero-padded student ids.
func roster5000(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Email,First name,Last name,Role,Period,Student ID\r\n")
	for i := range n {
		fmt.Fprintf(&b, "student%05d@school.edu,Given%d,Family%d,student,Period %d,%06d\r\n", i, i, i, i%20, i)
	}
	return b.Bytes()
}

func BenchmarkRoster(b *testing.B) {
	const lines = 5000
	data := roster5000(lines)
	ctx := context.Background()
	perSec := func(b *testing.B) {
		b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	}
	b.Run(fmt.Sprintf("preview/%d", lines), func(b *testing.B) { // Read + Plan on an empty course
		c := newCourse(b)
		b.ReportAllocs()
		for b.Loop() {
			f, err := Read(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if p, err := Plan(ctx, c.d.Queries, c.id, f, Options{}); err != nil || len(p.Add) != lines {
				b.Fatal(err, len(p.Add))
			}
		}
		perSec(b)
	})
	b.Run(fmt.Sprintf("apply-fresh/%d", lines), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			c := newCourse(b)
			b.StartTimer()
			f, err := Read(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if _, n, err := Apply(ctx, c.d, c.id, f, Options{}, testNow); err != nil || n.Added != lines {
				b.Fatal(err, n)
			}
		}
		perSec(b)
	})
	b.Run(fmt.Sprintf("apply-unchanged/%d", lines), func(b *testing.B) {
		c := newCourse(b)
		f, _ := Read(bytes.NewReader(data))
		if _, _, err := Apply(ctx, c.d, c.id, f, Options{}, testNow); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			f, err := Read(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if _, n, err := Apply(ctx, c.d, c.id, f, Options{RemoveMissing: true}, testNow); err != nil || n.Unchanged != lines {
				b.Fatal(err, n)
			}
		}
		perSec(b)
	})
}
