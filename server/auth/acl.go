package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// Permission is a set of rights on a CRS database.
type Permission uint8

// The rights a principal may hold: READ is enough to search, WRITE is
// needed to manage targets.
const (
	Read Permission = 1 << iota
	Write
)

// String returns "READ", "WRITE", "READ|WRITE" or "" for no right.
func (p Permission) String() string {
	var names []string
	if p&Read != 0 {
		names = append(names, "READ")
	}
	if p&Write != 0 {
		names = append(names, "WRITE")
	}
	if rest := p &^ (Read | Write); rest != 0 {
		names = append(names, "Permission("+strconv.Itoa(int(rest))+")")
	}
	return strings.Join(names, "|")
}

// CRSService is the only service an ACL statement may name.
const CRSService = "ecs:crs"

// Statement is one rule of an ACL: it allows or denies rights on some
// appIds.
type Statement struct {
	AppIDs     []string
	Deny       bool // the effect is Deny; Allow otherwise
	Permission Permission
}

// ACL is the access list a token carries, in the order the client wrote
// it. A right on an appId is granted when some statement allows it and no
// statement denies it: Deny overrides Allow whatever the order.
type ACL []Statement

// Grants returns the rights the ACL gives on appID.
func (a ACL) Grants(appID string) Permission {
	var allow, deny Permission
	for _, s := range a {
		for _, id := range s.AppIDs {
			if id != appID {
				continue
			}
			if s.Deny {
				deny |= s.Permission
			} else {
				allow |= s.Permission
			}
		}
	}
	return allow &^ deny
}

// AppIDs returns every appId the ACL names, allowed or denied, once each,
// in order of first appearance.
func (a ACL) AppIDs() []string {
	var ids []string
	seen := make(map[string]bool)
	for _, s := range a {
		for _, id := range s.AppIDs {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// firstGranted returns the first appId, in the ACL's order, on which the
// ACL grants any right, or "" if there is none.
func (a ACL) firstGranted() string {
	for _, s := range a {
		if s.Deny {
			continue
		}
		for _, id := range s.AppIDs {
			if a.Grants(id) != 0 {
				return id
			}
		}
	}
	return ""
}

// wireStatement is a statement as the token service receives it:
// {"service":"ecs:crs","resource":["<appId>"],"effect":"Allow","permission":["READ"]}.
type wireStatement struct {
	Service    string   `json:"service"`
	Resource   []string `json:"resource"`
	Effect     string   `json:"effect"`
	Permission []string `json:"permission"`
}

// ParseACL parses the acl parameter of a token request, a JSON array of
// statements. Text that is not such an array, a service other than
// "ecs:crs", or an unknown effect or permission is CRSParameterInvalid; no
// statement at all, or a statement naming no appId, is
// CRSTokenResourceEmpty. Effects and permissions are matched without regard
// to case.
func ParseACL(text string) (ACL, error) {
	var wire []wireStatement
	if err := json.Unmarshal([]byte(text), &wire); err != nil {
		return nil, apierror.CRSParameterInvalid.Because(fmt.Errorf("acl is not a JSON array of statements: %w", err))
	}
	if len(wire) == 0 {
		return nil, apierror.CRSTokenResourceEmpty.Because(errors.New("acl has no statement"))
	}
	acl := make(ACL, 0, len(wire))
	for i, w := range wire {
		s, entry, cause := w.statement()
		if entry != nil {
			return nil, entry.Because(fmt.Errorf("acl statement %d: %w", i, cause))
		}
		acl = append(acl, s)
	}
	return acl, nil
}

// statement checks w and converts it. When w is unacceptable it returns the
// catalogue entry to answer with and the cause.
func (w wireStatement) statement() (Statement, *apierror.Error, error) {
	if w.Service != CRSService {
		return Statement{}, apierror.CRSParameterInvalid, fmt.Errorf("service %q is not %q", w.Service, CRSService)
	}
	var s Statement
	for _, id := range w.Resource {
		if id != "" {
			s.AppIDs = append(s.AppIDs, id)
		}
	}
	if len(s.AppIDs) == 0 {
		return Statement{}, apierror.CRSTokenResourceEmpty, errors.New("no resource")
	}
	switch {
	case strings.EqualFold(w.Effect, "Allow"):
	case strings.EqualFold(w.Effect, "Deny"):
		s.Deny = true
	default:
		return Statement{}, apierror.CRSParameterInvalid, fmt.Errorf("effect %q is neither Allow nor Deny", w.Effect)
	}
	for _, p := range w.Permission {
		switch {
		case strings.EqualFold(p, "READ"):
			s.Permission |= Read
		case strings.EqualFold(p, "WRITE"):
			s.Permission |= Write
		default:
			return Statement{}, apierror.CRSParameterInvalid, fmt.Errorf("permission %q is neither READ nor WRITE", p)
		}
	}
	if s.Permission == 0 {
		return Statement{}, apierror.CRSParameterInvalid, errors.New("no permission")
	}
	return s, nil, nil
}
