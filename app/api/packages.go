package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"os"
	"strconv"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/formdata"
	"github.com/gofiber/fiber/v2"
)

// PackageResource is one package version as Octopus clients see it.
type PackageResource struct {
	Id             string
	PackageId      string
	NuGetPackageId string
	FeedId         string
	NuGetFeedId    string
	Title          string
	Summary        string
	Version        string
	Description    string
	// ReleaseNotes is null, as Octopus sends it for a package without
	// notes: the octopus CLI 1.x (go-octopusdeploy 2.32) decodes this field
	// into the published time, so "" would fail its `package list`.
	ReleaseNotes     *string
	Published        Time
	Size             int64
	PackageSizeBytes int64
	Hash             string
	FileExtension    string
	PushedBy         string
	BlobMissing      bool
	SpaceId          string
	Links            map[string]string
}

func packageDTO(p *app.Package) PackageResource {
	self := spaceLink(p.SpaceID, "/packages/%s", p.ID)
	return PackageResource{Id: p.ID, PackageId: p.PackageID, NuGetPackageId: p.PackageID, FeedId: app.BuiltInFeedID,
		NuGetFeedId: app.BuiltInFeedID, Title: p.Title, Version: p.Version, Description: p.Description,
		Published: Time{p.Published}, Size: p.Size, PackageSizeBytes: p.Size, Hash: p.Hash,
		FileExtension: p.FileExtension, PushedBy: p.PushedBy, BlobMissing: p.BlobMissing, SpaceId: p.SpaceID,
		Links: map[string]string{"Self": self, "Raw": self + "/raw"}}
}

// PackageVersionResource is one entry of a feed's version list.
type PackageVersionResource struct {
	Id            string
	PackageId     string
	Version       string
	SizeBytes     int64
	Published     Time
	FeedId        string
	Title         string
	FileExtension string
	Links         map[string]string
}

func packageVersionDTO(p *app.Package) PackageVersionResource {
	return PackageVersionResource{Id: p.ID, PackageId: p.PackageID, Version: p.Version, SizeBytes: p.Size,
		Published: Time{p.Published}, FeedId: app.BuiltInFeedID, Title: p.Title, FileExtension: p.FileExtension,
		Links: map[string]string{"Self": spaceLink(p.SpaceID, "/packages/%s", p.ID)}}
}

// FeedResource is the built-in feed. Retention fields are Argonaut's: the
// keep-N and keep-D-days policy of the built-in repository.
type FeedResource struct {
	Id                                   string
	Name                                 string
	Slug                                 string
	FeedType                             string
	SpaceId                              string
	PackageAcquisitionLocationOptions    []string
	DeletePackagesAssociatedWithReleases bool
	PackageRetentionVersionsToKeep       int
	PackageRetentionDaysToKeep           int
	Links                                map[string]string
}

func feedDTO(s *app.FeedSettings) FeedResource {
	self := spaceLink(s.SpaceID, "/feeds/%s", app.BuiltInFeedID)
	return FeedResource{Id: app.BuiltInFeedID, Name: "Octopus Server (built-in)", Slug: "octopus-server-built-in",
		FeedType: "BuiltIn", SpaceId: s.SpaceID, PackageAcquisitionLocationOptions: []string{"Server", "ExecutionTarget"},
		PackageRetentionVersionsToKeep: s.KeepVersions, PackageRetentionDaysToKeep: s.KeepDays,
		Links: map[string]string{
			"Self":                          self,
			"SearchPackageVersionsTemplate": self + "/packages/versions{?packageId,take,skip,includePrerelease,versionRange,preReleaseTag,filter}",
			"Packages":                      spaceLink(s.SpaceID, "/packages{/id}{?filter,latest,skip,take}"),
			"RetentionRun":                  self + "/retention/run",
		}}
}

// RetentionRunResource reports a retention run.
type RetentionRunResource struct {
	SpaceId        string
	Started        Time
	Removed        []PackageResource
	KeptReferenced int
}

// uploadDrainLimit is how much of an unread upload body is read and
// discarded after an early answer (409, 200 ignored, 400) so the connection
// stays usable; a longer rest closes the connection instead.
const uploadDrainLimit = 64 << 20

