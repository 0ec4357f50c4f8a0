package auth

import (
	"errors"
	"reflect"
	"testing"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

func TestParseACL(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    ACL
		wantErr *apierror.Error
	}{
		{
			name: "documented shape",
			text: `[{"service":"ecs:crs","resource":["a"],"effect":"Allow","permission":["READ","WRITE"]}]`,
			want: ACL{{AppIDs: []string{"a"}, Permission: Read | Write}},
		},
		{
			name: "case of effect and permission, empty resources dropped, unknown fields ignored",
			text: `[{"service":"ecs:crs","resource":["a","","b"],"effect":"DENY","permission":["write"],"note":1}]`,
			want: ACL{{AppIDs: []string{"a", "b"}, Deny: true, Permission: Write}},
		},
		{name: "null", text: `null`, wantErr: apierror.CRSTokenResourceEmpty},
		{name: "trailing text", text: `[] x`, wantErr: apierror.CRSParameterInvalid},
		{name: "resource not a list", text: `[{"service":"ecs:crs","resource":"a","effect":"Allow","permission":["READ"]}]`, wantErr: apierror.CRSParameterInvalid},
		{name: "no service", text: `[{"resource":["a"],"effect":"Allow","permission":["READ"]}]`, wantErr: apierror.CRSParameterInvalid},
		{name: "second statement bad", text: `[{"service":"ecs:crs","resource":["a"],"effect":"Allow","permission":["READ"]},{"service":"ecs:crs","resource":[],"effect":"Allow","permission":["READ"]}]`, wantErr: apierror.CRSTokenResourceEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseACL(tt.text)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseACL = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestACLGrants(t *testing.T) {
	acl := ACL{
		{AppIDs: []string{"a"}, Deny: true, Permission: Write},
		{AppIDs: []string{"a", "b"}, Permission: Read | Write},
		{AppIDs: []string{"c"}, Permission: Read},
		{AppIDs: []string{"c"}, Permission: Write},
		{AppIDs: []string{"d"}, Deny: true, Permission: Read | Write},
	}
	tests := []struct {
		appID string
		want  Permission
	}{
		{"a", Read},
		{"b", Read | Write},
		{"c", Read | Write},
		{"d", 0},
		{"e", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := acl.Grants(tt.appID); got != tt.want {
			t.Errorf("Grants(%q) = %v, want %v", tt.appID, got, tt.want)
		}
	}
	if got, want := acl.AppIDs(), []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AppIDs = %q, want %q", got, want)
	}
	if got := acl.firstGranted(); got != "a" {
		t.Errorf("firstGranted = %q, want a", got)
	}
	if got := (ACL{{AppIDs: []string{"x"}, Deny: true, Permission: Read}, {AppIDs: []string{"x"}, Permission: Read}}).firstGranted(); got != "" {
		t.Errorf("firstGranted of an ACL granting nothing = %q", got)
	}
}

func TestPermissionString(t *testing.T) {
	tests := []struct {
		p    Permission
		want string
	}{
		{0, ""},
		{Read, "READ"},
		{Write, "WRITE"},
		{Read | Write, "READ|WRITE"},
		{Read | 8, "READ|Permission(8)"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", uint8(tt.p), got, tt.want)
		}
	}
}
