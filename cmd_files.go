package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"coursevault/db/files"
)

// runFiles: files migrate --to URL | --from URL, files check.
func runFiles(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "migrate":
			return runFilesMigrate(ctx, args[1:], stdout)
		case "check":
			return runFilesCheck(ctx, args[1:], stdout)
		}
	}
	return fmt.Errorf("%w: expected migrate or check", errUsage)
}

// runFilesMigrate copies every attachment of the data directory to another
// store (--to) or back to the directory (--from), then says how to switch.
func runFilesMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("files migrate")
	dataDir := f.dataDir()
	to := f.String("to", "", "the store to copy the data directory's attachments to (an s3:// URL)")
	from := f.String("from", "", "the store to copy attachments from, back into the data directory (an s3:// URL)")
	if err := f.parse(args); err != nil {
		return err
	}
	if (*to == "") == (*from == "") {
		return fmt.Errorf("%w: give --to URL (directory to object storage) or --from URL (back)", errUsage)
	}
	src, dst, next := "file", *to, *to
	if *from != "" {
		src, dst, next = *from, "file", "file"
	}
	d, fs, err := openStore(ctx, *dataDir, src, files.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	target, err := openBlobs(dst, nil)
	if err != nil {
		return err
	}
	if target == nil { // back into the data directory
		if target, err = files.NewDir(attachmentsDir(*dataDir), nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "copying attachments from %s to %s\n", fs.Blobs(), target)
	m, err := files.Migrate(ctx, d, fs.Blobs(), target, func(fl files.File, what string) {
		fmt.Fprintf(os.Stderr, "%s  %s (%s): %s\n", fl.Token, fl.Filename, files.FormatSize(fl.Size), what)
	})
	fmt.Fprintf(stdout, "%d copied (%s), %d already there, %d failed\n", m.Copied, files.FormatSize(m.Bytes), m.Present, len(m.Failed))
	if err != nil {
		return fmt.Errorf("%w; run the same command again to resume", err)
	}
	for _, fl := range m.Failed {
		fmt.Fprintf(stdout, "FAILED %s %s: %v\n", fl.File.Token, fl.File.Filename, fl.Err)
	}
	if len(m.Failed) > 0 {
		return fmt.Errorf("%d files could not be copied; `coursevault files check` lists files whose bytes are missing", len(m.Failed))
	}
	fmt.Fprintf(stdout, "every attachment is in the new store; stop serve, run this again to copy what was stored meanwhile, then start it with\n  --storage '%s'\n", redactedStorage(next))
	return nil
}

// redactedStorage is a --storage value fit to print: an s3 URL without its
// credentials (give them as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or
// add them back).
func redactedStorage(storage string) string {
	if storage == "file" {
		return storage
	}
	c, err := files.ParseS3URL(storage)
	if err != nil {
		return "s3://..."
	}
	return c.String()
}

// runFilesCheck lists the files whose bytes the store does not have.
func runFilesCheck(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("files check")
	dataDir := f.dataDir()
	storage := f.storage()
	if err := f.parse(args); err != nil {
		return err
	}
	d, fs, err := openStore(ctx, *dataDir, *storage, files.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	missing, err := fs.Missing(ctx)
	for _, fl := range missing {
		fmt.Fprintf(stdout, "missing\t%d\t%s\t%s\t%s %d\t%s\n", fl.ID, fl.Token, fl.Category, fl.Owner.Type, fl.Owner.ID, fl.Filename)
	}
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("%d files have no bytes (or the wrong size) in %s", len(missing), fs.Blobs())
	}
	fmt.Fprintf(stdout, "every file's bytes are in %s\n", fs.Blobs())
	return nil
}
