package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RequestIDHeader carries a request's ID in and out. A well-formed ID sent
// by a client or proxy is kept, so one ID follows a request across hops.
const RequestIDHeader = "X-Request-Id"

// RequestIDLocal is the fiber Locals key under which handlers find the
// request ID (a string) to add to their own log lines.
const RequestIDLocal = "request_id"

// unmatchedRoute labels requests no route matched, so that scanners probing
// random paths cannot create a time series per path.
const unmatchedRoute = "unmatched"

// observability holds one server's Prometheus registry and HTTP metrics.
// Each Server has its own registry (never the global one), so a test
// process can run several servers.
type observability struct {
	log      *slog.Logger
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// observe installs request IDs, request logging and metrics as the first
// middleware of s.fib and serves the metrics at /metrics. Call it before
// any other route is registered.
func (s *Server) observe() {
	o := newObservability(s)
	s.fib.Use(o.middleware)
	s.fib.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(o.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	})))
}

func newObservability(s *Server) *observability {
	o := &observability{
		log:      s.log,
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "argonaut_http_requests_total",
			Help: "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "argonaut_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "argonaut_http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
	}
	db := s.DB
	storeSize := func(part string, pick func(lsm, vlog int64) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "argonaut_store_size_bytes",
			Help:        "Bytes used by the Badger store, by part: lsm (keys and small values) and vlog (value log).",
			ConstLabels: prometheus.Labels{"part": part},
		}, func() float64 { return float64(pick(db.Size())) })
	}
	o.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "argonaut_build_info",
			Help:        "Always 1; labelled with the running version.",
			ConstLabels: prometheus.Labels{"version": s.Version, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
		storeSize("lsm", func(lsm, _ int64) int64 { return lsm }),
		storeSize("vlog", func(_, vlog int64) int64 { return vlog }),
		o.requests, o.duration, o.inFlight,
	)
	return o
}

// middleware gives every request an ID, runs the rest of the chain, renders
// any error with the app's error handler (so the status is final), then
// records the request's metrics and logs it. A panicking handler becomes a
// 500 instead of taking the whole server down.
func (o *observability) middleware(c *fiber.Ctx) (err error) {
	start := time.Now()
	self := c.Route()
	id := c.Get(RequestIDHeader)
	if !validRequestID(id) {
		id = newRequestID()
	}
	c.Locals(RequestIDLocal, id)
	c.Set(RequestIDHeader, id)
	o.inFlight.Inc()
	defer o.inFlight.Dec()

	if chainErr := o.next(c); chainErr != nil {
		if herr := c.App().ErrorHandler(c, chainErr); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}

	status := c.Response().StatusCode()
	route := c.Route()
	pattern := route.Path
	if route == self && status == fiber.StatusNotFound {
		pattern = unmatchedRoute
	}
	elapsed := time.Since(start)
	method := c.Method()
	o.requests.WithLabelValues(method, pattern, strconv.Itoa(status)).Inc()
	o.duration.WithLabelValues(method, pattern).Observe(elapsed.Seconds())

	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case pattern == "/livez" || pattern == "/readyz" || pattern == "/metrics":
		// Probes and scrapes arrive every few seconds; keep them out of
		// the default log.
		level = slog.LevelDebug
	}
	// A streamed body (raw logs, the live log) is still being written:
	// Body() would read it all, and wait for a live stream to end.
	bytes := -1
	if !c.Response().IsBodyStream() {
		bytes = len(c.Response().Body())
	}
	// The path is logged without its query string, which may hold an API key.
	o.log.LogAttrs(c.UserContext(), level, "request",
		slog.String("method", method),
		slog.String("route", pattern),
		slog.String("path", c.Path()),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.Int("bytes", bytes),
		slog.String("request_id", id),
	)
	return nil
}

// next runs the rest of the chain, turning a panic into an error. It goes
// through api.FinishBody so that no unread body stays on a kept-alive
// connection, for API and portal alike.
func (o *observability) next(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			o.log.Error("handler panicked", "panic", r, "request_id", c.Locals(RequestIDLocal), "stack", string(debug.Stack()))
			err = fiber.NewError(fiber.StatusInternalServerError, "Internal server error.")
		}
	}()
	return api.FinishBody(c)
}

// validRequestID accepts short IDs of letters, digits and -_.: safe to echo
// in a header and to log.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