// pushPackage streams an upload into the feed. It takes multipart/form-data
// with a part "file" (what the octopus CLI, Octopus's portal and
// go-octopusdeploy send), or any other body as the raw file with the name in
// ?fileName= or the X-Package-FileName header. The body is read from the
// connection as it arrives (BodyStream, never c.Body()), so fiber's
// BodyLimit does not apply; the feed's own size limit does.
func (h *Handler) pushPackage(c *fiber.Ctx) error {
	body := &countingReader{r: BodyStream(c)}
	defer drainUpload(c, body)
	mode, err := overwriteMode(c)
	if err != nil {
		return err
	}
	if cl := c.Request().Header.ContentLength(); cl > 0 {
		if max, ok := h.Packages.(interface{ MaxPackageSize() int64 }); ok && int64(cl) > max.MaxPackageSize()+1<<20 {
			return app.Errorf(app.ETOOLARGE, "The package is larger than the limit of %d bytes.", max.MaxPackageSize())
		}
	}

	var fileName string
	var content io.Reader = body
	mediaType, params, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if mediaType == "multipart/form-data" {
		if params["boundary"] == "" {
			return app.Invalid("The multipart body has no boundary in its Content-Type.")
		}
		part, name, err := filePart(formdata.NewReader(body, params["boundary"]))
		if err != nil {
			return err
		}
		fileName, content = name, part
	} else {
		fileName = c.Query("fileName")
		if fileName == "" {
			fileName = c.Get("X-Package-FileName")
		}
	}

	ctx := c.UserContext()
	if mode != app.OverwriteExisting {
		// Answer before reading gigabytes that would be refused anyway.
		if p, err := h.Packages.PackageExists(ctx, spaceID(c), fileName); err == nil {
			if mode == app.IgnoreIfExists {
				return c.Status(fiber.StatusOK).JSON(packageDTO(p))
			}
			return app.Errorf(app.ECONFLICT, "The package %s version %s already exists. Push with overwriteMode=OverwriteExisting to replace it, or IgnoreIfExists to keep it.", p.PackageID, p.Version)
		} else if code := app.ErrorCode(err); code != app.ENOTFOUND {
			return err
		}
	}
	p, res, err := h.Packages.PushPackage(ctx, spaceID(c), fileName, content, mode)
	if body.err != nil {
		return app.Invalid("The upload was interrupted: " + body.err.Error())
	}
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if res == app.PushIgnored {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(packageDTO(p))
}

// filePart returns the part named "file" and its file name, skipping
// other fields. The name is read from Content-Disposition as sent:
// mime/multipart's Part.FileName would strip a directory ("../x.1.0.0.zip" →
// "x.1.0.0.zip") and hide a traversal attempt that must be refused.
func filePart(fr *formdata.Reader) (io.Reader, string, error) {
	for {
		part, err := fr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", app.Invalid("The multipart body has no part named 'file'.")
		} else if err != nil {
			return nil, "", app.Invalid("The multipart body could not be read: " + err.Error())
		}
		name, fileName := part.FormName(), part.FileName()
		if name == "file" || (name == "" && fileName != "") {
			var content io.Reader = part
			// As mime/multipart's NextPart does.
			if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
				content = quotedprintable.NewReader(part)
			}
			return content, fileName, nil
		}
	}
}

// drainUpload reads and discards a moderate unread rest of an upload after
// an early answer (409, 200 ignored, 400, 413), so that the client reads
// the answer rather than a reset connection; FinishBody closes the
// connection when more is left.
func drainUpload(c *fiber.Ctx, body *countingReader) {
	if body.err != nil {
		c.Context().SetConnectionClose()
		return
	}
	io.Copy(io.Discard, io.LimitReader(body, uploadDrainLimit))
}

// countingReader remembers the first read error of the request body, so a
// cut connection is reported as such rather than as a storage failure.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && r.err == nil {
		r.err = err
	}
	return n, err
}

