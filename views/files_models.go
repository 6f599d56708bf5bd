package views

// FilesPage is a course's Files tab: its public material, the upload form
// and what uploading last did.
type FilesPage struct {
	Header CourseHeader
	Body   FilesBody
}

// FilesBody is the part of the Files tab htmx swaps after an upload: the
// upload form (with its error and the folder kept) and the list.
type FilesBody struct {
	UploadURL   string
	Folder      string // the folder field, kept after a refusal
	UploadError string
	Uploaded    string // "Uploaded 3 files (1.2 MiB)." after an htmx upload
	MaxSize     string // "1 GiB"
	Usage       string // "3 files, 1.2 MiB · 2 GiB of 10 GiB used"
	Rows        []StaticRow
	CSRFToken   string
}

// StaticRow is one course file; the unit htmx swaps after a rename.
type StaticRow struct {
	ID        string // element id, "static-12"
	Path      string
	URL       string // the public download link
	Size      string // "1.5 MiB"
	Type      string // "application/pdf"
	Uploaded  Time
	RenameURL string
	DeleteURL string
	NewPath   string // the rename field, kept after a refusal
	Error     string // why a rename was refused
	CSRFToken string
}

// DeleteFileConfirm asks before a course file is deleted (without JavaScript).
type DeleteFileConfirm struct {
	Header    CourseHeader
	Path      string
	DeleteURL string
	FilesURL  string
}
