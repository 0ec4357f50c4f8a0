package alibaba_test

import (
	"testing"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"
)

// newSDK returns the official Image Search client pointed at endpoint
// (host:port, plain HTTP), signing with ACS3-HMAC-SHA256 or, when v2 is
// true, the classic RPC HMAC-SHA1 signature.
func newSDK(t testing.TB, endpoint, key, secret string, v2 bool) *imagesearch.Client {
	t.Helper()
	cfg := &openapiutil.Config{
		AccessKeyId:     dara.String(key),
		AccessKeySecret: dara.String(secret),
		Endpoint:        dara.String(endpoint),
		Protocol:        dara.String("http"),
		RegionId:        dara.String("cn-shanghai"),
	}
	if v2 {
		cfg.SignatureAlgorithm = dara.String("v2")
	}
	c, err := imagesearch.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