func overwriteMode(c *fiber.Ctx) (app.OverwriteMode, error) {
	switch m := c.Query("overwriteMode"); {
	case m == "":
	case strings.EqualFold(m, string(app.FailIfExists)):
		return app.FailIfExists, nil
	case strings.EqualFold(m, string(app.OverwriteExisting)):
		return app.OverwriteExisting, nil
	case strings.EqualFold(m, string(app.IgnoreIfExists)):
		return app.IgnoreIfExists, nil
	default:
		return "", app.Invalid(fmt.Sprintf("The overwriteMode %q is not one of FailIfExists, OverwriteExisting, IgnoreIfExists.", m))
	}
	if r := c.Query("replace"); r != "" {
		replace, err := strconv.ParseBool(r)
		if err != nil {
			return "", app.Invalid("The query parameter 'replace' must be true or false.")
		}
		if replace {
			return app.OverwriteExisting, nil
		}
	}
	return app.FailIfExists, nil
}

func packageFilter(c *fiber.Ctx) (app.PackageFilter, app.Filter, error) {
	f, err := listFilter(c)
	if err != nil {
		return app.PackageFilter{}, f, err
	}
	latest, _ := strconv.ParseBool(c.Query("latest"))
	pf := app.PackageFilter{SpaceID: f.SpaceID, PackageID: c.Query("packageId"), Filter: c.Query("filter"),
		Latest: latest, Skip: f.Skip, Take: f.Take}
	if pf.PackageID == "" {
		pf.PackageID = c.Query("nuGetPackageId")
	}
	return pf, f, nil
}

func (h *Handler) listPackages(c *fiber.Ctx) error {
	pf, f, err := packageFilter(c)
	if err != nil {
		return err
	}
	items, total, err := h.Packages.FindPackages(c.UserContext(), pf)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "Package", mapAll(items, packageDTO), total, f))
}

// packageVersions lists the versions of one package, newest first.
func (h *Handler) packageVersions(c *fiber.Ctx) error {
	pf, f, err := packageFilter(c)
	if err != nil {
		return err
	}
	if pf.PackageID == "" {
		return app.Invalid("The query parameter 'packageId' is required.")
	}
	items, total, err := h.Packages.FindPackages(c.UserContext(), pf)
	if err != nil {
		return err
	}
	return c.JSON(page(c, "PackageVersion", mapAll(items, packageVersionDTO), total, f))
}

func (h *Handler) getPackage(c *fiber.Ctx) error {
	p, err := h.Packages.FindPackageByID(c.UserContext(), spaceID(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(packageDTO(p))
}

func (h *Handler) deletePackage(c *fiber.Ctx) error {
	if err := h.Packages.DeletePackage(c.UserContext(), spaceID(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusOK)
}

// deltaSignature answers 404: delta uploads are not supported yet, and the
// octopus CLI then falls back to a full upload.
func (h *Handler) deltaSignature(c *fiber.Ctx) error {
	return app.Errorf(app.ENOTFOUND, "Delta compression is not available for package %s version %s; upload the full package.", c.Params("id"), c.Params("version"))
}

// downloadPackage serves the package file with Content-Length, an ETag
// (the SHA-256) and single byte ranges, streaming from the blob file.
func (h *Handler) downloadPackage(c *fiber.Ctx) error {
	p, f, err := h.Packages.OpenPackage(c.UserContext(), spaceID(c), c.Params("id"))
	if err != nil {
		return err
	}
	etag := `"` + p.Hash + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+p.FileName()+`"`)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && (inm == etag || inm == "*") {
		f.Close()
		return c.SendStatus(fiber.StatusNotModified)
	}
	start, length := int64(0), p.Size
	rng := c.Get(fiber.HeaderRange)
	if ir := c.Get(fiber.HeaderIfRange); ir != "" && ir != etag {
		rng = ""
	}
	if rng != "" {
		s, l, ok, satisfiable := parseRange(rng, p.Size)
		switch {
		case !satisfiable:
			f.Close()
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", p.Size))
			return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
		case ok:
			start, length = s, l
			c.Status(fiber.StatusPartialContent)
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", s, s+l-1, p.Size))
		}
	}
	// fasthttp sends length bytes from the stream and closes it when done.
	// Given the *os.File itself (at start) it sends with sendfile; anything
	// wrapping it is copied through user space, at about half the speed.
	if file, ok := f.(*os.File); ok {
		if _, err := file.Seek(start, io.SeekStart); err != nil {
			file.Close()
			return err
		}
		c.Context().SetBodyStream(file, int(length))
		return nil
	}
	c.Context().SetBodyStream(&sectionCloser{SectionReader: io.NewSectionReader(f, start, length), c: f}, int(length))
	return nil
}

type sectionCloser struct {
	*io.SectionReader
	c io.Closer
}

func (s *sectionCloser) Close() error { return s.c.Close() }

// parseRange reads one "bytes=" range against size. ok=false with
// satisfiable=true means "ignore the header" (several ranges, or a
// malformed one, which RFC 9110 lets a server ignore).
func parseRange(h string, size int64) (start, length int64, ok, satisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, true
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, true
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, true
		}
		if n == 0 || size == 0 {
			return 0, 0, false, false
		}
		if n > size {
			n = size
		}
		return size - n, n, true, true
	}
	s, err := strconv.ParseInt(first, 10, 64)
	if err != nil || s < 0 {
		return 0, 0, false, true
	}
	if s >= size {
		return 0, 0, false, false
	}
	e := size - 1
	if last != "" {
		if e, err = strconv.ParseInt(last, 10, 64); err != nil || e < s {
			return 0, 0, false, true
		}
		if e >= size {
			e = size - 1
		}
	}
	return s, e - s + 1, true, true
}

