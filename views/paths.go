package views

import (
	"net/url"

	"github.com/a-h/templ"
	"github.com/argonautdeploy/argonaut/app"
)

// URLs of portal pages. Path segments from user data are escaped here, once.

// ProjectURL is the overview page of a project.
func ProjectURL(p *app.Project) templ.SafeURL {
	return templ.SafeURL("/app/projects/" + url.PathEscape(projectKey(p)))
}

// ProjectSettingsURL is the settings page of a project.
func ProjectSettingsURL(p *app.Project) templ.SafeURL {
	return templ.SafeURL("/app/projects/" + url.PathEscape(projectKey(p)) + "/settings")
}

func projectKey(p *app.Project) string {
	if p.Slug != "" {
		return p.Slug
	}
	return p.ID
}

func environmentURL(id, action string) templ.SafeURL {
	return templ.SafeURL("/app/infrastructure/environments/" + url.PathEscape(id) + "/" + action)
}

func machineURL(id, action string) templ.SafeURL {
	return templ.SafeURL("/app/infrastructure/machines/" + url.PathEscape(id) + "/" + action)
}

func apiKeyURL(id, action string) string {
	return "/app/profile/apikeys/" + url.PathEscape(id) + "/" + action
}
