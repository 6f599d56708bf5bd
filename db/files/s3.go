package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// DefaultPartSize is the size of the parts of a multipart upload: the most
// memory one upload holds at once (objects up to 10,000 parts: 160 GiB).
const DefaultPartSize = 16 << 20

// S3Config is a parsed S3 storage URL:
//
//	s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=true
//
// Options: endpoint (scheme and host; default https://s3.amazonaws.com),
// region (default us-east-1), path_style (true for most self-hosted
// servers), access_key and secret_key (default AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY; AWS_SESSION_TOKEN too), part_size_mib (16),
// timeout (per request without an answer, default 30s), sweep_grace (how old
// leftovers must be before a sweep removes them, default 1h).
type S3Config struct {
	Bucket    string
	Prefix    string // "" or ending in "/"
	Endpoint  string // host[:port]
	Secure    bool
	Region    string
	PathStyle bool
	AccessKey string
	SecretKey string
	Session   string
	PartSize  uint64
	Timeout   time.Duration
	// SweepGrace is how old an object without a row or an unfinished
	// upload must be before a sweep removes it (default an hour).
	SweepGrace time.Duration
}

// String is the URL without credentials, for logs and errors.
func (c S3Config) String() string {
	scheme := "https"
	if !c.Secure {
		scheme = "http"
	}
	q := url.Values{"endpoint": {scheme + "://" + c.Endpoint}, "region": {c.Region}}
	if c.PathStyle {
		q.Set("path_style", "true")
	}
	return "s3://" + c.Bucket + "/" + c.Prefix + "?" + q.Encode()
}

// ParseS3URL parses an s3:// storage URL. Errors never repeat the URL's
// credentials.
func ParseS3URL(raw string) (S3Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return S3Config{}, errors.New("storage URL is not a URL (expected s3://bucket/prefix?endpoint=...)")
	}
	if u.Scheme != "s3" || u.Host == "" {
		return S3Config{}, errors.New("storage URL must look like s3://bucket/prefix?endpoint=...")
	}
	if u.User != nil {
		return S3Config{}, errors.New("storage URL: put credentials in access_key/secret_key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, not before the bucket")
	}
	c := S3Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Region: "us-east-1", Secure: true,
		Endpoint: "s3.amazonaws.com", PartSize: DefaultPartSize, Timeout: 30 * time.Second, SweepGrace: time.Hour,
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"), Session: os.Getenv("AWS_SESSION_TOKEN")}
	if err := s3utils.CheckValidBucketName(c.Bucket); err != nil {
		return S3Config{}, fmt.Errorf("storage URL: bucket %q: %v", c.Bucket, err)
	}
	if c.Prefix != "" {
		c.Prefix += "/"
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return S3Config{}, errors.New("storage URL: the options after ? are not a valid query")
	}
	for k, v := range query {
		val := v[len(v)-1]
		switch k {
		case "endpoint":
			e, err := url.Parse(val)
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" || (e.Path != "" && e.Path != "/") {
				return S3Config{}, fmt.Errorf("storage URL: endpoint %q must be http://host[:port] or https://host[:port]", val)
			}
			c.Endpoint, c.Secure = e.Host, e.Scheme == "https"
		case "region":
			c.Region = val
		case "path_style":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return S3Config{}, fmt.Errorf("storage URL: path_style %q must be true or false", val)
			}
			c.PathStyle = b
		case "access_key":
			c.AccessKey = val
		case "secret_key":
			c.SecretKey = val
		case "session_token":
			c.Session = val
		case "part_size_mib":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil || n < 5 || n > 5<<10 {
				return S3Config{}, fmt.Errorf("storage URL: part_size_mib %q must be a whole number of MiB from 5 to 5120", val)
			}
			c.PartSize = n << 20
		case "sweep_grace":
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return S3Config{}, fmt.Errorf("storage URL: sweep_grace %q must be a duration such as 1h", val)
			}
			c.SweepGrace = d
		case "timeout":
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return S3Config{}, fmt.Errorf("storage URL: timeout %q must be a duration such as 30s", val)
			}
			c.Timeout = d
		default:
			return S3Config{}, fmt.Errorf("storage URL: unknown option %q (known: endpoint, region, path_style, access_key, secret_key, session_token, part_size_mib, timeout, sweep_grace)", k)
		}
	}
	return c, nil
}

// S3 keeps objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW,
// Garage, Cloudflare R2, versitygw) under the configured prefix. Objects are
// written with a streaming multipart upload of bounded parts, so an archive
// of any size never sits whole in memory or on local disk; an object appears
// only when its upload completes.
type S3 struct {
	c   *minio.Client
	cfg S3Config
}

// NewS3 connects to the bucket described by cfg (no request is made).
func NewS3(cfg S3Config) (*S3, error) {
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.Session),
		Secure:       cfg.Secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    tr,
		MaxRetries:   3,
	})
	if err != nil {
		return nil, fmt.Errorf("files: %s: %w", cfg, err)
	}
	return &S3{c: c, cfg: cfg}, nil
}

func (s *S3) String() string { return s.cfg.String() }

func (s *S3) key(k string) string { return s.cfg.Prefix + k }

