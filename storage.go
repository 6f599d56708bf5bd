package main

import (
	"fmt"
	"log/slog"

	"coursevault/db/files"
)

// storageFlag adds --storage, shared by every command that opens the file store.
func (f flags) storage() *string {
	return f.String("storage", "file", "where attachments live: file (the data directory's attachments/) or an S3 URL such as "+
		"s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=true; see README (COURSEVAULT_STORAGE)")
}

// openBlobs opens the store --storage names: nil for the data directory
// (files.New's default), an S3 bucket for an s3:// URL. Errors never
// repeat the URL's credentials.
func openBlobs(storage string, log *slog.Logger) (files.Blobs, error) {
	switch {
	case storage == "" || storage == "file":
		return nil, nil
	case len(storage) > 5 && storage[:5] == "s3://":
		cfg, err := files.ParseS3URL(storage)
		if err != nil {
			return nil, fmt.Errorf("%w: --storage: %v", errUsage, err)
		}
		s, err := files.NewS3(cfg)
		if err != nil {
			return nil, err
		}
		if log != nil {
			log.Info("attachments in object storage", "store", s.String())
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w: --storage must be file or an s3:// URL", errUsage)
}
