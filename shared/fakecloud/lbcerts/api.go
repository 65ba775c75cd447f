package lbcerts

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// Errors is one product's error catalogue: the answer for each error of the state.
type Errors struct {
	ListenerNotFound, Busy, CertNotFound, Quota, AlreadyAssociated, NotAssociated, Protocol func() *popgateway.APIError
}

// Answer is the product's answer for err of the state; anything else is an InvalidParameter.
func (e Errors) Answer(err error) *popgateway.APIError {
	switch {
	case errors.Is(err, ErrListenerNotFound):
		return e.ListenerNotFound()
	case errors.Is(err, ErrBusy):
		return e.Busy()
	case errors.Is(err, ErrUnknownCert):
		return e.CertNotFound()
	case errors.Is(err, ErrQuota):
		return e.Quota()
	case errors.Is(err, ErrAlreadyAssociated):
		return e.AlreadyAssociated()
	case errors.Is(err, ErrNotAssociated):
		return e.NotAssociated()
	case errors.Is(err, ErrProtocol):
		return e.Protocol()
	}
	return popgateway.InvalidParameter(err.Error())
}

// Page reads MaxResults (1–100; default 20) and NextToken (an offset in this emulator) of a
// list call.
func Page(r *popgateway.Request) (offset, size int, e *popgateway.APIError) {
	size = 20
	if n, ok, e := r.Int("MaxResults"); e != nil || ok && (n < 1 || n > 100) {
		return 0, 0, popgateway.InvalidParameter("The specified parameter MaxResults is not valid.")
	} else if ok {
		size = int(n)
	}
	if t := r.Get("NextToken"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return 0, 0, popgateway.InvalidParameter("The specified parameter NextToken is not valid.")
		}
		offset = n
	}
	return offset, size, nil
}

// Window is the page of all at offset, size long, and the NextToken after it ("" on the last).
func Window[T any](all []T, offset, size int) ([]T, string) {
	offset = min(offset, len(all))
	end := min(offset+size, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	out := all[offset:end]
	if out == nil {
		out = []T{}
	}
	return out, next
}

// Service is what an emulated ALB or NLB shares beyond its own actions: the listener state, the
// POP gateway that serves the actions, and the writes, run once per ClientToken: a retry with
// the token of a write that succeeded answers that write's job (the POP ClientToken idempotence
// convention).
type Service struct {
	// Gateway serves the product's actions; the product sets it once it has made them.
	Gateway *popgateway.Gateway
	store   *Store
	errors  Errors
	answer  func(requestID, job string) any // the product's answer to a write that started job

	mu     sync.Mutex
	tokens map[string]string // ClientToken + action + listener → JobId
}

// NewService returns a service over a new Store of cfg that answers the state's errors from
// errs and a write that started a job with answer.
func NewService(cfg Config, errs Errors, answer func(requestID, job string) any) *Service {
	return &Service{store: New(cfg), errors: errs, answer: answer, tokens: map[string]string{}}
}

// ServeHTTP answers one RPC call.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.Gateway.ServeHTTP(w, r) }

// Store returns the listener state.
func (s *Service) Store() *Store { return s.store }

// SetJobWindow sets how long each asynchronous write takes.
func (s *Service) SetJobWindow(d time.Duration) { s.store.Jobs().SetWindow(d) }

// Run answers write call r of action: do checks (and, unless dry, starts) the write and
// returns its job. DryRun answers DryRunOperation once every check passed.
func (s *Service) Run(r *popgateway.Request, action string, do func(dry bool) (string, error)) (any, *popgateway.APIError) {
	dry := false
	if v := r.Get("DryRun"); v != "" {
		var err error
		if dry, err = strconv.ParseBool(v); err != nil {
			return nil, popgateway.InvalidParameter("The specified parameter DryRun is not valid.")
		}
	}
	tokenKey := ""
	if t := r.Get("ClientToken"); t != "" && !dry {
		tokenKey = t + "\x00" + action + "\x00" + r.Get("ListenerId")
		s.mu.Lock()
		job, seen := s.tokens[tokenKey]
		s.mu.Unlock()
		if seen {
			return s.answer(r.RequestID, job), nil
		}
	}
	job, err := do(dry)
	if err != nil {
		return nil, s.errors.Answer(err)
	}
	if dry {
		// [doc: POP DryRun convention, "DryRunOperation" with 400, as ALB's API reference
		// describes DryRun]
		return nil, popgateway.NewError(http.StatusBadRequest, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
	}
	if tokenKey != "" {
		s.mu.Lock()
		s.tokens[tokenKey] = job
		s.mu.Unlock()
	}
	return s.answer(r.RequestID, job), nil
}

// SetDefault answers call r of action, which makes certID listener ListenerId's default.
func (s *Service) SetDefault(r *popgateway.Request, action, certID string) (any, *popgateway.APIError) {
	return s.Run(r, action, func(dry bool) (string, error) {
		return s.store.SetDefault(r.Region, r.Get("ListenerId"), certID, action, dry)
	})
}

// Associate answers call r of action, which associates certIDs with listener ListenerId.
func (s *Service) Associate(r *popgateway.Request, action string, certIDs []string) (any, *popgateway.APIError) {
	return s.Run(r, action, func(dry bool) (string, error) {
		return s.store.Associate(r.Region, r.Get("ListenerId"), certIDs, action, dry)
	})
}

// Dissociate answers call r of action, which dissociates certIDs from listener ListenerId.
func (s *Service) Dissociate(r *popgateway.Request, action string, certIDs []string) (any, *popgateway.APIError) {
	return s.Run(r, action, func(dry bool) (string, error) {
		return s.store.Dissociate(r.Region, r.Get("ListenerId"), certIDs, action, dry)
	})
}