func (h *Handler) listFeeds(c *fiber.Ctx) error {
	f, err := listFilter(c)
	if err != nil {
		return err
	}
	s, err := h.Packages.FeedSettings(c.UserContext(), spaceID(c))
	if err != nil {
		return err
	}
	items := []FeedResource{feedDTO(s)}
	if !f.Matches(app.BuiltInFeedID, "Octopus Server (built-in)") {
		items = nil
	}
	page1, total := app.Page(items, f.Skip, f.Take)
	return c.JSON(page(c, "Feed", page1, total, f))
}

func (h *Handler) allFeeds(c *fiber.Ctx) error {
	s, err := h.Packages.FeedSettings(c.UserContext(), spaceID(c))
	if err != nil {
		return err
	}
	return c.JSON([]FeedResource{feedDTO(s)})
}

// builtInFeed refuses any feed but the built-in one (external feeds are a
// later issue).
func builtInFeed(c *fiber.Ctx) error {
	if !strings.EqualFold(c.Params("id"), app.BuiltInFeedID) {
		return app.NotFound(c.Params("id"))
	}
	return nil
}

func (h *Handler) getFeed(c *fiber.Ctx) error {
	if err := builtInFeed(c); err != nil {
		return err
	}
	s, err := h.Packages.FeedSettings(c.UserContext(), spaceID(c))
	if err != nil {
		return err
	}
	return c.JSON(feedDTO(s))
}

func (h *Handler) updateFeed(c *fiber.Ctx) error {
	if err := builtInFeed(c); err != nil {
		return err
	}
	var r FeedResource
	if err := decode(c, &r); err != nil {
		return err
	}
	s := &app.FeedSettings{SpaceID: spaceID(c), KeepVersions: r.PackageRetentionVersionsToKeep, KeepDays: r.PackageRetentionDaysToKeep}
	if err := h.Packages.UpdateFeedSettings(c.UserContext(), s); err != nil {
		return err
	}
	return c.JSON(feedDTO(s))
}

func (h *Handler) feedPackageVersions(c *fiber.Ctx) error {
	if err := builtInFeed(c); err != nil {
		return err
	}
	return h.packageVersions(c)
}

// runRetention applies the retention policy now and reports what went.
func (h *Handler) runRetention(c *fiber.Ctx) error {
	if err := builtInFeed(c); err != nil {
		return err
	}
	run, err := h.Packages.RunRetention(c.UserContext(), spaceID(c))
	if err != nil {
		return err
	}
	return c.JSON(RetentionRunResource{SpaceId: run.SpaceID, Started: Time{run.Started},
		Removed: mapAll(run.Removed, packageDTO), KeptReferenced: run.KeptReferenced})
}