// Put streams r to a multipart upload (unknown length, parts of
// cfg.PartSize) and confirms the object exists with the size sent.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if !ValidToken(key) {
		return 0, fmt.Errorf("files: key %q is not a token", key)
	}
	cr := &countReader{r: ContextReader(ctx, r)}
	info, err := s.c.PutObject(ctx, s.cfg.Bucket, s.key(key), cr, -1, minio.PutObjectOptions{
		ContentType: "application/octet-stream", PartSize: s.cfg.PartSize, DisableContentSha256: s.cfg.Secure})
	if err != nil {
		if cr.err != nil {
			return 0, cr.err // the source failed: say so, not what the upload made of it
		}
		return 0, s.fail(err)
	}
	size, err := s.Stat(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("confirm upload: %w", err)
	}
	if size != cr.n || info.Size != cr.n {
		s.Delete(context.WithoutCancel(ctx), key)
		return 0, fmt.Errorf("the file store kept %d bytes of %d sent", size, cr.n)
	}
	return cr.n, nil
}

// countReader counts bytes and remembers the source's own error.
type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// Open opens the object for ranged reads (each Seek then Read is a ranged GET).
func (s *S3) Open(ctx context.Context, key string) (Blob, error) {
	o, err := s.c.GetObject(ctx, s.cfg.Bucket, s.key(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.fail(err)
	}
	if _, err := o.Stat(); err != nil {
		o.Close()
		return nil, s.fail(err)
	}
	return o, nil
}

// Stat returns the object's size.
func (s *S3) Stat(ctx context.Context, key string) (int64, error) {
	info, err := s.c.StatObject(ctx, s.cfg.Bucket, s.key(key), minio.StatObjectOptions{})
	if err != nil {
		return 0, s.fail(err)
	}
	return info.Size, nil
}

// Delete removes the object.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := s.c.RemoveObject(ctx, s.cfg.Bucket, s.key(key), minio.RemoveObjectOptions{}); err != nil {
		if err := s.fail(err); !isNotExist(err) {
			return err
		}
	}
	return nil
}

// List lists the objects under the prefix named by a token.
func (s *S3) List(ctx context.Context, fn func(Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for o := range s.c.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.cfg.Prefix, Recursive: true}) {
		if o.Err != nil {
			return s.fail(o.Err)
		}
		k := strings.TrimPrefix(o.Key, s.cfg.Prefix)
		if !ValidToken(k) {
			continue
		}
		if err := fn(Object{Key: k, Size: o.Size, ModTime: o.LastModified}); err != nil {
			return err
		}
	}
	return nil
}

// Tidy aborts multipart uploads under the prefix started more than grace
// ago (a process killed mid-upload) but for live ones; their parts are
// freed by the store. A store cannot tell a dead process's upload from a
// running one's, so grace (sweep_grace, default an hour) must exceed the
// longest upload another process (a CLI import) may make meanwhile.
func (s *S3) Tidy(ctx context.Context, grace time.Duration, live func(string) bool) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	old := time.Now().Add(-grace)
	var stale []string
	for u := range s.c.ListIncompleteUploads(ctx, s.cfg.Bucket, s.cfg.Prefix, true) {
		if u.Err != nil {
			return 0, s.fail(u.Err)
		}
		if u.Initiated.Before(old) && (live == nil || !live(strings.TrimPrefix(u.Key, s.cfg.Prefix))) {
			stale = append(stale, u.Key)
		}
	}
	removed := 0
	for _, k := range stale {
		if err := s.c.RemoveIncompleteUpload(ctx, s.cfg.Bucket, k); err != nil {
			return removed, s.fail(err)
		}
		removed++
	}
	return removed, nil
}

// Presign returns a GET URL valid for ttl.
func (s *S3) Presign(ctx context.Context, key string, ttl time.Duration, params url.Values) (*url.URL, error) {
	u, err := s.c.PresignedGetObject(ctx, s.cfg.Bucket, s.key(key), ttl, params)
	if err != nil {
		return nil, s.fail(err)
	}
	return u, nil
}

// Check makes one request to tell whether the bucket answers.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return s.fail(err)
	}
	if !ok {
		return fmt.Errorf("the bucket %s does not exist", s.cfg.Bucket)
	}
	return nil
}

// fail maps a store error: a missing object matches fs.ErrNotExist, a store
// that could not be reached matches ErrStoreDown. Errors name the store
// without credentials (minio-go never puts them in its errors).
func (s *S3) fail(err error) error {
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code != "" {
		switch resp.Code {
		case minio.NoSuchKey, "NotFound":
			return fmt.Errorf("%s: %w (%w)", s.cfg.Bucket, fs.ErrNotExist, err)
		case "NoSuchBucket":
			return fmt.Errorf("the bucket %s does not exist: %w", s.cfg.Bucket, err)
		}
		if resp.StatusCode >= 500 {
			return downError(err)
		}
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) {
		return downError(err)
	}
	return err
}

// Grace is how old leftovers must be before a sweep removes them.
func (s *S3) Grace() time.Duration { return s.cfg.SweepGrace }

// Config is the store's configuration.
func (s *S3) Config() S3Config { return s.cfg }
