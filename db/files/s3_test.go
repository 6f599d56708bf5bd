package files

import (
	"strings"
	"testing"
	"time"
)

func TestParseS3URL_readsEveryOption(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "env-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	c, err := ParseS3URL("s3://my-bucket/a/b/?endpoint=http://127.0.0.1:9000&region=eu-west-3&path_style=true&part_size_mib=8&timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	want := S3Config{Bucket: "my-bucket", Prefix: "a/b/", Endpoint: "127.0.0.1:9000", Secure: false, Region: "eu-west-3", PathStyle: true,
		AccessKey: "env-key", SecretKey: "env-secret", PartSize: 8 << 20, Timeout: 5 * time.Second, SweepGrace: time.Hour}
	if c != want {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	c, err = ParseS3URL("s3://my-bucket?access_key=url-key&secret_key=url-secret")
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKey != "url-key" || c.SecretKey != "url-secret" || c.Endpoint != "s3.amazonaws.com" || !c.Secure || c.Prefix != "" || c.PartSize != DefaultPartSize {
		t.Fatalf("defaults and URL credentials: %+v", c)
	}
}

func TestParseS3URL_refusalsAndLogsNeverShowTheSecret(t *testing.T) {
	const secret = "TOP-SECRET-42"
	for _, raw := range []string{
		"s3://my-bucket/p?secret_key=" + secret + "&endpoint=ftp://x",
		"s3://my-bucket/p?secret_key=" + secret + "&path_style=maybe",
		"s3://my-bucket/p?secret_key=" + secret + "&part_size_mib=1",
		"s3://my-bucket/p?secret_key=" + secret + "&colour=blue",
		"s3://key:" + secret + "@my-bucket/p",
		"s3://x/p?secret_key=" + secret,
		"http://my-bucket/p?secret_key=" + secret,
		"s3://my-bucket/p?secret_key=" + secret + "&timeout=%zz",
	} {
		_, err := ParseS3URL(raw)
		if err == nil {
			t.Errorf("%s: accepted", raw)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the secret: %v", raw, err)
		}
	}
	c, err := ParseS3URL("s3://my-bucket/p?endpoint=http://h:1&secret_key=" + secret + "&access_key=AKIA")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewS3(c)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.String(); strings.Contains(d, secret) || strings.Contains(d, "AKIA") || !strings.Contains(d, "s3://my-bucket/p/") {
		t.Errorf("String() = %q", d)
	}
}
