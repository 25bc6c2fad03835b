package web

import (
	"errors"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/argonautdeploy/argonaut/app/formdata"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

// packagesPageSize is how many package IDs Library › Packages shows at once.
const packagesPageSize = 30

func canDo(c *fiber.Ctx, p app.Permission) bool {
	u := app.PrincipalFrom(c.UserContext())
	return u != nil && u.Can(p)
}

func (h *Handler) packages(c *fiber.Ctx) error {
	return h.renderPackages(c, fiber.StatusOK, nil)
}

func (h *Handler) renderPackages(c *fiber.Ctx, status int, problem *ui.Problem) error {
	filter := strings.TrimSpace(c.Query("filter"))
	skip, _ := strconv.Atoi(c.Query("skip"))
	skip = max(skip, 0)
	ps, total, err := h.Packages.FindPackages(c.UserContext(), app.PackageFilter{SpaceID: spaceID, Filter: filter,
		Latest: true, Skip: skip, Take: packagesPageSize})
	if err != nil {
		return err
	}
	return render(c, status, views.Packages(views.PackagesPage{Filter: filter, Packages: ps, Skip: skip,
		Take: packagesPageSize, Total: total, CanPush: canDo(c, app.PermBuiltInFeedPush), Problem: problem}))
}

func (h *Handler) packagePage(c *fiber.Ctx) error {
	return h.renderPackage(c, fiber.StatusOK, nil)
}

func (h *Handler) renderPackage(c *fiber.Ctx, status int, problem *ui.Problem) error {
	id, err := url.PathUnescape(c.Params("pkg"))
	if err != nil {
		return app.NotFound(c.Params("pkg"))
	}
	vs, _, err := h.Packages.FindPackages(c.UserContext(), app.PackageFilter{SpaceID: spaceID, PackageID: id})
	if err != nil {
		return err
	}
	if len(vs) == 0 && problem == nil {
		return app.Errorf(app.ENOTFOUND, "The built-in feed has no package %s.", id)
	}
	if len(vs) > 0 {
		id = vs[0].PackageID
	}
	return render(c, status, views.Package(views.PackagePage{PackageID: id, Versions: vs,
		CanDelete: canDo(c, app.PermBuiltInFeedAdminister), CanPush: canDo(c, app.PermBuiltInFeedPush), Problem: problem}))
}

func (h *Handler) packageDelete(c *fiber.Ctx) error {
	vid, err := url.PathUnescape(c.Params("vid"))
	if err != nil {
		return app.NotFound(c.Params("vid"))
	}
	p, err := h.Packages.FindPackageByID(c.UserContext(), spaceID, vid)
	if err != nil {
		return err
	}
	if err := h.Packages.DeletePackage(c.UserContext(), spaceID, p.ID); err != nil {
		problem, status, err := formProblem(err)
		if err != nil {
			return err
		}
		return h.renderPackage(c, status, problem)
	}
	h.setFlash(c, "success", "Deleted "+p.PackageID+" version "+p.Version+".")
	if left, _, err := h.Packages.FindPackages(c.UserContext(), app.PackageFilter{SpaceID: spaceID, PackageID: p.PackageID, Take: 1}); err == nil && len(left) == 0 {
		return c.Redirect(views.PackagesURL, fiber.StatusSeeOther) // its page is gone with its last version
	}
	return c.Redirect(string(views.PackageURL(p.PackageID)), fiber.StatusSeeOther)
}

// packageUpload is the upload form without script: the multipart body is
// streamed part by part into the feed, never held in memory. The CSRF token
// is the form's first field (browsers send fields in document order), and
// is checked before any other part is read; keeping it out of the URL keeps
// it out of access logs.
func (h *Handler) packageUpload(c *fiber.Ctx) error {
	_, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || params["boundary"] == "" {
		return app.Invalid("The upload form must be sent as multipart/form-data.")
	}
	mr := formdata.NewReader(api.BodyStream(c), params["boundary"])
	first, err := mr.NextPart()
	if err != nil || first.FormName() != views.CSRFFieldName {
		return errCSRF
	}
	token, err := io.ReadAll(io.LimitReader(first, 256))
	if err != nil || !validCSRF(string(token), views.CSRFToken(c.UserContext())) {
		return errCSRF
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return h.renderPackages(c, fiber.StatusBadRequest, &ui.Problem{Message: "Choose a package file to upload."})
		} else if err != nil {
			return app.Invalid("The upload could not be read: " + err.Error())
		}
		if part.FormName() != "file" {
			io.Copy(io.Discard, io.LimitReader(part, 1<<20))
			continue
		}
		name := part.FileName()
		if name == "" {
			return h.renderPackages(c, fiber.StatusBadRequest, &ui.Problem{Message: "Choose a package file to upload."})
		}
		p, _, err := h.Packages.PushPackage(c.UserContext(), spaceID, name, part, app.FailIfExists)
		if err != nil {
			problem, status, err := formProblem(err)
			if err != nil {
				if app.ErrorCode(err) == app.ETOOLARGE {
					return h.renderPackages(c, fiber.StatusRequestEntityTooLarge, &ui.Problem{Message: app.ErrorMessage(err)})
				}
				return err
			}
			return h.renderPackages(c, status, problem)
		}
		h.setFlash(c, "success", "Uploaded "+p.PackageID+" version "+p.Version+".")
		return c.Redirect(string(views.PackageURL(p.PackageID)), fiber.StatusSeeOther)
	}
}
