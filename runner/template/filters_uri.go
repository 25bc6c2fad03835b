package template

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// uriPartFilter: UriPart part, the .NET System.Uri property of that name.
// Errors are written into the output rather than echoed, as upstream does.
func uriPartFilter(c *filterCall) (*string, error) {
	if c.arg == nil {
		return nil, nil
	}
	if len(c.opts) == 0 {
		return str("[UriPart error: no argument given]"), nil
	}
	part := c.opts[0]
	fail := func(msg string) (*string, error) {
		return str("[UriPart " + part + " error: " + msg + "]"), nil
	}
	u, err := url.Parse(strings.TrimSpace(*c.arg))
	absolute := err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || strings.EqualFold(u.Scheme, "file"))
	lower := strings.ToLower(part)
	if lower == "isabsoluteuri" {
		return str(strconv.FormatBool(absolute)), nil
	}
	if _, known := uriParts[lower]; !known {
		return fail("argument '" + part + "' not supported")
	}
	if !absolute {
		return fail("This operation is not supported for a relative URI.")
	}
	return str(uriParts[lower](u)), nil
}

var defaultPorts = map[string]int{"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443, "ldap": 389, "nntp": 119, "gopher": 70, "news": -1, "mailto": 25, "file": -1}

func uriPort(u *url.URL) int {
	if p := u.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return n
	}
	if p, ok := defaultPorts[strings.ToLower(u.Scheme)]; ok {
		return p
	}
	return -1
}

func uriIsDefaultPort(u *url.URL) bool {
	p, ok := defaultPorts[strings.ToLower(u.Scheme)]
	return !ok && u.Port() == "" || ok && uriPort(u) == p
}

func uriHost(u *url.URL) string {
	h := strings.ToLower(u.Hostname())
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

func uriAuthority(u *url.URL) string {
	if uriIsDefaultPort(u) {
		return uriHost(u)
	}
	return uriHost(u) + ":" + strconv.Itoa(uriPort(u))
}

func uriPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" && u.Host != "" {
		return "/"
	}
	return p
}

func uriQuery(u *url.URL) string {
	if u.RawQuery == "" && !u.ForceQuery {
		return ""
	}
	return "?" + u.RawQuery
}

func uriFragment(u *url.URL) string {
	if u.Fragment == "" {
		return ""
	}
	return "#" + u.EscapedFragment()
}

func uriSchemeAndServer(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + uriAuthority(u)
}

var uriParts = map[string]func(*url.URL) string{
	"absolutepath": uriPath,
	"absoluteuri": func(u *url.URL) string {
		userinfo := ""
		if u.User != nil {
			userinfo = u.User.String() + "@"
		}
		return strings.ToLower(u.Scheme) + "://" + userinfo + uriAuthority(u) + uriPath(u) + uriQuery(u) + uriFragment(u)
	},
	"authority":   uriAuthority,
	"dnssafehost": func(u *url.URL) string { return strings.ToLower(u.Hostname()) },
	"fragment":    uriFragment,
	"host":        uriHost,
	"hostandport": func(u *url.URL) string { return uriHost(u) + ":" + strconv.Itoa(uriPort(u)) },
	"hostnametype": func(u *url.URL) string {
		h := u.Hostname()
		switch ip := net.ParseIP(h); {
		case h == "":
			return "Basic"
		case ip != nil && ip.To4() != nil && !strings.Contains(h, ":"):
			return "IPv4"
		case ip != nil:
			return "IPv6"
		}
		return "Dns"
	},
	"isdefaultport": func(u *url.URL) string { return strconv.FormatBool(uriIsDefaultPort(u)) },
	"isfile":        func(u *url.URL) string { return strconv.FormatBool(strings.EqualFold(u.Scheme, "file")) },
	"isloopback": func(u *url.URL) string {
		h := strings.ToLower(u.Hostname())
		ip := net.ParseIP(h)
		return strconv.FormatBool(h == "localhost" || ip != nil && ip.IsLoopback())
	},
	"isunc": func(u *url.URL) string {
		return strconv.FormatBool(strings.EqualFold(u.Scheme, "file") && u.Host != "")
	},
	"path": func(u *url.URL) string {
		if u.Path == "" {
			return "/"
		}
		return u.Path
	},
	"pathandquery":    func(u *url.URL) string { return uriPath(u) + uriQuery(u) },
	"port":            func(u *url.URL) string { return strconv.Itoa(uriPort(u)) },
	"query":           uriQuery,
	"scheme":          func(u *url.URL) string { return strings.ToLower(u.Scheme) },
	"schemeandserver": uriSchemeAndServer,
	"userinfo": func(u *url.URL) string {
		if u.User == nil {
			return ""
		}
		return u.User.String()
	},
}
