package app

import (
	"context"
	"time"
)

// Audit records who last changed a record and when.
type Audit struct {
	Created        time.Time
	LastModifiedOn time.Time
	LastModifiedBy string
}

// Event is one entry of the audit log: every change writes exactly one, in
// the same transaction as the change itself. Events are never edited.
type Event struct {
	ID                 string
	SpaceID            string
	Category           string // Created, Modified, Deleted, …
	Message            string
	RelatedDocumentIDs []string
	UserID             string
	Username           string
	Occurred           time.Time
}

// Event categories.
const (
	EventCreated  = "Created"
	EventModified = "Modified"
	EventDeleted  = "Deleted"
)

// EventService reads the audit log.
type EventService interface {
	// FindEventByID returns one event (ENOTFOUND if there is none).
	FindEventByID(ctx context.Context, id string) (*Event, error)
	FindEvents(ctx context.Context, f EventFilter) ([]*Event, int, error)
}

// EventFilter selects audit events, newest first.
type EventFilter struct {
	SpaceID   string
	Regarding string
	Skip      int
	Take      int
}
