package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// The kinds of one-time value an Alibaba request is remembered by.
const (
	// onceNonce is a nonce, whichever scheme carried it: a nonce is spent
	// for its AccessKeyId once, not once per scheme.
	onceNonce = "nonce"
	// onceROASignature is the signature of an ROA request without a nonce.
	onceROASignature = "roa-signature"
)

// spend records value, a one-time value of the given kind sent by cred
// with a request dated date, in Replays until date+Skew, and returns cred;
// see Verify for the errors.
func (v *AlibabaVerifier) spend(ctx context.Context, cred Credential, kind, value string, date time.Time) (Credential, error) {
	if v.Replays == nil {
		return cred, nil
	}
	err := v.Replays.Use(ctx, onceKey("alibaba", cred.ID, kind, value), date.Add(v.skew()))
	switch {
	case errors.Is(err, ErrReplayed):
		return Credential{}, apierror.SignatureNonceUsed.Because(fmt.Errorf("AccessKeyId %q: the %s of this request was used already: %w", cred.ID, kind, err))
	case errors.Is(err, ErrReplaysFull):
		return Credential{}, apierror.DeniedRequest.Because(err)
	case err != nil:
		return Credential{}, fmt.Errorf("auth: remember the %s of AccessKeyId %q: %w", kind, cred.ID, err)
	}
	return cred, nil
}

// spendROA spends the nonce of an ROA request, as its signature covers
// it (the x-acs-signature-nonce values joined by commas), or its
// signature sig when it sends none: the legacy SDKs send a nonce, and a
// request without one is told apart only by what it signs.
func (v *AlibabaVerifier) spendROA(ctx context.Context, cred Credential, header http.Header, sig []byte, date time.Time) (Credential, error) {
	if nonce := strings.Join(header.Values("x-acs-signature-nonce"), ","); nonce != "" {
		return v.spend(ctx, cred, onceNonce, nonce, date)
	}
	return v.spend(ctx, cred, onceROASignature, string(sig), date)
}
