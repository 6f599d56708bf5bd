// Package filestest gives tests a file store: the local directory, or the
// real S3-compatible server .ci/s3 starts, so one test runs on both.
package filestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"coursevault/db/files"
)

// S3URL is the test bucket's storage URL (.ci/s3 exports it), or "": tests
// that need it skip, and fail under CI=true.
func S3URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("COURSEVAULT_TEST_S3")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("COURSEVAULT_TEST_S3 is not set: .ci/run starts the S3 test server with .ci/s3")
		}
		t.Skip("no S3 test server: run `. .ci/s3` to start one and set COURSEVAULT_TEST_S3")
	}
	return u
}

// S3 returns a store in the test bucket under a prefix of its own, emptied
// when the test ends.
func S3(t testing.TB) *files.S3 {
	t.Helper()
	cfg, err := files.ParseS3URL(S3URL(t))
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	cfg.Prefix += t.Name() + "-" + hex.EncodeToString(b[:]) + "/"
	cfg.PartSize = 5 << 20 // the smallest part, so tests of a few MiB go multipart
	s, err := files.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { empty(s) })
	return s
}

// Blobs returns the store the tests of a package run on: nil (the Service's
// own directory) unless COURSEVAULT_TEST_STORE=s3, which runs them on S3.
func Blobs(t testing.TB) files.Blobs {
	t.Helper()
	if os.Getenv("COURSEVAULT_TEST_STORE") != "s3" {
		return nil
	}
	return S3(t)
}

// Keys lists what a store holds, sorted: every object and, for the
// directory, every other file too (a temp left behind counts).
func Keys(t testing.TB, b files.Blobs) []string {
	t.Helper()
	var out []string
	if d, ok := b.(*files.Dir); ok {
		entries, err := os.ReadDir(d.Path())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	err := b.List(context.Background(), func(o files.Object) error {
		out = append(out, o.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// Has reports whether the store holds an object under key.
func Has(t testing.TB, b files.Blobs, key string) bool {
	t.Helper()
	_, err := b.Stat(context.Background(), key)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// UniqueS3URL is the test bucket's storage URL with a prefix of its own
// (credentials kept), emptied when the test ends: for tests that pass a
// --storage URL to a command.
func UniqueS3URL(t testing.TB) string {
	t.Helper()
	raw := S3URL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + hex.EncodeToString(b[:])
	cfg, err := files.ParseS3URL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := files.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { empty(s) })
	return u.String()
}

// AbandonUpload starts a multipart upload to key in s and sends one part,
// as a process killed mid-upload leaves it.
func AbandonUpload(t testing.TB, s *files.S3, key string) {
	t.Helper()
	cfg, c := s.Config(), client(t, s)
	ctx := context.Background()
	id, err := c.NewMultipartUpload(ctx, cfg.Bucket, cfg.Prefix+key, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part := strings.Repeat("x", 5<<20)
	if _, err := c.PutObjectPart(ctx, cfg.Bucket, cfg.Prefix+key, id, 1, strings.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Uploads lists the unfinished multipart uploads in s, by key.
func Uploads(t testing.TB, s *files.S3) []string {
	t.Helper()
	cfg, c := s.Config(), client(t, s)
	var out []string
	for u := range c.ListIncompleteUploads(context.Background(), cfg.Bucket, cfg.Prefix, true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		out = append(out, strings.TrimPrefix(u.Key, cfg.Prefix))
	}
	return out
}

// empty removes everything under a test store's prefix.
func empty(s *files.S3) {
	ctx := context.Background()
	s.Tidy(ctx, -1, nil)
	s.List(ctx, func(o files.Object) error { return s.Delete(ctx, o.Key) })
}

// client is a minio client of s's server, for what the store does not offer.
func client(t testing.TB, s *files.S3) *minio.Core {
	t.Helper()
	cfg := s.Config()
	c, err := minio.NewCore(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure, Region: cfg.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
