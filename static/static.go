// Package static embeds the front-end files (vendored htmx and Pico CSS,
// app.css, icons) so the binary is the whole app.
package static

import "embed"

// FS holds every file of this folder except Go sources.
//
//go:embed *.css *.js *.svg
var FS embed.FS
