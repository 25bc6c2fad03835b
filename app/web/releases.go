package web

import (
	"strings"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/releases"
	"github.com/argonautdeploy/argonaut/views"
	"github.com/argonautdeploy/argonaut/views/ui"
	"github.com/gofiber/fiber/v2"
)

// releaseFormPackages lists the package fields of the form, pre-filled with
// the latest version in the feed (or the one the last release used).
func releaseFormPackages(t *releases.Template) []views.ReleasePackageField {
	var out []views.ReleasePackageField
	for _, p := range t.Packages {
		f := views.ReleasePackageField{Key: "pkg:" + p.ActionName + ":" + p.PackageReferenceName,
			StepName: p.StepName, PackageID: p.PackageID, Version: p.LatestVersion}
		switch {
		case p.LatestVersion != "":
			f.Hint = "The latest version in the feed."
		case p.VersionSelectedLastRelease != "":
			f.Version = p.VersionSelectedLastRelease
			f.Hint = "The version the last release used."
		default:
			f.Hint = "Required."
		}
		out = append(out, f)
	}
	return out
}

func (h *Handler) releaseNew(c *fiber.Ctx) error {
	t, err := h.ReleaseCreator.ReleaseTemplate(c.UserContext(), spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	form := views.ReleaseForm{Version: t.NextVersionIncrement, Packages: releaseFormPackages(t)}
	return render(c, fiber.StatusOK, views.ReleaseNew(views.ReleaseNewPage{Project: t.Project, Form: form}))
}

func (h *Handler) releaseCreate(c *fiber.Ctx) error {
	t, err := h.ReleaseCreator.ReleaseTemplate(c.UserContext(), spaceID, c.Params("slug"))
	if err != nil {
		return err
	}
	form := views.ReleaseForm{Version: strings.TrimSpace(c.FormValue("version")), Notes: c.FormValue("notes"),
		Packages: releaseFormPackages(t)}
	versions := map[string]string{}
	for i, f := range form.Packages {
		v := strings.TrimSpace(c.FormValue(f.Key))
		form.Packages[i].Version = v
		versions[strings.TrimPrefix(f.Key, "pkg:")] = v
	}
	rel, _, err := h.ReleaseCreator.Create(c.UserContext(), releases.Request{SpaceID: spaceID, Project: t.Project.ID,
		Version: form.Version, ReleaseNotes: form.Notes, PackageVersions: versions})
	if err != nil {
		return renderForm(c, err, func(p *ui.Problem) templ.Component {
			return views.ReleaseNew(views.ReleaseNewPage{Project: t.Project, Form: form, Problem: p})
		})
	}
	return h.redirectWithFlash(c, string(views.ReleaseURL(rel.ID)), "Release "+rel.Version+" created.")
}

// projectReleases returns the latest releases for the project overview.
func (h *Handler) projectReleases(c *fiber.Ctx, pr *app.Project) ([]*app.Release, error) {
	rels, _, err := h.Releases.FindReleases(c.UserContext(), app.ReleaseFilter{Filter: app.Filter{SpaceID: spaceID, Take: 10}, ProjectID: pr.ID})
	return rels, err
}
